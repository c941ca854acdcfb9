import { describe, expect, it } from "vitest";
import { assertSessionStore, assertStoreCapabilities } from "../store/capabilities.js";
import type { CompleteSessionStore, JwtRevocationStore, MarkerStore, SessionLimitStore, SessionStore, StepUpStore, StoreCapability } from "../types.js";
import { coreStoreTests } from "./core.js";
import { sampleSession, useStoreInstance, type ConformanceOptions, type StoreInstance } from "./instance.js";
import { jwtRevocationStoreTests } from "./jwt-revocation.js";
import { lifetimeCoreTests, lifetimeTouchTests, sessionLimitStoreTests, stepUpStoreTests } from "./lifetime.js";
import { markerStoreTests } from "./markers.js";
import { providerLinkStoreTests } from "./provider-links.js";
import { touchStoreTests } from "./touch.js";
import { endByTokenStoreTests } from "./end-by-token.js";
import { endByIdStoreTests } from "./end-by-id.js";
import { totpAttemptStoreTests } from "./totp-attempt.js";
import { describeRevocationFeedConformance } from "./revocation-feed.js";
import { describeSessionDirectoryConformance } from "./session-directory.js";

export { sampleSession, type ConformanceOptions } from "./instance.js";
export { nilAsUndefined } from "./send-command.js";

/** The capabilities beyond the core a store claims to have, for `describeSessionStoreConformance`. */
export type OptionalCapability = Exclude<StoreCapability, "sessions">;

/** What `describeSessionStoreConformance` takes: how to make the store, and which capabilities to test. */
export interface SessionStoreConformanceOptions<S extends SessionStore = SessionStore> extends ConformanceOptions<S> {
  /**
   * The capabilities beyond the core to test as well.
   * @defaultValue the ones both built-in stores have (`["touch",
   * "markers", "jwt-revocation", "step-up", "session-limit"]`); add `"end-by-token"` for a store with
   * `endSessionByTokenHash`, `"end-by-id"` for one with `endSessionById`, `"totp-attempt"` for one with
   * `attemptTotp`, and `"provider-links"` for one that
   * links sessions to an OpenID Provider's
   * (back-channel logout); `[]` for a store of the core methods only
   */
  readonly capabilities?: readonly OptionalCapability[];
}

/** The default: what the built-in stores both implement. `"provider-links"`, `"end-by-token"`, `"end-by-id"` and `"totp-attempt"` are asked for by name. */
const DEFAULT_CAPABILITIES: readonly OptionalCapability[] = ["touch", "markers", "jwt-revocation", "step-up", "session-limit"];

/**
 * Runs the `SessionStore` contract under vitest against the stores `createStore` makes: the core (lookups of
 * unknown ids, create/get/list field for field, token lookup, revoke one (idempotent), revoke all, all but one
 * and an API key's, TTL expiry by every index, uniqueness of ids and token hashes, the races), and each
 * capability in `capabilities`: `touchSession`; `endSessionByTokenHash` and `endSessionById`; `attemptTotp` (the throttle's rules, single-use codes under concurrency, the step-up); markers and counters (claims won by exactly one of many
 * concurrent callers, exact counters, `isClaimed`); the JWT deny-list and cut-off; the step-up record; the per-user
 * session limit under concurrent logins; provider-session links found by `(iss, sid)` and `(iss, sub)`. The
 * session lifetime (idle timeout, absolute expiry, activity moving the idle deadline) runs on a fake clock, in the
 * core and with `touch`. With `sharedBackend`, also that
 * a change through one instance is seen by another at once. A store that passes behaves like the built-in ones
 * for every factory of the library that its capabilities serve. docs/custom-store.md walks through writing one.
 *
 * ```ts
 * import { describeSessionStoreConformance } from "express-logout/testing";
 * describeSessionStoreConformance("PostgresSessionStore", { createStore: () => new PostgresSessionStore(pool), sharedBackend: true, capabilities: [] });
 * ```
 */
export function describeSessionStoreConformance<S extends SessionStore>(name: string, options: SessionStoreConformanceOptions<S>): void {
  const capabilities = options.capabilities ?? DEFAULT_CAPABILITIES;
  describe(`${name} conforms to SessionStore`, () => {
    const instance = useStoreInstance(options);
    it("has every method of the interface", () => {
      expect(() => {
        assertSessionStore(instance.store());
        assertStoreCapabilities(instance.store(), capabilities, `${name} (capabilities: ${capabilities.join(", ") || "core only"})`);
      }).not.toThrow();
    });
    coreStoreTests(instance);
    lifetimeCoreTests(instance);
    // The capability suites reach methods the assertion above has just checked.
    const full = instance as unknown as Parameters<typeof markerStoreTests>[0] &
      Parameters<typeof jwtRevocationStoreTests>[0] &
      Parameters<typeof touchStoreTests>[0] &
      Parameters<typeof endByTokenStoreTests>[0] &
      Parameters<typeof endByIdStoreTests>[0] &
      Parameters<typeof totpAttemptStoreTests>[0] &
      StoreInstance<SessionStore & StepUpStore & SessionLimitStore> &
      Parameters<typeof providerLinkStoreTests>[0];
    if (capabilities.includes("touch")) touchStoreTests(full);
    if (capabilities.includes("touch")) lifetimeTouchTests(full);
    if (capabilities.includes("end-by-token")) endByTokenStoreTests(full);
    if (capabilities.includes("end-by-id")) endByIdStoreTests(full);
    if (capabilities.includes("totp-attempt")) totpAttemptStoreTests(full, { stepUp: capabilities.includes("step-up") });
    if (capabilities.includes("step-up")) stepUpStoreTests(full);
    if (capabilities.includes("session-limit")) sessionLimitStoreTests(full);
    if (capabilities.includes("markers")) markerStoreTests(full);
    if (capabilities.includes("jwt-revocation")) jwtRevocationStoreTests(full);
    if (capabilities.includes("provider-links")) providerLinkStoreTests(full);
    // The administrator's capability: run for a store that has it, each test skipping (saying why) otherwise.
    describeSessionDirectoryConformance(instance.store, sampleSession);
    describeRevocationFeedConformance({
      store: instance.store,
      otherInstance: instance.sharedBackend ? instance.another : undefined,
      sample: sampleSession,
    });
  });
}

/** Only the markers and counters capability (`MarkerStore`), for a store that adds it to a core tested elsewhere. */
export function describeMarkerStoreConformance<S extends SessionStore & MarkerStore>(name: string, options: ConformanceOptions<S>): void {
  describe(`${name} conforms to MarkerStore`, () => {
    markerStoreTests(useStoreInstance(options));
  });
}

/** Only the JWT revocation capability (`JwtRevocationStore`). */
export function describeJwtRevocationStoreConformance<S extends SessionStore & JwtRevocationStore>(name: string, options: ConformanceOptions<S>): void {
  describe(`${name} conforms to JwtRevocationStore`, () => {
    jwtRevocationStoreTests(useStoreInstance(options));
  });
}

export type { CompleteSessionStore };
