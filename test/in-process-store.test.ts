import { afterEach, describe, expect, it, vi } from "vitest";
import { answeredInProcess, guarded, type GuardOptions } from "../src/deadline.js";
import { LogoutEvents, MemorySessionStore, hashSecret, isLogoutError, type SessionRecord } from "../src/index.js";
import { CheckedStore } from "../src/store/checked-store.js";
import { isInProcess } from "../src/store/in-process.js";

// The memory store's own methods answer before any timer could run: the checked store arms no deadline for them.
// A method replaced on an instance, or overridden by a subclass, is guarded like any other store's.

const guard = { timeoutMs: 50, retryAfterSeconds: 5, events: undefined };
// Each test its own guard options, so its own watchdog: a timer armed under one test's fake clock is never another's.
const freshGuard = () => ({ ...guard });

/** Fresh guard options with events, and the operations their `store.error` events named. */
function watchedGuard(): { options: GuardOptions; seen: string[] } {
  const events = new LogoutEvents();
  const seen: string[] = [];
  events.on("store.error", (e) => seen.push(e.operation));
  return { options: { ...freshGuard(), events }, seen };
}

function session(id: string): SessionRecord {
  const now = Date.now();
  return { id, userId: "alice", tokenHash: hashSecret(`token-${id}`), createdAt: now, expiresAt: now + 60_000 };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("the memory store's own methods, called without a deadline", () => {
  it("are registered; a replaced or overridden method is not", () => {
    const store = new MemorySessionStore();
    const method = (target: object, name: string): unknown => (target as Record<string, unknown>)[name];
    expect(isInProcess(method(store, "findSessionByTokenHash"))).toBe(true);
    expect(isInProcess(method(store, "endSessionById"))).toBe(true);
    class Slow extends MemorySessionStore {
      override findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
        return super.findSessionByTokenHash(tokenHash);
      }
    }
    const slow = new Slow();
    expect(isInProcess(method(slow, "findSessionByTokenHash"))).toBe(false);
    expect(isInProcess(method(slow, "getSession"))).toBe(true);
    expect(isInProcess(() => undefined)).toBe(false);
    expect(isInProcess(undefined)).toBe(false);
    store.close();
    slow.close();
  });

  /** A memory store holding one session, and its checked store under a fake clock. */
  async function checkedOnFakeClock(id: string): Promise<{ store: MemorySessionStore; s: SessionRecord; calls: CheckedStore }> {
    const store = new MemorySessionStore();
    const s = session(id);
    await store.createSession(s);
    vi.useFakeTimers();
    return { store, s, calls: new CheckedStore(store, freshGuard()) };
  }

  it("arm no timer, and answer as under the deadline", async () => {
    const { store, s, calls } = await checkedOnFakeClock("s1");
    const before = vi.getTimerCount();
    expect(await calls.findSessionByTokenHash(s.tokenHash)).toEqual(s);
    expect(await calls.getSession(s.id)).toEqual(s);
    expect(vi.getTimerCount()).toBe(before);
    // A host callback is never the store's own: it is watched.
    await calls.run("users.findUser", () => Promise.resolve(undefined));
    expect(vi.getTimerCount()).toBe(before + 1);
    store.close();
  });

  it("are guarded again the moment one is replaced: a hang is a 503 at the deadline, and nothing ends", async () => {
    const { store, s, calls } = await checkedOnFakeClock("s2");
    const hang = vi.spyOn(store, "endSessionById").mockReturnValue(new Promise(() => undefined));
    const ending = calls.endSessionById(s.id, {});
    const outcome = ending.then(
      () => "answered",
      (error: unknown) => (isLogoutError(error) ? error.code : "other"),
    );
    await vi.advanceTimersByTimeAsync(guard.timeoutMs + 1);
    expect(await outcome).toBe("store-unavailable");
    hang.mockRestore();
    expect(await store.getSession(s.id)).toEqual(s);
    store.close();
  });
});

describe("answeredInProcess", () => {
  it("answers the value, and fails closed with a store-unavailable error and its event for a throw or a rejection", async () => {
    const { options, seen } = watchedGuard();
    expect(await answeredInProcess("getSession", () => Promise.resolve(7), options)).toBe(7);
    expect(await answeredInProcess("getSession", () => 8, options)).toBe(8);
    for (const call of [() => { throw new Error("a bug"); }, () => Promise.reject(new Error("refused"))]) {
      const error: unknown = await answeredInProcess("claim", call, options).then(() => undefined, (e: unknown) => e);
      expect(isLogoutError(error) && error.code).toBe("store-unavailable");
    }
    expect(seen).toEqual(["claim", "claim"]);
  });
});

describe("guarded, for a call that answers with a value", () => {
  it("arms no timer and answers it; a throw, a throwing `then` or a rejection still fails closed with its event", async () => {
    const { options, seen } = watchedGuard();
    vi.useFakeTimers();
    const before = vi.getTimerCount();
    expect(await guarded("users.hasPermission", () => true, options)).toBe(true);
    expect(await guarded("users.findUser", () => undefined, options)).toBeUndefined();
    expect(vi.getTimerCount()).toBe(before);
    const brokenThenable = {
      get then(): unknown {
        throw new Error("a broken thenable");
      },
    };
    for (const call of [() => { throw new Error("a bug"); }, () => brokenThenable, () => Promise.reject(new Error("refused"))]) {
      const error: unknown = await guarded("users.findUser", call, options).then(() => undefined, (e: unknown) => e);
      expect(isLogoutError(error) && error.code).toBe("store-unavailable");
    }
    expect(seen).toEqual(["users.findUser", "users.findUser", "users.findUser"]);
  });

  it("still races a promise against the deadline: a hang is a 503 at the deadline", async () => {
    vi.useFakeTimers();
    const options = freshGuard();
    const outcome = guarded("users.findUser", () => new Promise(() => undefined), options).then(
      () => "answered",
      (error: unknown) => (isLogoutError(error) ? error.code : "other"),
    );
    await vi.advanceTimersByTimeAsync(guard.timeoutMs + 1);
    expect(await outcome).toBe("store-unavailable");
  });
});
