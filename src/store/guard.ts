import { LogoutError } from "../errors.js";
import type { LogoutEvents } from "../events.js";
import { failureCause } from "../failure-cause.js";

/** Default time a store (or host callback) gets before the request fails closed with a 503. */
export const DEFAULT_STORE_TIMEOUT_MS = 2_000;
/** Default `Retry-After` on a 503, in seconds. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export interface GuardOptions {
  readonly timeoutMs: number;
  readonly retryAfterSeconds: number;
  readonly events: LogoutEvents | undefined;
}

/**
 * Runs one store or directory call under a deadline. A throw, a rejection or a timeout becomes a
 * `store-unavailable` LogoutError (a 503 in every shape): the library fails closed, never open.
 */
export async function guarded<T>(operation: string, call: () => Promise<T>, options: GuardOptions): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new LogoutError("store-unavailable", `${operation} did not answer within ${options.timeoutMs} ms`, {
        retryAfterSeconds: options.retryAfterSeconds,
      }));
    }, options.timeoutMs);
  });
  // The call may settle after the deadline won; swallow that late rejection so it is never unhandled.
  const pending = Promise.resolve().then(call);
  pending.catch(() => undefined);
  try {
    return await Promise.race([pending, deadline]);
  } catch (error) {
    // What the backend said reaches the operator (`cause`), reduced to a copy that holds no secret; the client
    // only ever sees the shape's 503.
    const failure =
      error instanceof LogoutError && error.code === "store-unavailable"
        ? error
        : new LogoutError("store-unavailable", `${operation} failed`, { retryAfterSeconds: options.retryAfterSeconds }, { cause: failureCause(error) });
    const cause = failure.cause instanceof Error ? failure.cause : undefined;
    options.events?.emit("store.error", { operation, message: failure.message, ...(cause === undefined ? {} : { cause }), at: Date.now() });
    throw failure;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A store (or host) call that answered a value of the wrong type: a broken backend. It fails closed like any
 * store error (a 503, and a `store.error` event so an operator hears of it), never as a pass.
 */
export function malformedAnswer(operation: string, options: GuardOptions): LogoutError {
  const failure = new LogoutError("store-unavailable", `${operation} answered a malformed value`, { retryAfterSeconds: options.retryAfterSeconds });
  options.events?.emit("store.error", { operation, message: failure.message, at: Date.now() });
  return failure;
}
