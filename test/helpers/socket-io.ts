import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Server, type ServerOptions } from "socket.io";
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import { createLogoutHandler, getAuthentication, socketIoSessions, watchSessions, type SessionStore, type SessionWatcher } from "../../src/index.js";

/** One app instance: the logout routes over HTTP and a Socket.IO server guarded by `socketIoSessions`. */
export interface SocketIoInstance {
  readonly url: string;
  readonly io: Server;
  readonly watcher: SessionWatcher;
  close(): Promise<void>;
}

export async function startSocketIoInstance(store: SessionStore, options: Partial<ServerOptions> = {}): Promise<SocketIoInstance> {
  const app = express();
  app.post("/logout", createLogoutHandler({ store }));
  app.post("/logout/all", createLogoutHandler({ store, target: "all" }));
  const http: HttpServer = createServer(app);
  const io = new Server(http, options);
  const watcher = watchSessions({ store });
  io.use(socketIoSessions(watcher));
  io.on("connection", (socket) => {
    // Answers who the socket belongs to, so a test can tell a live socket and its owner.
    socket.on("whoami", (reply: (userId: string | undefined) => void) => { reply(getAuthentication(socket.request)?.session.userId); });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    io,
    watcher,
    async close() {
      watcher.close();
      await io.close();
      http.closeAllConnections();
    },
  };
}

/** What a client saw: the `session.ended` payload and the disconnect reason, each with `performance.now()`. */
export interface ClientView {
  readonly socket: ClientSocket;
  readonly ended: Promise<{ reason: string; at: number }>;
  readonly disconnected: Promise<{ reason: string; at: number }>;
}

/** Connects a client (WebSocket transport unless told otherwise); rejects with the `connect_error`. */
export function connectSocketIo(url: string, options: { headers?: Record<string, string>; auth?: Record<string, unknown>; transports?: ("websocket" | "polling")[] } = {}): Promise<ClientView> {
  return new Promise((resolve, reject) => {
    const socket = connectClient(url, {
      transports: options.transports ?? ["websocket"],
      extraHeaders: options.headers ?? {},
      auth: options.auth ?? {},
      forceNew: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 50,
    });
    const ended = new Promise<{ reason: string; at: number }>((done) => {
      socket.once("session.ended", (payload: { reason: string }) => { done({ reason: payload.reason, at: performance.now() }); });
    });
    const disconnected = new Promise<{ reason: string; at: number }>((done) => {
      socket.once("disconnect", (reason) => { done({ reason, at: performance.now() }); });
    });
    socket.once("connect", () => { resolve({ socket, ended, disconnected }); });
    socket.once("connect_error", (error: Error & { data?: unknown }) => {
      socket.close();
      reject(error);
    });
  });
}

/** Whether the socket still answers an acknowledged `whoami`. */
export async function answers(socket: ClientSocket, timeoutMs = 1_000): Promise<string | undefined> {
  if (!socket.connected) return undefined;
  try {
    return (await socket.timeout(timeoutMs).emitWithAck("whoami")) as string | undefined;
  } catch {
    return undefined;
  }
}
