import { SetupError } from "../options/setup-error.js";
import type { JwtRevocationStore, MarkerStore, ProviderSessionLinks, SessionLimitStore, SessionStore, StepUpStore, StoreCapability, TotpAttemptStore } from "./types.js";

/** The methods of each capability, in the order the interfaces list them. */
export const storeCapabilityMethods = {
  /** The core every store implements. */
  sessions: ["createSession", "getSession", "findSessionByTokenHash", "listSessions", "revokeSession", "revokeUserSessions"],
  /** Records activity (`requireSession({ touchEveryMs })`, idle timeouts). */
  touch: ["touchSession"],
  /** Finds and ends the caller's own session, or its user's sessions ("all", "others"), in one call. */
  "end-by-token": ["endSessionByTokenHash", "endUserSessionsByTokenHash"],
  /** Reads and ends a session named by id (with a one-time marker, if asked) in one call. */
  "end-by-id": ["endSessionById"],
  /** Runs a TOTP attempt (the throttle, the single-use claim, the step-up) in one call. */
  "totp-attempt": ["attemptTotp"],
  /** One-time markers and counters with a TTL (TOTP, logout-token replay). */
  markers: ["claim", "isClaimed", "incrementCounter", "readCounter"],
  /** The JWT deny-list and per-user cut-off. */
  "jwt-revocation": ["denyJwt", "revokeJwtsIssuedBefore", "jwtRevocation"],
  /** Records a fresh proof of the user in a session (`requireRecentAuth`). */
  "step-up": ["recordAuthentication"],
  /** Caps a user's sessions atomically (`maxSessionsPerUser`). */
  "session-limit": ["createSessionWithinLimit"],
  /** Links sessions to an OpenID Provider's session (back-channel logout). */
  "provider-links": ["linkProviderSession", "findSessionsByProviderSid", "findSessionsByProviderSubject"],
} as const satisfies {
  readonly sessions: readonly (keyof SessionStore)[];
  readonly touch: readonly (keyof SessionStore)[];
  readonly "end-by-token": readonly (keyof SessionStore)[];
  readonly "end-by-id": readonly (keyof SessionStore)[];
  readonly "totp-attempt": readonly (keyof TotpAttemptStore)[];
  readonly markers: readonly (keyof MarkerStore)[];
  readonly "jwt-revocation": readonly (keyof JwtRevocationStore)[];
  readonly "step-up": readonly (keyof StepUpStore)[];
  readonly "session-limit": readonly (keyof SessionLimitStore)[];
  readonly "provider-links": readonly (keyof ProviderSessionLinks)[];
};

/** The methods every `SessionStore` must have (the core); `touchSession` is optional and not among them. */
export const sessionStoreMethods = storeCapabilityMethods.sessions;

/**
 * The methods of every capability `MemorySessionStore` and `RedisSessionStore` both implement, the optional
 * `endSessionById` included. The optional `endSessionByTokenHash` and `endUserSessionsByTokenHash`, which both
 * have too, are not listed: a store copied from this list ends a logout through a lookup and a revoke.
 */
export const allStoreMethods = [
  ...storeCapabilityMethods.sessions,
  ...storeCapabilityMethods.touch,
  ...storeCapabilityMethods["end-by-id"],
  ...storeCapabilityMethods.markers,
  ...storeCapabilityMethods["jwt-revocation"],
  ...storeCapabilityMethods["step-up"],
  ...storeCapabilityMethods["session-limit"],
  ...storeCapabilityMethods["provider-links"],
] as const;

