import { randomUUID } from "node:crypto";
import { afterAll, beforeEach } from "vitest";
import { generateToken, hashSecret } from "../secrets.js";
import type { SessionRecord, SessionStore } from "../types.js";

/** Options every conformance suite takes: how to make and close the store under test. */
export interface ConformanceOptions<S extends SessionStore = SessionStore> {
  /** Called before each test: a store to test (fresh, or shared with unique keys; each test uses its own ids). */
  readonly createStore: () => S | Promise<S>;
  /** Called once after the suite, to close connections. */
  readonly closeStore?: (store: S) => void | Promise<void>;
  /**
   * The TTL (ms) the expiry tests use; they wait about twice this long.
   * @defaultValue 250: long enough that a busy
   * CI machine does not see a marker expire before the test reads it back, short enough to keep the suite quick
   */
  readonly ttlMs?: number;
  /**
   * Set it when every `createStore()` call opens another instance over the same backend (a Redis or SQL
   * store): the kit then also checks that what one instance changes, another sees at once (a logout through
   * one app instance is refused by the next), with each instance's own caches warmed first.
   * @defaultValue `false`
   */
  readonly sharedBackend?: boolean;
}

/** The store under test, as the capability suites reach it. */
export interface StoreInstance<S extends SessionStore> {
  /** The store of the running test. */
  readonly store: () => S;
  /** Another instance over the same backend (only meaningful with `sharedBackend`). */
  readonly another: () => Promise<S>;
  readonly ttlMs: number;
  readonly sharedBackend: boolean;
}

/** Registers the hooks that open a store before each test and close them all after the suite. */
export function useStoreInstance<S extends SessionStore>(options: ConformanceOptions<S>): StoreInstance<S> {
  const opened: S[] = [];
  let current: S | undefined;
  const open = async (): Promise<S> => {
    const store = await options.createStore();
    if (!opened.includes(store)) opened.push(store);
    return store;
  };
  beforeEach(async () => {
    current = await open();
  });
  afterAll(async () => {
    for (const s of opened) await options.closeStore?.(s);
  });
  return {
    store: () => {
      if (current === undefined) throw new Error("express-logout/testing: the store is only there inside a test");
      return current;
    },
    another: open,
    ttlMs: options.ttlMs ?? 250,
    sharedBackend: options.sharedBackend === true,
  };
}

/** A fresh, valid session record for `userId`; the token is random and only its hash is kept. */
export function sampleSession(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: randomUUID(),
    userId,
    tokenHash: hashSecret(generateToken()),
    createdAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

/** A user id no other test uses. */
export function newUser(): string {
  return `user-${randomUUID()}`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
