import type { IncomingMessage } from "node:http";
import { LogoutError, isLogoutError } from "../errors.js";
import { rememberAuthentication } from "../request-state.js";
import { sessionIsOver, type LiveEndReason } from "./connections.js";
import { assertWatcher, type SessionWatcher } from "./watch-sessions.js";

/** The event a Socket.IO client receives just before the server disconnects it because its session ended. */
export const SESSION_ENDED_EVENT = "session.ended";

/** What the `session.ended` event carries: why, never a secret. */
export interface SessionEndedPayload {
  /** Why the session ended: a logout (`"session-ended"`) or its deadline (`"session-expired"`). */
  readonly reason: Extract<LiveEndReason, "session-ended" | "session-expired">;
}

/** The part of a Socket.IO 4 server socket the middleware uses. */
export interface SocketIoSocketLike {
  /** The handshake's HTTP request (`socket.request`). */
  readonly request: IncomingMessage;
  /** The handshake (`socket.handshake`). */
  readonly handshake: {
    /** What the client sent as `io(url, { auth })`. */
    readonly auth: Record<string, unknown>;
  };
  /** Sends an event to this client. */
  emit(event: string, ...args: unknown[]): unknown;
  /** Disconnects this client; `true` closes the underlying connection too. */
  disconnect(close?: boolean): unknown;
  /** Runs `listener` when this socket disconnects. */
  on(event: "disconnect", listener: (reason: string) => void): unknown;
}

/** The error a refused handshake gets: the client's `connect_error` shows `message` and `data`. */
export interface SocketIoRefusal extends Error {
  /** What the client's `connect_error` carries besides `message`. */
  readonly data: {
    /** The `LogoutError` code. */
    readonly code: string;
    /** The HTTP status the refusal would have had. */
    readonly status: number;
  };
}

/**
 * A Socket.IO 4 middleware (`io.use(...)`) that authenticates the handshake and disconnects the socket the moment
 * its session ends, after sending it a `session.ended` event (`{ reason }`):
 *
 * ```ts
 * io.use(socketIoSessions(watchSessions({ store, credentials: [cookieToken("sid"), bearerToken()] })));
 * io.on("connection", (socket) => { const { session } = getAuthentication(socket.request)!; ... });
 * // client
 * socket.on("session.ended", ({ reason }) => showSignedOut());
 * ```
 *
 * The handshake's headers are read by the watcher's credential sources (a browser sends its cookie); a client
 * that cannot set headers may send `auth: { token }`, read as `Authorization: Bearer <token>`. A refused
 * handshake reaches the client as `connect_error` with `message` the error code ("unauthenticated",
 * "forbidden", "store-unavailable") and `data: { code, status }`; no socket connects. The disconnect is a
 * server-side namespace disconnect (the client's reason is "io server disconnect"), so the client does not
 * reconnect by itself. A socket cut for another reason (`watcher.close()`, a session the store could not confirm
 * after the feed was interrupted) gets no event and loses its transport, so the client reconnects and is
 * authenticated again. Each node disconnects its own sockets, so it works behind `@socket.io/redis-adapter`.
 */
export function socketIoSessions(watcher: SessionWatcher) {
  assertWatcher("socketIoSessions", watcher);
  return function socketIoSessionMiddleware(socket: SocketIoSocketLike, next: (error?: Error) => void): void {
    const request = withHandshakeToken(socket);
    watcher.admit(request).then(
      (admission) => {
        const release = admission.attach((reason) => {
          if (sessionIsOver(reason)) {
            socket.emit(SESSION_ENDED_EVENT, { reason } satisfies SessionEndedPayload);
            socket.disconnect();
            return;
          }
          // Not a logout (the server stopping, a session the store could not confirm): close the connection
          // itself, so the client reconnects by itself and its handshake is authenticated again.
          socket.disconnect(true);
        });
        socket.on("disconnect", release);
        rememberAuthentication(socket.request, admission.auth);
        next();
      },
      (error: unknown) => {
        const failure = isLogoutError(error) ? error : new LogoutError("store-unavailable", "the session could not be checked");
        if (isLogoutError(error)) watcher.refusal(error, request);
        next(Object.assign(new Error(failure.code), { data: { code: failure.code, status: failure.status } }) satisfies SocketIoRefusal);
      },
    );
  };
}

/**
 * The handshake request, with `auth.token` as a bearer header when the client sent one and no `Authorization`
 * header of its own (a browser's WebSocket cannot set headers).
 */
function withHandshakeToken(socket: SocketIoSocketLike): IncomingMessage {
  const token = socket.handshake.auth.token;
  const request = socket.request;
  if (typeof token !== "string" || request.headers.authorization !== undefined) return request;
  return Object.create(request, {
    headers: { value: { ...request.headers, authorization: `Bearer ${token}` }, enumerable: true },
  }) as IncomingMessage;
}