/** How to add each capability, for the setup message that asks for it. */
const howToAdd: Readonly<Record<StoreCapability, string>> = {
  sessions: "implement the core `SessionStore` methods",
  touch: "implement `touchSession(id, at)`",
  "end-by-token": "implement `endSessionByTokenHash(tokenHash)` and `endUserSessionsByTokenHash(tokenHash, { keepCaller })`",
  "end-by-id": "implement `endSessionById(id, { userId, marker })`",
  "totp-attempt": "implement `attemptTotp(attempt)` (docs/custom-store.md), or leave it out: `requireTotp` then runs the attempt through the markers",
  markers: "implement the `MarkerStore` methods (`claim`, `isClaimed`, `incrementCounter`, `readCounter`), for example as the add-on table of examples/postgres-store.ts, or use `MemorySessionStore` / `RedisSessionStore`",
  "jwt-revocation":
    "implement the `JwtRevocationStore` methods (`denyJwt`, `revokeJwtsIssuedBefore`, `jwtRevocation`), for example as the add-on table of examples/postgres-store.ts, or use `MemorySessionStore` / `RedisSessionStore`",
  "step-up": "implement `recordAuthentication(id, at, method)` (docs/session-lifetime.md), or use `MemorySessionStore` / `RedisSessionStore`",
  "session-limit": "implement `createSessionWithinLimit(session, limit)` atomically (docs/session-lifetime.md), or use `MemorySessionStore` / `RedisSessionStore`",
  "provider-links":
    "implement the `ProviderSessionLinks` methods (`linkProviderSession`, `findSessionsByProviderSid`, `findSessionsByProviderSubject`; docs/oidc-logout.md), or use `MemorySessionStore` / `RedisSessionStore`",
};

const capabilityNames: Readonly<Record<StoreCapability, string>> = {
  sessions: "the core SessionStore",
  touch: "touchSession",
  "end-by-token": "endSessionByTokenHash and endUserSessionsByTokenHash",
  "end-by-id": "endSessionById",
  "totp-attempt": "attemptTotp",
  markers: "the markers and counters capability (MarkerStore)",
  "jwt-revocation": "the JWT revocation capability (JwtRevocationStore)",
  "step-up": "the step-up capability (StepUpStore: recordAuthentication), or no session could ever become fresh again",
  "session-limit": "the session limit capability (SessionLimitStore: createSessionWithinLimit)",
  "provider-links": "the provider-session links capability (ProviderSessionLinks)",
};

function missingMethods(store: object, capability: StoreCapability): string[] {
  const record = store as Record<string, unknown>;
  return storeCapabilityMethods[capability].filter((name) => typeof record[name] !== "function");
}

/** Whether `store` implements every method of `capability`. */
export function hasStoreCapability(store: unknown, capability: StoreCapability): boolean {
  return typeof store === "object" && store !== null && missingMethods(store, capability).length === 0;
}

/**
 * Throws a `SetupError` that names every missing method when `store` is not a `SessionStore` (the core).
 * Factories call it once, at setup, so a wrong store fails at boot instead of on the first logout.
 */
export function assertSessionStore(store: unknown, optionName = "store"): asserts store is SessionStore {
  if (typeof store !== "object" || store === null) {
    throw new SetupError(
      "option-required",
      `\`${optionName}\` is required and must be a SessionStore (for example \`new MemorySessionStore()\`), received ${store === null ? "null" : typeof store}.`,
    );
  }
  const missing = missingMethods(store, "sessions");
  if (missing.length > 0) {
    throw new SetupError(
      "store-invalid",
      `\`${optionName}\` is not a SessionStore: it lacks ${missing.map((m) => `\`${m}\``).join(", ")}. ` +
        "Implement every method of the SessionStore interface, and check it with express-logout/testing.",
    );
  }
}

/**
 * Throws a `SetupError` naming the first capability in `needs` that `store` lacks, what needs it and how to
 * add it. `who` is the factory or credential source, e.g. `"requireTotp"` or `"jwtBearer (in credentials)"`.
 */
export function assertStoreCapabilities(store: SessionStore, needs: readonly StoreCapability[], who: string, optionName = "store"): void {
  for (const capability of needs) {
    const missing = missingMethods(store, capability);
    if (missing.length === 0) continue;
    throw new SetupError(
      "store-capability-missing",
      `${who} needs ${capabilityNames[capability]}, and \`${optionName}\` lacks ${missing.map((m) => `\`${m}\``).join(", ")}: ${howToAdd[capability]}.`,
    );
  }
}
