import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { isLogoutError } from "../errors.js";
import { rememberAuthentication } from "../request-state.js";
import type { Reply } from "../types.js";
import type { LiveEndReason } from "./connections.js";
import { assertWatcher, type SessionWatcher } from "./watch-sessions.js";

/** The close code and reason a WebSocket gets when the library closes it (RFC 6455 §7.4: 4000-4999 are the application's). */
export const WEBSOCKET_CLOSE: Readonly<
  Record<
    LiveEndReason,
    {
      /** The WebSocket close code. */
      readonly code: number;
      /** The close reason, in words. */
      readonly reason: string;
    }
  >
> = {
  "session-ended": { code: 4401, reason: "session ended" },
  "session-expired": { code: 4401, reason: "session expired" },
  // 1013 "Try Again Later": the client may reconnect and authenticate again.
  unconfirmed: { code: 1013, reason: "session not confirmed" },
  shutdown: { code: 1001, reason: "server shutting down" },
};

/** The part of a `ws` WebSocket the adapter uses (ws 8). */
export interface WebSocketLike {
  /** The socket's state (`1` is open). */
  readonly readyState: number;
  /** Starts the closing handshake with this close code and reason. */
  close(code?: number, reason?: string): void;
  /** Cuts the connection at once. */
  terminate(): void;
  /** Runs `listener` once the socket closed. */
  once(event: "close", listener: () => void): unknown;
}

/** The part of a `ws` WebSocketServer the adapter uses: create it with `{ noServer: true }`. */
export interface WebSocketServerLike<W extends WebSocketLike> {
  /** Completes an HTTP upgrade to a WebSocket, then calls `callback` with the socket. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, callback: (socket: W, req: IncomingMessage) => void): void;
  /** Tells the server's `connection` listeners of a new socket. */
  emit(event: "connection", socket: W, req: IncomingMessage): boolean;
}

/** Options of `acceptWebSockets`. */
export interface AcceptWebSocketsOptions {
  /**
   * Only upgrades of this path (the URL's pathname) are handled; others are left to other `upgrade` listeners.
   * @defaultValue every path
   */
  readonly path?: string;
  /**
   * How long a closed socket may take to finish the closing handshake before it is cut, in ms.
   * @defaultValue 1000: a
   * client that never answers the close frame cannot keep its connection (or keep sending) for ws' own 30 s
   */
  readonly closeGraceMs?: number;
}

const OPEN = 1;
const CLOSED = 3;

/**
 * The listener for a Node HTTP server's `upgrade` event that opens WebSockets only for live sessions:
 *
 * ```ts
 * const wss = new WebSocketServer({ noServer: true });
 * server.on("upgrade", acceptWebSockets(watchSessions({ store, credentials }), wss, { path: "/live" }));
 * wss.on("connection", (socket, req) => { const { session } = getAuthentication(req)!; ... });
 * ```
 *
 * The upgrade request is authenticated before the handshake: an ended, tampered or missing credential gets the
 * shape's HTTP error (401, 403 for a foreign origin, 503 when the store is down) and no WebSocket ever opens.
 * An open socket is closed with 4401 "session ended" (or "session expired") the moment its session ends.
 */
export function acceptWebSockets<W extends WebSocketLike>(watcher: SessionWatcher, wss: WebSocketServerLike<W>, options: Readonly<AcceptWebSocketsOptions> = {}) {
  assertWatcher("acceptWebSockets", watcher);
  if (typeof wss !== "object" || typeof (wss as Partial<WebSocketServerLike<W>> | null)?.handleUpgrade !== "function") {
    throw new TypeError("express-logout: acceptWebSockets needs a ws `WebSocketServer` created with `{ noServer: true }` as its second argument.");
  }
  const path = options.path;
  if (path !== undefined && (typeof path !== "string" || !path.startsWith("/"))) {
    throw new TypeError('express-logout: acceptWebSockets `path` must be a pathname such as "/live".');
  }
  const closeGraceMs = options.closeGraceMs ?? 1_000;
  if (!Number.isFinite(closeGraceMs) || closeGraceMs < 0) {
    throw new TypeError("express-logout: acceptWebSockets `closeGraceMs` must be a number of milliseconds >= 0.");
  }

  function close(socket: W, reason: LiveEndReason): void {
    const { code, reason: text } = WEBSOCKET_CLOSE[reason];
    if (socket.readyState === OPEN) socket.close(code, text);
    const timer = setTimeout(() => {
      if (socket.readyState !== CLOSED) socket.terminate();
    }, closeGraceMs);
    timer.unref();
    socket.once("close", () => { clearTimeout(timer); });
  }

  return function acceptWebSocketUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (path !== undefined && pathname(req.url) !== path) return;
    // Until the handshake, a reset from the client must not become an uncaught error.
    const ignore = () => undefined;
    socket.on("error", ignore);
    watcher.admit(req).then(
      (admission) => {
        let attached = false;
        // A handshake that ws refuses (a bad key or version) destroys the socket without calling back.
        socket.once("close", () => {
          if (!attached) admission.cancel();
        });
        if (socket.destroyed) {
          admission.cancel();
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          attached = true;
          socket.off("error", ignore);
          const release = admission.attach((reason) => { close(ws, reason); });
          ws.once("close", release);
          rememberAuthentication(req, admission.auth);
          wss.emit("connection", ws, req);
        });
      },
      (error: unknown) => {
        const reply = isLogoutError(error) ? watcher.refusal(error, req) : { status: 500, body: { error: "internal error" } };
        writeRefusal(socket, reply);
      },
    );
  };
}

function pathname(url: string | undefined): string {
  const raw = url ?? "/";
  const q = raw.indexOf("?");
  return q === -1 ? raw : raw.slice(0, q);
}

/** Answers an upgrade request with a plain HTTP response and closes the socket: no WebSocket is opened. */
export function writeRefusal(socket: Duplex, reply: Reply): void {
  if (socket.destroyed) return;
  const body = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  const headers: Record<string, string> = {
    "Content-Type": "application/json; charset=utf-8",
    ...reply.headers,
    "Cache-Control": "no-store",
    Connection: "close",
    "Content-Length": String(Buffer.byteLength(body)),
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join("\r\n");
  socket.end(`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ""}\r\n${head}\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 1_000).unref();
}
