import { DEFAULT_RETRY_AFTER_SECONDS, DEFAULT_STORE_TIMEOUT_MS, type GuardOptions } from "../deadline.js";
import { isLogoutEvents, type LogoutEvents } from "../events.js";
import { SetupError, checkKnownOptions, positiveOption, type OptionNames } from "../options/index.js";
import { assertSessionStore, assertStoreCapabilities } from "../store/capabilities.js";
import { CheckedStore } from "../store/checked-store.js";
import type { CredentialSource, SessionStore, Shape, StoreCapability, UserDirectory, UserRecord } from "../types.js";

/** Options every factory takes; `U` is the host's user type, inferred from `users`. */
export interface CommonOptions<U extends UserRecord = UserRecord> {
  /** Where sessions live. Required. A store of the core methods serves every factory but `requireTotp`. */
  readonly store: SessionStore;
  /**
   * How the endpoint speaks on the wire.
   * @defaultValue `shapes.problem` (RFC 9457 problem+json)
   */
  readonly shape?: Shape;
  /** The host's callbacks (find a user, check a permission, read a TOTP secret, ...). */
  readonly users?: UserDirectory<U>;
  /**
   * Where the caller's credential is read from.
   * @defaultValue the shape's own list
   */
  readonly credentials?: readonly CredentialSource[];
  /**
   * Audit and propagation events.
   * @defaultValue none
   */
  readonly events?: LogoutEvents;
  /**
   * Milliseconds a store or host call may take before the request fails closed with a 503.
   * @defaultValue 2000
   */
  readonly timeoutMs?: number;
  /**
   * `Retry-After` seconds sent with a 503.
   * @defaultValue 5
   */
  readonly retryAfterSeconds?: number;
}

/** What a factory keeps after validating its options once. */
export interface Runtime {
  readonly store: SessionStore;
  /** The same store, every call under the deadline and every answer checked. */
  readonly calls: CheckedStore;
  readonly shape: Shape;
  readonly users: UserDirectory | undefined;
  readonly credentials: readonly CredentialSource[];
  readonly events: LogoutEvents | undefined;
  readonly guard: GuardOptions;
}

/** The option names of `CommonOptions`; each factory spreads them into its own `OptionNames`. */
export const commonOptionNames = {
  store: true,
  shape: true,
  users: true,
  credentials: true,
  events: true,
  timeoutMs: true,
  retryAfterSeconds: true,
} as const satisfies OptionNames<CommonOptions>;

/** What a factory declares besides its options: the store capabilities it needs beyond the core. */
export interface FactoryNeeds {
  readonly store?: readonly StoreCapability[];
}

/**
 * Validates a factory's options at setup, so every mistake is a `SetupError` (a `TypeError`) at boot with a
 * message that says what to do, never a surprise on the first request. Checks the store capabilities the
 * factory and each of its credential sources need.
 */
export function resolveRuntime(factory: string, options: unknown, defaultShape: Shape, known: readonly string[], needs: FactoryNeeds = {}): Runtime {
  checkKnownOptions(factory, options, known, "with at least `store`");
  const o = options as Partial<CommonOptions>;
  assertSessionStore(o.store);
  const store = o.store;
  const shape = o.shape ?? defaultShape;
  if (typeof shape !== "object" || typeof shape.ended !== "function" || typeof shape.error !== "function") {
    throw new SetupError("option-invalid", `${factory} \`shape\` must be a Shape, such as \`shapes.endor\` or \`shapes.rocketChat\`.`);
  }
  if (o.users !== undefined && (typeof o.users !== "object" || typeof o.users.findUser !== "function")) {
    throw new SetupError("option-invalid", `${factory} \`users\` must be a UserDirectory with at least \`findUser(userId)\`.`);
  }
  for (const need of shape.needs ?? []) {
    if (typeof o.users?.[need] !== "function") {
      throw new SetupError("directory-method-missing", `${factory} with shape \`${shape.name}\` needs \`users.${need}\`; pass a \`users\` directory that has it.`);
    }
  }
  const credentials = checkCredentials(factory, o.credentials ?? shape.credentials);
  assertStoreCapabilities(store, needs.store ?? [], factory);
  for (const source of credentials) assertStoreCapabilities(store, source.needs ?? [], `${factory} with the credential source \`${source.name}\``);
  if (o.events !== undefined && !isLogoutEvents(o.events)) {
    throw new SetupError("option-invalid", `${factory} \`events\` must be a \`new LogoutEvents()\`.`);
  }
  const timeoutMs = positiveOption(factory, "timeoutMs", o.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
  const retryAfterSeconds = positiveOption(factory, "retryAfterSeconds", o.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
  const guard: GuardOptions = { timeoutMs, retryAfterSeconds: Math.ceil(retryAfterSeconds), events: o.events };
  return { store, calls: new CheckedStore(store, guard), shape, users: o.users, credentials, events: o.events, guard };
}

/** A non-empty array of credential sources. */
export function checkCredentials(factory: string, credentials: unknown): readonly CredentialSource[] {
  if (
    !Array.isArray(credentials) ||
    credentials.length === 0 ||
    !credentials.every((c: unknown) => typeof c === "object" && c !== null && typeof (c as CredentialSource).read === "function")
  ) {
    throw new SetupError("option-invalid", `${factory} \`credentials\` must be a non-empty array of credential sources, such as \`[bearerToken()]\`.`);
  }
  return credentials as readonly CredentialSource[];
}

/** A copy of a runtime with other credentials, checked the same way (the browser flow's own list). */
export function withCredentials(factory: string, rt: Runtime, credentials: readonly CredentialSource[]): Runtime {
  const checked = checkCredentials(factory, credentials);
  for (const source of checked) assertStoreCapabilities(rt.store, source.needs ?? [], `${factory} with the credential source \`${source.name}\``);
  return { ...rt, credentials: checked };
}

/** The shape method a factory renders with, or a setup error naming the shape and what it lacks. */
export function shapeMethod<K extends keyof Shape>(factory: string, shape: Shape, method: K, what: string): NonNullable<Shape[K]> {
  const render = shape[method];
  if (typeof render !== "function") throw new SetupError("shape-unsupported", `${factory}: shape \`${shape.name}\` has no ${what}.`);
  return render;
}
