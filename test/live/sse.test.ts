import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogoutHandler, issueSession, sessionEventStream, watchSessions, type SessionWatcher } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";
import { bearer } from "../helpers/live.js";
import { RecordingStore } from "../helpers/store.js";

interface SseEvent { readonly event: string; readonly data: string; readonly at: number }

/** Reads a real SSE response: its status, and each event as it arrives, until the server ends the stream. */
async function openStream(url: string, headers: Record<string, string>) {
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers } });
  const events: SseEvent[] = [];
  let wake: (() => void) | undefined;
  const finished = (async () => {
    if (res.body === null || res.status !== 200) return performance.now();
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined) events.push({ event, data: data ?? "", at: performance.now() });
        wake?.();
      }
    }
    return performance.now();
  })();
  const next = async (name: string) => {
    while (!events.some((e) => e.event === name)) await new Promise<void>((resolve) => { wake = resolve; });
    return events.find((e) => e.event === name)!;
  };
  return { res, events, finished, next };
}

describe.each(expressVersions)("sessionEventStream on $name", ({ express }) => {
  let store: RecordingStore;
  let watcher: SessionWatcher;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    store = new RecordingStore();
    watcher = watchSessions({ store });
    const app = express();
    app.get("/events", sessionEventStream(watcher, { onOpen: (stream) => { stream.send("hello", { userId: stream.auth.session.userId }); } }));
    app.post("/logout", createLogoutHandler({ store }));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    watcher.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    store.close();
  });

  it("sends a last `event: logout` and ends the stream within 100 ms of the logout; another session's stream stays open", async () => {
    const mine = await issueSession(store, { userId: "sse-alice", ttlMs: 60_000 });
    const other = await issueSession(store, { userId: "sse-alice", ttlMs: 60_000 });
    const a = await openStream(`${url}/events`, bearer(mine.token));
    const b = await openStream(`${url}/events`, bearer(other.token));
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(a.res.headers.get("cache-control")).toBe("no-store");
    expect(JSON.parse((await a.next("hello")).data)).toEqual({ userId: "sse-alice" });
    await b.next("hello");
    expect((await fetch(`${url}/logout`, { method: "POST", headers: bearer(mine.token) })).status).toBe(200);
    const answeredAt = performance.now();
    const logout = await a.next("logout");
    expect(JSON.parse(logout.data)).toEqual({ reason: "session-ended" });
    const endedAt = await a.finished;
    expect(endedAt - answeredAt).toBeLessThan(100);
    expect(a.events.at(-1)?.event).toBe("logout");
    expect(watcher.stats).toEqual({ connections: 1, sessions: 1, users: 1 });
    expect(b.events.map((e) => e.event)).toEqual(["hello"]);
    await store.revokeSession(other.session.id);
    expect(JSON.parse((await b.next("logout")).data)).toEqual({ reason: "session-ended" });
    await b.finished;
    expect(watcher.stats).toEqual({ connections: 0, sessions: 0, users: 0 });
  });

  it("answers 401 in the shape and opens no stream for an ended or missing credential, changing nothing", async () => {
    const ended = await issueSession(store, { userId: "sse-bob", ttlMs: 60_000 });
    await store.revokeSession(ended.session.id);
    store.reset();
    for (const headers of [bearer(ended.token), {}]) {
      const s = await openStream(`${url}/events`, headers);
      expect(s.res.status).toBe(401);
      expect(s.res.headers.get("content-type")).toContain("application/problem+json");
      expect(await s.res.json()).toMatchObject({ status: 401 });
    }
    expect(store.mutations).toEqual([]);
    expect(watcher.stats.connections).toBe(0);
  });

  it("ends the stream with reason session-expired at the session's deadline, and frees it when the client goes away", async () => {
    const short = await issueSession(store, { userId: "sse-carol", ttlMs: 400 });
    const s = await openStream(`${url}/events`, bearer(short.token));
    expect(JSON.parse((await s.next("logout")).data)).toEqual({ reason: "session-expired" });
    const long = await issueSession(store, { userId: "sse-carol", ttlMs: 60_000 });
    const controller = new AbortController();
    const res = await fetch(`${url}/events`, { headers: bearer(long.token), signal: controller.signal });
    expect(res.status).toBe(200);
    expect(watcher.stats.connections).toBe(1);
    controller.abort();
    const deadline = Date.now() + 2_000;
    while (watcher.stats.connections > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(watcher.stats).toEqual({ connections: 0, sessions: 0, users: 0 });
  });
});
