import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { issueSession, type IssuedSession } from "../../src/index.js";
import { RecordingStore } from "../helpers/store.js";
import { bearer } from "../helpers/live.js";
import { answers, connectSocketIo, startSocketIoInstance, type ClientView, type SocketIoInstance } from "../helpers/socket-io.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("socketIoSessions with a real Socket.IO 4 server and socket.io-client (one instance)", () => {
  let store: RecordingStore;
  let node: SocketIoInstance;

  beforeAll(async () => {
    store = new RecordingStore();
    node = await startSocketIoInstance(store);
  });
  afterAll(async () => {
    await node.close();
    store.close();
  });
  beforeEach(() => { store.reset(); });

  const login = (userId: string, ttlMs = 60_000) => issueSession(store, { userId, ttlMs });
  const post = (path: string, token: string) => fetch(`${node.url}${path}`, { method: "POST", headers: bearer(token) });

  async function connect(s: IssuedSession, transports?: ("websocket" | "polling")[]): Promise<ClientView> {
    const view = await connectSocketIo(node.url, { headers: bearer(s.token), ...(transports === undefined ? {} : { transports }) });
    expect(await answers(view.socket)).toBe(s.session.userId);
    return view;
  }

  it("sends session.ended and disconnects within 100 ms of the logout over HTTP; the client does not reconnect, other sessions stay", async () => {
    const mine = await login("io-alice");
    const other = await login("io-alice");
    const [a, polling, b] = await Promise.all([connect(mine), connect(mine, ["polling"]), connect(other)]);
    expect((await post("/logout", mine.token)).status).toBe(200);
    const answeredAt = performance.now();
    // The WebSocket transport within 100 ms; long-polling answers through a pending poll, so it gets 250 ms.
    for (const [view, withinMs] of [[a, 100], [polling, 250]] as const) {
      const [ended, disconnected] = await Promise.all([view.ended, view.disconnected]);
      expect(ended.reason).toBe("session-ended");
      expect(disconnected.reason).toBe("io server disconnect");
      expect(disconnected.at - answeredAt).toBeLessThan(withinMs);
      expect(ended.at).toBeLessThanOrEqual(disconnected.at);
    }
    await sleep(200);
    expect(a.socket.connected).toBe(false);
    expect(polling.socket.connected).toBe(false);
    expect(await answers(b.socket)).toBe("io-alice");
    b.socket.close();
  });

  it("disconnects every socket of the user on \"log out everywhere\", and no other user's", async () => {
    const sessions = await Promise.all([login("io-bob"), login("io-bob")]);
    const views = await Promise.all(sessions.map((s) => connect(s)));
    const stranger = await connect(await login("io-carol"));
    expect((await post("/logout/all", sessions[0].token)).status).toBe(200);
    for (const v of views) expect((await v.ended).reason).toBe("session-ended");
    expect(await answers(stranger.socket)).toBe("io-carol");
    stranger.socket.close();
  });

  it("accepts the token in the handshake's auth (a browser cannot set headers)", async () => {
    const s = await login("io-dave");
    const view = await connectSocketIo(node.url, { auth: { token: s.token } });
    expect(await answers(view.socket)).toBe("io-dave");
    await store.revokeSession(s.session.id);
    expect((await view.ended).reason).toBe("session-ended");
  });

  it("refuses the handshake of an ended, tampered or missing credential with connect_error, and changes nothing", async () => {
    const ended = await login("io-erin");
    const kept = await login("io-erin");
    await store.revokeSession(ended.session.id);
    const before = await store.snapshot("io-erin");
    store.reset();
    const statsBefore = node.watcher.stats;
    const tampered = `${kept.token.slice(0, -2)}${kept.token.endsWith("AA") ? "BB" : "AA"}`;
    for (const headers of [bearer(ended.token), bearer(tampered), {}]) {
      const error = await connectSocketIo(node.url, { headers }).then(() => undefined, (e: unknown) => e as Error & { data?: unknown });
      expect(error?.message, JSON.stringify(headers)).toBe("unauthenticated");
      expect(error?.data).toEqual({ code: "unauthenticated", status: 401 });
    }
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("io-erin")).toEqual(before);
    expect(node.watcher.stats).toEqual(statsBefore);
  });

  it("disconnects a socket whose session reaches its deadline, with reason session-expired", async () => {
    const view = await connect(await login("io-frank", 400));
    expect((await view.ended).reason).toBe("session-expired");
    expect((await view.disconnected).reason).toBe("io server disconnect");
  });

  it("frees the tracking once the sockets are gone", async () => {
    await sleep(100);
    expect(node.watcher.stats).toEqual({ connections: 0, sessions: 0, users: 0 });
  });
});
