import { LogoutError, isLogoutError } from "./errors.js";
import type { LogoutEvents } from "./events.js";
import { failureCause } from "./failure-cause.js";

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
 * One call waiting for its answer, in its watchdog's queue (a doubly linked list in deadline order). It holds
 * what its timeout needs rather than a closure over it: one object a call, not two.
 */
interface PendingCall {
  readonly deadline: number;
  previous: PendingCall | undefined;
  next: PendingCall | undefined;
  readonly operation: string;
  readonly reject: (error: unknown) => void;
}

/**
 * The deadlines of every call made under one set of guard options (one factory). All of them get the same
 * `timeoutMs`, so the order they start in is the order they expire in: a FIFO queue with a single timer armed
 * for its head replaces a timer and a `Promise.race` per call. Adding and removing a call is O(1), and the
 * timer is re-armed only when the queue was empty or when it fires.
 */
class Watchdog {
  #head: PendingCall | undefined;
  #tail: PendingCall | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The deadline the timer was armed for: every call due by then has expired when it fires. */
  #armedFor = 0;

  constructor(private readonly options: GuardOptions) {}

  /** Queues `operation`, whose promise `reject` fails with a timeout if it has not answered by its deadline. */
  watch(operation: string, reject: (error: unknown) => void): PendingCall {
    const call: PendingCall = { deadline: Date.now() + this.options.timeoutMs, previous: this.#tail, next: undefined, operation, reject };
    if (this.#tail === undefined) this.#head = call;
    else this.#tail.next = call;
    this.#tail = call;
    // A timer still armed for an earlier call (answered since) fires no later than this call's deadline, and
    // re-arms for whatever heads the queue then. So a fast store, whose queue empties between requests, arms
    // one timer per `timeoutMs` instead of clearing and setting one per call.
    if (this.#timer === undefined) this.#arm(call.deadline, this.options.timeoutMs);
    return call;
  }

  /** Takes a call off the queue; answers `false` when it had already expired (or answered). */
  settle(call: PendingCall): boolean {
    if (call.previous === undefined && this.#head !== call) return false;
    if (call.previous === undefined) this.#head = call.next;
    else call.previous.next = call.next;
    if (call.next === undefined) this.#tail = call.previous;
    else call.next.previous = call.previous;
    call.previous = undefined;
    call.next = undefined;
    return true;
  }

  #arm(deadline: number, delay: number): void {
    this.#armedFor = deadline;
    this.#timer = setTimeout(this.#fire, delay);
    // A watchdog never keeps the process alive: a pending call of its own does, or nothing needs it.
    this.#timer.unref();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    // The timer fired for `#armedFor` even when the wall clock (faked, or stepped back) says otherwise.
    const now = Math.max(Date.now(), this.#armedFor);
    while (this.#head !== undefined && this.#head.deadline <= now) {
      const due = this.#head;
      this.settle(due);
      this.#expire(due);
    }
    if (this.#head !== undefined) this.#arm(this.#head.deadline, Math.max(1, this.#head.deadline - now));
  };

  #expire(call: PendingCall): void {
    const { timeoutMs, retryAfterSeconds, events } = this.options;
    const failure = new LogoutError("store-unavailable", `${call.operation} did not answer within ${timeoutMs} ms`, { retryAfterSeconds });
    events?.emit("store.error", { operation: call.operation, message: failure.message, at: Date.now() });
    call.reject(failure);
  }
}

/** One watchdog per guard options object, so each factory's calls share one queue and one timer. */
const watchdogs = new WeakMap<GuardOptions, Watchdog>();

function watchdogFor(options: GuardOptions): Watchdog {
  let watchdog = watchdogs.get(options);
  if (watchdog === undefined) {
    watchdog = new Watchdog(options);
    watchdogs.set(options, watchdog);
  }
  return watchdog;
}

function storeFailure(operation: string, options: GuardOptions, error: unknown): LogoutError {
  // A nested guarded call already said what failed; anything else is this operation failing. What the backend
  // said reaches the operator (`cause`), reduced to a copy that holds no secret; the client only ever sees the
  // shape's 503.
  const failure =
    isLogoutError(error) && error.code === "store-unavailable"
      ? error
      : new LogoutError("store-unavailable", `${operation} failed`, { retryAfterSeconds: options.retryAfterSeconds }, { cause: failureCause(error) });
  const cause = failure.cause instanceof Error ? failure.cause : undefined;
  options.events?.emit("store.error", { operation, message: failure.message, ...(cause === undefined ? {} : { cause }), at: Date.now() });
  return failure;
}

/**
 * Runs one store call or host callback under a deadline. A throw, a rejection or a timeout becomes a
 * `store-unavailable` LogoutError (a 503 in every shape): the library fails closed, never open. A call that
 * answers after its deadline is ignored, its late rejection included (never unhandled). A call that answers with
 * a value rather than a promise (a host's permission check over the user it was given, a directory in memory)
 * has answered before any timer could run: no deadline is armed for it.
 */
export function guarded<T>(operation: string, call: () => T | PromiseLike<T>, options: GuardOptions): Promise<T> {
  let answer: T | PromiseLike<T>;
  let then: unknown;
  try {
    answer = call();
    // A `then` getter that throws is the call failing.
    then = typeof answer === "object" || typeof answer === "function" ? (answer as { then?: unknown } | null)?.then : undefined;
  } catch (error) {
    // A callback that throws instead of rejecting is a failure all the same, never a synchronous throw.
    return Promise.reject(storeFailure(operation, options, error));
  }
  if (typeof then !== "function") return Promise.resolve(answer as T);
  const pendingAnswer = answer as PromiseLike<T>;
  const watchdog = watchdogFor(options);
  return new Promise<T>((resolve, reject) => {
    const pending = watchdog.watch(operation, reject);
    // Adopted as a promise would adopt it: a thenable that throws, or answers twice, settles once and fails closed.
    Promise.resolve(pendingAnswer).then(
      (value) => {
        if (watchdog.settle(pending)) resolve(value);
      },
      (error: unknown) => {
        if (watchdog.settle(pending)) reject(storeFailure(operation, options, error));
      },
    );
  });
}

/**
 * A store call answered from this process's memory within the same turn (`isInProcess`): no deadline could fire
 * before its answer, so none is armed, and nothing is allocated for one. A throw or a rejection still fails
 * closed, as under `guarded`.
 */
export function answeredInProcess<T>(operation: string, call: () => T | PromiseLike<T>, options: GuardOptions): Promise<T> {
  let answer: Promise<T>;
  try {
    answer = Promise.resolve(call());
  } catch (error) {
    return Promise.reject(storeFailure(operation, options, error));
  }
  return answer.then(undefined, (error: unknown) => Promise.reject(storeFailure(operation, options, error)));
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
