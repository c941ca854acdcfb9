import type { SessionData } from "./session-data.js";

type Callback = (err?: unknown, value?: unknown) => void;

/** The callback methods of an express-session store that tracking calls on the app's own store. */
export interface InnerSessionStore {
  get(sid: string, callback: (err: unknown, session?: unknown) => void): unknown;
  set(sid: string, session: unknown, callback?: (err?: unknown) => void): unknown;
  destroy(sid: string, callback?: (err?: unknown) => void): unknown;
  touch?(sid: string, session: unknown, callback?: (err?: unknown) => void): unknown;
}

/**
 * Calls one callback-style store method as a promise. Stores such as connect-redis also return a promise of
 * their own; the callback is what counts, and a second settlement is ignored.
 */
function viaCallback(run: (callback: Callback) => unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback: Callback = (err, value) => {
      if (err !== undefined && err !== null) reject(err instanceof Error ? err : new Error("the session store failed", { cause: err }));
      else resolve(value);
    };
    try {
      const returned = run(callback);
      if (returned instanceof Promise) returned.catch(() => undefined);
    } catch (error) {
      reject(error instanceof Error ? error : new Error("the session store failed", { cause: error }));
    }
  });
}

/** The app's store, as promises. Its calls keep the app's own timing: express-session puts no deadline on them either. */
export class InnerStore {
  readonly #store: InnerSessionStore;

  constructor(store: InnerSessionStore) {
    this.#store = store;
  }

  /** The stored session, or `null`; an `ENOENT` error means "not found", as express-session reads it. */
  async get(sid: string): Promise<SessionData | null> {
    try {
      const data = await viaCallback((cb) => this.#store.get(sid, cb));
      return typeof data === "object" && data !== null ? (data as SessionData) : null;
    } catch (error) {
      if ((error as { code?: unknown }).code === "ENOENT") return null;
      throw error;
    }
  }

  async set(sid: string, data: SessionData): Promise<void> {
    await viaCallback((cb) => this.#store.set(sid, data, cb));
  }

  async destroy(sid: string): Promise<void> {
    await viaCallback((cb) => this.#store.destroy(sid, cb));
  }

  /** Resets the store's idle timer; a store without `touch` has nothing to reset. */
  async touch(sid: string, data: SessionData): Promise<void> {
    const store = this.#store;
    if (typeof store.touch !== "function") return;
    await viaCallback((cb) => store.touch?.(sid, data, cb));
  }
}
