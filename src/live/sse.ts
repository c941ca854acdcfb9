import type { NextFunction, Request, RequestHandler, Response } from "express";
import { isLogoutError } from "../errors.js";
import { sendReply } from "../handlers/runtime/index.js";
import { rememberAuthentication } from "../request-state.js";
import type { Authentication } from "../types.js";
import { sessionIsOver, type LiveEndReason } from "./connections.js";
import { answeredUncalledMount } from "../options/mounted-uncalled.js";
import { assertWatcher, type SessionWatcher } from "./watch-sessions.js";

/** The last event of a stream whose session ended: `event: logout`, `data: {"reason":"session-ended"}`. */
export const SSE_LOGOUT_EVENT = "logout";

/** An open Server-Sent Events stream of a live session. */
export interface SessionEventStream {
  /** Who opened it. */
  readonly auth: Authentication;
  /** Sends one event (`data` as JSON); answers `false` once the stream has ended. */
  send(event: string, data: unknown): boolean;
  /** Registers a callback for the end of the stream, whatever ended it. */
  onClose(callback: () => void): void;
}

/** Options of `sessionEventStream`. */
export interface SessionEventStreamOptions {
  /**
   * Called once the stream is open: keep `stream` to send the app's own events.
   * @defaultValue none
   */
  readonly onOpen?: (stream: SessionEventStream, req: Request) => void;
  /**
   * A comment line is sent this often (ms) so proxies keep an idle stream open.
   * @defaultValue 25 000
   */
  readonly heartbeatMs?: number;
}

const EVENT_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * A GET route that opens a Server-Sent Events stream for a live session and ends it, after a last
 * `event: logout` (`data: {"reason":"session-ended"}` or `{"reason":"session-expired"}`), the moment the session
 * ends. A stream cut for another reason (`watcher.close()`, or a session the store could not confirm after the
 * feed was interrupted) ends without that event, so `EventSource` reconnects and authenticates again:
 *
 * ```ts
 * app.get("/live/events", sessionEventStream(sessions, { onOpen: (stream) => stream.send("hello", {}) }));
 * // browser
 * const events = new EventSource("/live/events");
 * events.addEventListener("logout", () => { events.close(); showSignedOut(); });
 * ```
 *
 * A request without a live session gets the shape's error (401) and no stream: `EventSource` does not retry a
 * non-200 answer. Works on Express 4 and 5.
 */
export function sessionEventStream(watcher: SessionWatcher, options: Readonly<SessionEventStreamOptions> = {}): RequestHandler {
  if (answeredUncalledMount("sessionEventStream", "sessionEventStream(watchSessions({ store }))", watcher, options)) {
    return function sessionEventStreamNotCalled(): void { /* the request was answered above */ };
  }
  assertWatcher("sessionEventStream", watcher);
  const heartbeatMs = options.heartbeatMs ?? 25_000;
  if (!Number.isFinite(heartbeatMs) || heartbeatMs <= 0) {
    throw new TypeError("express-logout: sessionEventStream `heartbeatMs` must be a positive number of milliseconds.");
  }
  if (options.onOpen !== undefined && typeof options.onOpen !== "function") {
    throw new TypeError("express-logout: sessionEventStream `onOpen` must be a function `(stream, req) => void`.");
  }
  const onOpen = options.onOpen;

  async function open(req: Request, res: Response): Promise<void> {
    let admission;
    try {
      admission = await watcher.admit(req);
    } catch (error) {
      if (!isLogoutError(error)) throw error;
      sendReply(res, watcher.refusal(error, req));
      return;
    }
    if (req.socket.destroyed) {
      admission.cancel();
      return;
    }
    rememberAuthentication(req, admission.auth);
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      // nginx buffers responses unless told not to: an event must leave at once.
      "X-Accel-Buffering": "no",
    });
    res.write(": open\n\n");
    let ended = false;
    const closers: (() => void)[] = [];
    const heartbeat = setInterval(() => { res.write(": keep-alive\n\n"); }, heartbeatMs);
    heartbeat.unref();
    const finish = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      release();
      for (const close of closers) close();
    };
    const release = admission.attach((reason: LiveEndReason) => {
      // Only an ended session says "logout"; a stream cut for another reason (the server stopping, a session the
      // store could not confirm) just ends, and EventSource reconnects and authenticates again.
      if (!ended) res.end(sessionIsOver(reason) ? `event: ${SSE_LOGOUT_EVENT}\ndata: ${JSON.stringify({ reason })}\n\n` : undefined);
      finish();
    });
    res.once("close", finish);
    const stream: SessionEventStream = {
      auth: admission.auth,
      send(event, data) {
        if (ended) return false;
        if (!EVENT_NAME.test(event)) throw new TypeError(`express-logout: SSE event names are letters, digits and _.:- (received ${JSON.stringify(event)}).`);
        // JSON has no raw newline, so one data line carries the whole value.
        res.write(`event: ${event}\ndata: ${JSON.stringify(data ?? null)}\n\n`);
        return true;
      },
      onClose(callback) {
        if (ended) callback();
        else closers.push(callback);
      },
    };
    onOpen?.(stream, req);
  }

  return function sessionEventStreamMiddleware(req: Request, res: Response, next: NextFunction): void {
    open(req, res).catch(next);
  };
}
