import { afterEach, describe, expect, it, vi } from "vitest";
import { MemorySessionStore } from "../src/index.js";
import { describeSessionStoreConformance, sampleSession } from "../src/testing/index.js";

const opened: MemorySessionStore[] = [];
describeSessionStoreConformance("MemorySessionStore", {
  createStore: () => {
    const store = new MemorySessionStore({ sweepIntervalMs: 1_000 });
    opened.push(store);
    return store;
  },
  closeStore: () => {
    for (const store of opened.splice(0)) store.close();
  },
  capabilities: ["touch", "end-by-token", "end-by-id", "totp-attempt", "markers", "jwt-revocation", "step-up", "session-limit", "provider-links"],
});

describe("MemorySessionStore memory", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("frees expired sessions and their indexes on the sweep, without any read", async () => {
    vi.useFakeTimers();
    const store = new MemorySessionStore({ sweepIntervalMs: 1_000 });
    for (let i = 0; i < 100; i++) await store.createSession(sampleSession(`u${i % 7}`, { expiresAt: Date.now() + 5_000 }));
    const keeper = sampleSession("keeper", { expiresAt: Date.now() + 600_000 });
    await store.createSession(keeper);
    expect(store.size).toBe(101);
    vi.advanceTimersByTime(7_000);
    expect(store.size).toBe(1);
    expect(await store.listSessions("u1")).toEqual([]);
    expect(await store.getSession(keeper.id)).toEqual(keeper);
    store.close();
  });

  it("refuses a non-positive sweep interval with a TypeError", () => {
    expect(() => new MemorySessionStore({ sweepIntervalMs: 0 })).toThrow(TypeError);
  });
});
