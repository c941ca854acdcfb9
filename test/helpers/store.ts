import { MemorySessionStore, allStoreMethods, storeCapabilityMethods, type SessionRecord, type CompleteSessionStore } from "../../src/index.js";

/** The CompleteSessionStore methods, as MemorySessionStore implements them, its one-call endings and TOTP attempt included. */
function storeMethodNames(): RecordedMethod[] {
  return [...allStoreMethods, ...storeCapabilityMethods["end-by-token"], "attemptTotp" as const].filter((name) => typeof Object.getOwnPropertyDescriptor(MemorySessionStore.prototype, name)?.value === "function");
}

/** The methods a RecordingStore records: every store method, and the memory store's one-call TOTP attempt. */
type RecordedMethod = keyof CompleteSessionStore | "attemptTotp";

const mutating = new Set<RecordedMethod>([
  "createSession",
  "touchSession",
  "recordAuthentication",
  "createSessionWithinLimit",
  "revokeSession",
  "revokeUserSessions",
  "claim",
  "incrementCounter",
  // Counts the attempt (and may spend a step and record a step-up).
  "attemptTotp",
  "denyJwt",
  "revokeJwtsIssuedBefore",
]);

/**
 * A real MemorySessionStore that records every call that could change it. Rejection tests assert
 * `store.mutations` is empty: the refusal changed nothing.
 */
export class RecordingStore extends MemorySessionStore {
  readonly mutations: string[] = [];
  readonly calls: string[] = [];
  /** Every call with its arguments, for tests that check what the store was asked (never a raw token). */
  readonly log: { readonly method: RecordedMethod; readonly args: readonly unknown[] }[] = [];

  constructor() {
    super({ sweepIntervalMs: 60_000 });
    for (const name of storeMethodNames()) {
      const original = Object.getOwnPropertyDescriptor(MemorySessionStore.prototype, name)?.value as unknown;
      (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        this.calls.push(name);
        this.log.push({ method: name, args });
        if (mutating.has(name)) this.mutations.push(name);
        const answer = (original as (...a: unknown[]) => unknown).apply(this, args);
        // The one-call endings look the session up themselves: a call that ended nothing (another user's session,
        // an unknown id or token) changed nothing, so only one that answers a session counts as a change.
        if (name === "endSessionById" || name === "endSessionByTokenHash" || name === "endUserSessionsByTokenHash") {
          return Promise.resolve(answer).then((ended) => {
            if (ended !== undefined && ended !== null) this.mutations.push(name);
            return ended;
          });
        }
        return answer;
      };
    }
  }

  /** Forgets the calls made so far (setup, logins), so a test sees only its own. */
  reset(): void {
    this.mutations.length = 0;
    this.calls.length = 0;
    this.log.length = 0;
  }

  /** Every live session of these users, sorted by id: compare before and after a request. */
  async snapshot(...userIds: string[]): Promise<SessionRecord[]> {
    const all = (await Promise.all(userIds.map((u) => this.listSessions(u)))).flat();
    return all.sort((a, b) => a.id.localeCompare(b.id));
  }
}

/**
 * A RecordingStore without the one-call TOTP attempt, as a custom store with markers alone is: `requireTotp`
 * then runs the attempt through `claim`, `isClaimed`, `incrementCounter` and `readCounter`, which are recorded.
 */
export class MarkerPathRecordingStore extends RecordingStore {
  constructor() {
    super();
    (this as unknown as { attemptTotp: undefined }).attemptTotp = undefined;
  }
}

/** A store whose every call fails the way a broken backend does: `throw` rejects, `hang` never settles. */
export function brokenStore(mode: "throw" | "hang", base: CompleteSessionStore = new MemorySessionStore()): CompleteSessionStore & { failing: boolean } {
  const wrapper = { failing: true } as CompleteSessionStore & { failing: boolean };
  for (const name of storeMethodNames()) {
    const original = (base as unknown as Record<string, unknown>)[name];
    (wrapper as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      if (!wrapper.failing) return (original as (...a: unknown[]) => unknown).apply(base, args);
      if (mode === "throw") return Promise.reject(new Error("ECONNREFUSED store down"));
      return new Promise(() => undefined);
    };
  }
  return wrapper;
}

/**
 * The store as a custom store without the one-call endings is (`endSessionByTokenHash` and
 * `endUserSessionsByTokenHash` hidden): a logout then finds the session first and revokes it after.
 */
export function withoutOneCallEnding<S extends object>(store: S): S {
  return new Proxy(store, {
    get(target, name) {
      if (name === "endSessionByTokenHash" || name === "endUserSessionsByTokenHash") return undefined;
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
