import { LogoutEvents } from "../events.js";
import { assertSessionStore } from "../store/contract.js";
import { DEFAULT_RETRY_AFTER_SECONDS, DEFAULT_STORE_TIMEOUT_MS, type GuardOptions } from "../store/guard.js";
import type { CredentialSource, SessionStore, Shape, UserDirectory } from "../types.js";

/** Options every factory takes. */
export interface CommonOptions {
  /** Where sessions live. Required. */
  readonly store: SessionStore;
  /** How the endpoint speaks on the wire. Default: `shapes.problem` (RFC 9457 problem+json). */
  readonly shape?: Shape;
  /** The host's callbacks (find a user, check a permission, read a TOTP secret, ...). */
  readonly users?: UserDirectory;
  /** Where the caller's credential is read from. Default: the shape's own list. */
  readonly credentials?: readonly CredentialSource[];
  /** Audit and propagation events. Default: none. */
  readonly events?: LogoutEvents;
  /** Milliseconds a store or host call may take before the request fails closed with a 503. Default 2000. */
  readonly timeoutMs?: number;
  /** `Retry-After` seconds sent with a 503. Default 5. */
  readonly retryAfterSeconds?: number;
}

/** What a factory keeps after validating its options once. */
export interface Runtime {
  readonly store: SessionStore;
  readonly shape: Shape;
  readonly users: UserDirectory | undefined;
  readonly credentials: readonly CredentialSource[];
  readonly events: LogoutEvents | undefined;
  readonly guard: GuardOptions;
}

export const commonOptionNames = ["store", "shape", "users", "credentials", "events", "timeoutMs", "retryAfterSeconds"] as const;

/**
 * Validates a factory's options at setup, so every mistake is a `TypeError` at boot with a message that says
 * what to do, never a surprise on the first request.
 */
export function resolveRuntime(
  factory: string,
  options: unknown,
  defaultShape: Shape,
  extraOptionNames: readonly string[],
): Runtime {
  if (looksLikeRequest(options)) {
    throw new TypeError(
      `express-logout: ${factory} is a factory: mount \`${factory}({ ... })\`, not \`${factory}\` itself (it was called with a request).`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`express-logout: ${factory} needs an options object with at least \`store\`.`);
  }
  const known = [...commonOptionNames, ...extraOptionNames];
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      const suggestion = closest(name, known);
      throw new TypeError(
        `express-logout: ${factory} received an unsupported option \`${name}\`.${suggestion === undefined ? "" : ` Did you mean \`${suggestion}\`?`}`,
      );
    }
  }
  const o = options as CommonOptions;
  assertSessionStore(o.store);
  const shape = o.shape ?? defaultShape;
  if (typeof shape !== "object" || typeof shape.ended !== "function" || typeof shape.error !== "function") {
    throw new TypeError(`express-logout: ${factory} \`shape\` must be a Shape, such as \`shapes.endor\` or \`shapes.rocketChat\`.`);
  }
  if (o.users !== undefined && (typeof o.users !== "object" || typeof o.users.findUser !== "function")) {
    throw new TypeError(`express-logout: ${factory} \`users\` must be a UserDirectory with at least \`findUser(userId)\`.`);
  }
  for (const need of shape.needs ?? []) {
    if (typeof o.users?.[need] !== "function") {
      throw new TypeError(`express-logout: ${factory} with shape \`${shape.name}\` needs \`users.${need}\`; pass a \`users\` directory that has it.`);
    }
  }
  const credentials = o.credentials ?? shape.credentials;
  if (!Array.isArray(credentials) || credentials.length === 0 || !credentials.every((c: CredentialSource) => typeof c.read === "function")) {
    throw new TypeError(`express-logout: ${factory} \`credentials\` must be a non-empty array of credential sources, such as \`[bearerToken()]\`.`);
  }
  if (o.events !== undefined && !(o.events instanceof LogoutEvents)) {
    throw new TypeError(`express-logout: ${factory} \`events\` must be a \`new LogoutEvents()\`.`);
  }
  const timeoutMs = positive(factory, "timeoutMs", o.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
  const retryAfterSeconds = positive(factory, "retryAfterSeconds", o.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
  return {
    store: o.store,
    shape,
    users: o.users,
    credentials,
    events: o.events,
    guard: { timeoutMs, retryAfterSeconds: Math.ceil(retryAfterSeconds), events: o.events },
  };
}

export function positive(factory: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`express-logout: ${factory} \`${name}\` must be a positive number, received ${String(value)}.`);
  }
  return value;
}

function looksLikeRequest(value: unknown): boolean {
  return typeof value === "object" && value !== null && "method" in value && "headers" in value && "url" in value;
}

/** The known name within edit distance 2 of `name`, for "Did you mean" hints. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length] ?? 0;
}
