import type { LogoutEvents } from "./events.js";
import { DEFAULT_RETRY_AFTER_SECONDS, DEFAULT_STORE_TIMEOUT_MS, guarded } from "./deadline.js";

/** Options of `withDeadline`. */
export interface WithDeadlineOptions {
  /**
   * Milliseconds the call may take.
   * @defaultValue 2000, the factories' `timeoutMs` default
   */
  readonly timeoutMs?: number;
  /**
   * `Retry-After` seconds the `store-unavailable` error carries.
   * @defaultValue 5
   */
  readonly retryAfterSeconds?: number;
  /**
   * Where a failure or timeout is told as `store.error`.
   * @defaultValue nowhere
   */
  readonly events?: LogoutEvents;
}

/**
 * Runs one of your own store or directory calls (a login's `issueSession`, a page that lists sessions) under
 * the same deadline the library's routes use: a call that fails, rejects or takes longer than `timeoutMs`
 * rejects with a `store-unavailable` LogoutError (answer it 503 with `Retry-After`) and a `store.error` event,
 * so a frozen store never hangs a request. A late answer is dropped; the call itself is not cancelled.
 *
 * ```ts
 * const { token } = await withDeadline("createSession", () => issueSession(store, { userId }), { events });
 * ```
 */
export function withDeadline<T>(operation: string, call: () => Promise<T>, options: Readonly<WithDeadlineOptions> = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  const retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  for (const [name, value] of [["timeoutMs", timeoutMs], ["retryAfterSeconds", retryAfterSeconds]] as const) {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new TypeError(`express-logout: withDeadline \`${name}\` must be a positive number, received ${String(value)}.`);
    }
  }
  if (typeof call !== "function") throw new TypeError("express-logout: withDeadline needs the call as a function, e.g. `() => issueSession(store, { userId })`.");
  return guarded(operation, call, { timeoutMs, retryAfterSeconds: Math.ceil(retryAfterSeconds), events: options.events });
}
