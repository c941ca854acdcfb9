// Live connections that end with their session: a WebSocket (ws), a Socket.IO socket and an SSE stream, all
// closed the moment the session is logged out. Run: npx tsx examples/live-app.ts (PORT, HOST).
import { createServer } from "node:http";
import express from "express";
import { Server } from "socket.io";
import { WebSocketServer } from "ws";
import {
  MemorySessionStore, acceptWebSockets, constantTimeEqual, createLogoutHandler, getAuthentication, issueSession,
  sessionEventStream, socketIoSessions, watchSessions,
} from "express-logout";

const passwords = new Map([["alice", "alice-password"], ["bob", "bob-password"]]);
// One process here; with several, use RedisSessionStore with a `subscriber` (docs/live-connections.md).
const store = new MemorySessionStore();
// Bearer tokens by default; pass `credentials: [cookieToken("sid")]` for a browser's session cookie.
const sessions = watchSessions({ store });

const app = express();
app.disable("x-powered-by");
app.post("/login", express.json({ limit: "4kb" }), (req, res, next) => {
  const { username, password } = (req.body ?? {}) as Record<string, unknown>;
  const expected = typeof username === "string" ? passwords.get(username) : undefined;
  if (expected === undefined || typeof password !== "string" || !constantTimeEqual(password, expected)) {
    res.status(401).json({ error: "wrong username or password" });
    return;
  }
  issueSession(store, { userId: username as string, ttlMs: 60 * 60_000 }).then(({ token, session }) => {
    res.set("Cache-Control", "no-store").json({ token, sessionId: session.id });
  }, next);
});
app.post("/logout", createLogoutHandler({ store }));
app.post("/logout/everywhere", createLogoutHandler({ store, target: "all" }));
// Server-Sent Events: a last `event: logout`, then the stream ends.
app.get("/live/events", sessionEventStream(sessions, {
  onOpen: (stream) => { stream.send("hello", { user: stream.auth.session.userId }); },
}));

const server = createServer(app);
// WebSocket: refused before the handshake without a live session; closed with 4401 "session ended".
const wss = new WebSocketServer({ noServer: true });
server.on("upgrade", acceptWebSockets(sessions, wss, { path: "/live/ws" }));
wss.on("connection", (socket, req) => { socket.send(JSON.stringify({ hello: getAuthentication(req)?.session.userId })); });
// Socket.IO: the handshake is authenticated; a `session.ended` event, then a server disconnect.
const io = new Server(server);
io.use(socketIoSessions(sessions));
io.on("connection", (socket) => { socket.emit("hello", { user: getAuthentication(socket.request)?.session.userId }); });

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 3002);
server.listen(port, host, () => {
  const address = server.address();
  const url = `http://${host}:${typeof address === "object" && address !== null ? address.port : port}`;
  console.log(`express-logout live-connections example listening on ${url}
  TOKEN=$(curl -s ${url}/login -H 'Content-Type: application/json' -d '{"username":"alice","password":"alice-password"}' | sed -E 's/.*"token":"([^"]+)".*/\\1/')
  curl -N ${url}/live/events -H "Authorization: Bearer $TOKEN"       # stays open ...
  curl -X POST ${url}/logout -H "Authorization: Bearer $TOKEN"       # ... and ends with "event: logout"
  (a WebSocket on ${url.replace("http", "ws")}/live/ws and Socket.IO on ${url} close the same way)`);
});
function stop(): void {
  sessions.close();
  void io.close();
  server.close(() => { store.close(); });
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
