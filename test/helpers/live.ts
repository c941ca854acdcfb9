import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { WebSocket, WebSocketServer } from "ws";
import {
  acceptWebSockets,
  createLogoutHandler,
  watchSessions,
  type SessionStore,
  type SessionWatcher,
  type WatchSessionsOptions,
} from "../../src/index.js";

/** One app instance: logout routes over HTTP and WebSockets on `/live`, on a shared store. */
export interface LiveInstance {
  readonly url: string;
  readonly wsUrl: string;
  readonly server: Server;
  readonly watcher: SessionWatcher;
  readonly wss: WebSocketServer;
  close(): Promise<void>;
}

/**
 * Starts an instance with `POST /logout` (own session), `/logout/all`, `/logout/others` and
 * `POST /admin/sessions/:id/end` (any session by id, ungated: tests only), and `acceptWebSockets` on `/live`.
 */
export async function startLiveInstance(store: SessionStore, options: Partial<WatchSessionsOptions> = {}): Promise<LiveInstance> {
  const app = express();
  app.post("/logout", createLogoutHandler({ store }));
  app.post("/logout/all", createLogoutHandler({ store, target: "all" }));
  app.post("/logout/others", createLogoutHandler({ store, target: "others" }));
  app.post("/admin/sessions/:id/end", createLogoutHandler({ store, target: (req) => String(req.params.id), whoseSessions: "anyone" }));
  const server = createServer(app);
  const watcher = watchSessions({ store, ...options });
  const wss = new WebSocketServer({ noServer: true });
  // Every open socket echoes, so a test can tell a live socket from a dead one.
  wss.on("connection", (socket) => {
    socket.on("message", (data, isBinary) => { socket.send(data, { binary: isBinary }); });
  });
  server.on("upgrade", acceptWebSockets(watcher, wss, { path: "/live" }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/live`,
    server,
    watcher,
    wss,
    async close() {
      watcher.close();
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** What a WebSocket client saw: opened, or refused with an HTTP status; and how it closed. */
export interface OpenedSocket {
  readonly socket: WebSocket;
  /** Resolves with the close code, reason and `performance.now()` when it closed. */
  readonly closed: Promise<{ code: number; reason: string; at: number }>;
}

/** Opens a WebSocket with the given headers; rejects with the HTTP status when the upgrade is refused. */
export function openSocket(url: string, headers: Record<string, string> = {}): Promise<OpenedSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const closed = new Promise<{ code: number; reason: string; at: number }>((done) => {
      socket.once("close", (code, reason) => { done({ code, reason: reason.toString(), at: performance.now() }); });
    });
    socket.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => { body += chunk.toString("utf8"); });
      res.on("end", () => { reject(Object.assign(new Error(`refused with ${res.statusCode ?? 0}`), { status: res.statusCode, body })); });
    });
    socket.once("open", () => { resolve({ socket, closed }); });
    socket.once("error", (error) => { reject(error); });
  });
}

/** Whether the socket still answers: sends a ping text and waits for its echo. */
export function echoes(socket: WebSocket, timeoutMs = 1_000): Promise<boolean> {
  if (socket.readyState !== WebSocket.OPEN) return Promise.resolve(false);
  return new Promise((resolve) => {
    const text = `ping-${Math.random()}`;
    const timer = setTimeout(() => { socket.off("message", onMessage); resolve(false); }, timeoutMs);
    function onMessage(data: Buffer) {
      if (data.toString("utf8") !== text) return;
      clearTimeout(timer);
      socket.off("message", onMessage);
      resolve(true);
    }
    socket.on("message", onMessage);
    socket.send(text);
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
