import { answeredInProcess, guarded, malformedAnswer, type GuardOptions } from "../deadline.js";
import { isInProcess } from "./in-process.js";
import { constantTimeEqual } from "../secrets.js";
import { isSessionLive } from "../lifetime/deadlines.js";
import { isAbsent, isCount, isSessionRecord } from "./answers.js";
import type { EndedUserSessions, EndSessionByIdOptions, EndSessionByTokenOptions, TotpAttempt, TotpAttemptResult, TotpAttemptStore, MarkerStore, RevokeUserSessionsOptions, SessionRecord, SessionStore, StepUpStore } from "./types.js";

/**
 * The store as the handlers use it: every call under the deadline, every answer checked against the contract
 * (`answers.ts`). Built once per factory. Marker methods are only reached by factories that checked the
 * `markers` capability at setup.
 */
export class CheckedStore {
  readonly store: SessionStore;
  readonly guard: GuardOptions;

  constructor(store: SessionStore, guard: GuardOptions) {
    this.store = store;
    this.guard = guard;
  }

  /** Runs any other call (a host callback, a principal's `end`) under the same deadline; a host callback may answer at once. */
  run<T>(operation: string, call: () => T | PromiseLike<T>): Promise<T> {
    return guarded(operation, call, this.guard);
  }

