import { describe, expect, it } from "vitest";
import { MemorySessionStore, issueSession } from "../../src/index.js";
import { bearer, openSocket, startLiveInstance, type OpenedSocket } from "../helpers/live.js";

const TOTAL = 10_000;
const BATCH = 250;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(10);
  }
}

describe("live connection tracking does not leak", () => {
  it(`leaves the tracking maps and the feed subscriptions empty after ${TOTAL} WebSockets opened and closed`, { timeout: 180_000 }, async () => {
    const store = new MemorySessionStore();
    const live = await startLiveInstance(store);
    try {
      let opened = 0;
      for (let batch = 0; opened < TOTAL; batch++) {
        // Five sessions per user; each batch closes half its sockets from the client and ends the rest's sessions.
        const sessions = await Promise.all(Array.from({ length: BATCH }, (_, i) => issueSession(store, { userId: `leak-${batch}-${i % 50}`, ttlMs: 60_000 })));
        const sockets: OpenedSocket[] = await Promise.all(sessions.map((s) => openSocket(live.wsUrl, bearer(s.token))));
        opened += sockets.length;
        expect(live.watcher.stats.connections).toBe(BATCH);
        expect(live.watcher.stats.users).toBe(50);
        for (let i = 0; i < BATCH; i++) {
          if (i % 2 === 0) sockets[i]!.socket.close();
          else await store.revokeSession(sessions[i]!.session.id);
        }
        const codes = await Promise.all(sockets.map((s) => s.closed.then((c) => c.code)));
        expect(codes.filter((c) => c === 4401)).toHaveLength(BATCH / 2);
        await until(() => live.watcher.stats.connections === 0);
      }
      expect(opened).toBe(TOTAL);
      expect(live.watcher.stats).toEqual({ connections: 0, sessions: 0, users: 0 });
      await until(() => store.feedSubscriptions === 0);
      expect(store.feedSubscriptions).toBe(0);
    } finally {
      await live.close();
      store.close();
    }
  });
});