  /**
   * Calls the store's method `operation` through `call`: under the deadline, unless the method is one that answers
   * in-process (the memory store's own), which no deadline could outrun. Looked up on every call, so a method
   * replaced since setup (a wrapper, a spy) is guarded again at once.
   */
  #ask<T>(operation: string, call: () => T | PromiseLike<T>): Promise<T> {
    const method: unknown = (this.store as unknown as Record<string, unknown>)[operation];
    return isInProcess(method) ? answeredInProcess(operation, call, this.guard) : guarded(operation, call, this.guard);
  }

  /** The live session with this id, or `undefined`. A record for another id or past its idle or absolute end is not it. */
  async getSession(id: string): Promise<SessionRecord | undefined> {
    const answer: unknown = await this.#ask("getSession", () => this.store.getSession(id));
    const session = this.#session("getSession", answer);
    return session !== undefined && session.id === id && isSessionLive(session) ? session : undefined;
  }

  /**
   * The live session whose token hashes to `tokenHash`, or `undefined`. The store found it by hash; the hash is
   * compared again in constant time so a store that matches loosely cannot let a near-miss through, and an
   * expired one (idle or absolute) is refused whatever the store says.
   */
  async findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const answer: unknown = await this.#ask("findSessionByTokenHash", () => this.store.findSessionByTokenHash(tokenHash));
    const session = this.#session("findSessionByTokenHash", answer);
    if (session === undefined || !constantTimeEqual(session.tokenHash, tokenHash) || !isSessionLive(session)) return undefined;
    return session;
  }

  /** The user's live sessions. Not an array, or an entry that is not a record: a broken store. */
  async listSessions(userId: string): Promise<SessionRecord[]> {
    const answer: unknown = await this.#ask("listSessions", () => this.store.listSessions(userId));
    if (!Array.isArray(answer) || !answer.every(isSessionRecord)) throw malformedAnswer("listSessions", this.guard);
    const now = Date.now();
    return (answer).filter((s) => s.userId === userId && isSessionLive(s, now));
  }

  /** Whether the store ends a session by token hash in one call (`endSessionByTokenHash`). */
  get endsByTokenHash(): boolean {
    return typeof this.store.endSessionByTokenHash === "function";
  }

  /**
   * Ends the live session whose token hashes to `tokenHash` and answers it as it was, or `undefined`. Only for a
   * store with `endSessionByTokenHash`. A record for another token hash is a broken store (a 503): the store
   * may have ended the wrong session, and nothing here may claim success for it.
   */
  async endSessionByTokenHash(tokenHash: string, options: EndSessionByTokenOptions = {}): Promise<SessionRecord | undefined> {
    const store = this.store;
    // The options hold only the marker: without one the store is asked as `(tokenHash)`.
    const answer: unknown = await this.#ask(
      "endSessionByTokenHash",
      () => (options.marker === undefined ? store.endSessionByTokenHash?.(tokenHash) : store.endSessionByTokenHash?.(tokenHash, options)) ?? Promise.resolve(undefined),
    );
    const session = this.#session("endSessionByTokenHash", answer);
    if (session === undefined) return undefined;
    if (!constantTimeEqual(session.tokenHash, tokenHash)) throw malformedAnswer("endSessionByTokenHash", this.guard);
    // An expired session was no longer live: whatever the store removed, nothing was logged out.
    return isSessionLive(session) ? session : undefined;
  }

  /** Whether the store ends a user's sessions by token hash in one call (`endUserSessionsByTokenHash`). */
  get endsUserSessionsByTokenHash(): boolean {
    return typeof this.store.endUserSessionsByTokenHash === "function";
  }

  /**
   * Ends the sessions of the user of the live session whose token hashes to `tokenHash` (that one too unless
   * `keepCaller`), answering that session and how many ended, or `undefined`. Only for a store with
   * `endUserSessionsByTokenHash`. A record for another token hash, or a count that is not one, is a broken store
   * (a 503). The store decided liveness on this process's clock (it is given `now`), so it is not asked again:
   * sessions it ended are reported, never hidden behind a refusal.
   */
  async endUserSessionsByTokenHash(tokenHash: string, keepCaller: boolean): Promise<EndedUserSessions | undefined> {
    const store = this.store;
    const operation = "endUserSessionsByTokenHash";
    const answer: unknown = await this.#ask(operation, () => store.endUserSessionsByTokenHash?.(tokenHash, { keepCaller }) ?? Promise.resolve(undefined));
    if (isAbsent(answer)) return undefined;
    if (typeof answer !== "object") throw malformedAnswer(operation, this.guard);
    const { session, ended } = answer as Record<string, unknown>;
    if (!isSessionRecord(session) || !isCount(ended) || !constantTimeEqual(session.tokenHash, tokenHash)) throw malformedAnswer(operation, this.guard);
    return { session, ended };
  }

  /** Whether the store reads and ends a session named by id in one call (`endSessionById`). */
  get endsById(): boolean {
    return typeof this.store.endSessionById === "function";
  }

  /**
   * Ends the live session with this id (only `userId`'s, when given), with `marker` claimed alongside, and answers
   * it as it was, or `undefined`. Only for a store with `endSessionById`. A record for another id or another user
   * is a broken store (a 503): it may have ended the wrong session, and nothing here may claim success for it.
   */
  async endSessionById(id: string, options: EndSessionByIdOptions): Promise<SessionRecord | undefined> {
    const store = this.store;
    const answer: unknown = await this.#ask("endSessionById", () => store.endSessionById?.(id, options) ?? Promise.resolve(undefined));
    const session = this.#session("endSessionById", answer);
    if (session === undefined) return undefined;
    if (session.id !== id || (options.userId !== undefined && session.userId !== options.userId)) throw malformedAnswer("endSessionById", this.guard);
    // An expired session was no longer live: whatever the store removed, nothing was logged out.
    return isSessionLive(session) ? session : undefined;
  }

  /** Whether the store runs a TOTP attempt in one call (`attemptTotp`). */
  get attemptsTotpInOneCall(): boolean {
    return typeof (this.store as Partial<TotpAttemptStore>).attemptTotp === "function";
  }

  /**
   * One TOTP attempt in one store call. Only for a store with `attemptTotp`. An outcome that is not one of the
   * four, a count that is not one, or a `steppedUp` that is not a boolean, is a broken store (a 503): nothing may
   * pass on an answer it cannot read. `steppedUp` is kept only when the attempt asked for a step-up.
   */
  async attemptTotp(attempt: TotpAttempt): Promise<TotpAttemptResult> {
    const store = this.store as Partial<TotpAttemptStore>;
    const answer: unknown = await this.#ask("attemptTotp", () => store.attemptTotp?.(attempt) ?? Promise.reject(new Error("attemptTotp is missing")));
    if (typeof answer === "object" && answer !== null) {
      const { outcome, retryAfterMs, failures, steppedUp } = answer as Record<string, unknown>;
      if (outcome === "throttled" && isCount(retryAfterMs)) return { outcome, retryAfterMs };
      // A step-up answer that is not a boolean is no answer: only `true` says the session was made fresh.
      if (outcome === "passed" && isCount(failures) && attempt.stepUp !== undefined && steppedUp !== undefined) {
        if (typeof steppedUp !== "boolean") throw malformedAnswer("attemptTotp", this.guard);
        return { outcome, failures, steppedUp };
      }
      if ((outcome === "passed" || outcome === "wrong" || outcome === "replayed") && isCount(failures)) return { outcome, failures };
    }
    throw malformedAnswer("attemptTotp", this.guard);
  }

  revokeSession(id: string): Promise<boolean> {
    return this.#boolean("revokeSession", () => this.store.revokeSession(id));
  }

  revokeUserSessions(userId: string, options: RevokeUserSessionsOptions): Promise<number> {
    return this.#count("revokeUserSessions", () => this.store.revokeUserSessions(userId, options));
  }

  async touchSession(id: string, at: number): Promise<void> {
    const store = this.store;
    if (store.touchSession === undefined) return;
    await this.#ask("touchSession", () => store.touchSession?.(id, at) ?? Promise.resolve());
  }

  /** Records a step-up on a live session (`StepUpStore`); answers whether it was live. Reached only with the capability. */
  recordAuthentication(id: string, at: number, method: string): Promise<boolean> {
    return this.#boolean("recordAuthentication", () => (this.store as SessionStore & StepUpStore).recordAuthentication(id, at, method));
  }

  claim(key: string, ttlMs: number): Promise<boolean> {
    // Only a literal `true` is a first use: a store answering `1` or `"OK"` for every claim would let a code be replayed.
    return this.#boolean("claim", () => this.#markers().claim(key, ttlMs));
  }

  isClaimed(key: string): Promise<boolean> {
    return this.#boolean("isClaimed", () => this.#markers().isClaimed(key));
  }

  incrementCounter(key: string, windowMs: number): Promise<number> {
    return this.#count("incrementCounter", () => this.#markers().incrementCounter(key, windowMs));
  }

  readCounter(key: string): Promise<number> {
    // A counter store that answers anything but a count cannot throttle: fail closed, never guess unlimited.
    return this.#count("readCounter", () => this.#markers().readCounter(key));
  }

  #session(operation: string, answer: unknown): SessionRecord | undefined {
    if (isAbsent(answer)) return undefined;
    if (!isSessionRecord(answer)) throw malformedAnswer(operation, this.guard);
    return answer;
  }

  async #boolean(operation: string, call: () => Promise<unknown>): Promise<boolean> {
    const answer = await this.#ask(operation, call);
    if (typeof answer !== "boolean") throw malformedAnswer(operation, this.guard);
    return answer;
  }

  async #count(operation: string, call: () => Promise<unknown>): Promise<number> {
    const answer = await this.#ask(operation, call);
    if (!isCount(answer)) throw malformedAnswer(operation, this.guard);
    return answer;
  }

  #markers(): MarkerStore {
    return this.store as SessionStore & MarkerStore;
  }
}
