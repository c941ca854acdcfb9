import { revokeUserJwts, type JwtRevocationOptions } from "./credentials/jwt/index.js";
import { LogoutEvents } from "./events.js";
import { SetupError, checkKnownOptions, optionNames } from "./options/index.js";
import { assertSessionStore, hasStoreCapability } from "./store/capabilities.js";
import type { EpochMs, JwtRevocationStore, SessionStore } from "./types.js";

/** Why a user's sessions end after a credential change; any other short name works too. */
export type CredentialChangeReason =
  | "password-changed"
  | "password-reset"
  | "totp-enrolled"
  | "totp-removed"
  | "passkey-changed"
  | "account-disabled"
  | "account-deleted"
  | (string & NonNullable<unknown>);

/** Which user's sessions `endSessionsAfterCredentialChange` ends, and which one it keeps. */
export interface EndSessionsAfterCredentialChangeOptions {
  /** The user whose credential changed. Required. */
  readonly userId: string;
  /**
   * The session to keep: the one the user changed the credential from, so they stay signed in there. Leave it out
   * when the account is disabled or deleted: then every session ends (ASVS 7.4.2).
   */
  readonly keep?: string;
  /**
   * What happened, for the audit log.
   * @defaultValue `"credentials-changed"`
   */
  readonly reason?: CredentialChangeReason;
  /**
   * Also refuse every JWT of the user issued up to now (a per-user cut-off; a JWT cannot be kept by id), with the
   * JWT verifier's `clockToleranceSeconds` / `maxTokenLifetimeMs` when they differ from the defaults. `false`
   * leaves JWTs alone.
   * @defaultValue `true` when the store has the JWT revocation capability (as every store that
   * serves JWTs must), `false` otherwise
   */
  readonly jwts?: boolean | Readonly<JwtRevocationOptions>;
  /** Where `sessions.ended` and `credentials.changed` are told. */
  readonly events?: LogoutEvents;
}

const CHANGE_OPTIONS = optionNames<EndSessionsAfterCredentialChangeOptions>({ userId: true, keep: true, reason: true, jwts: true, events: true });

/** What `endSessionsAfterCredentialChange` ended. */
export interface CredentialChangeResult {
  /** How many live sessions ended. */
  readonly sessionsEnded: number;
  /** JWTs of the user issued before this moment are refused from now on; `undefined` with `jwts: false`. */
  readonly jwtsIssuedBefore: EpochMs | undefined;
  /** The session left alive, if one was kept. */
  readonly keptSessionId: string | undefined;
}

/**
 * Ends a user's other sessions after a credential changed (ASVS 7.4.3: password changed or reset, TOTP
 * enrolled or removed, a passkey added or removed), or all of them when the account is disabled or deleted
 * (7.4.2). Call it from the host's own route, after the change is saved; pass `keep` with the caller's session
 * id to keep them signed in where they are. Every instance sharing the store refuses the ended sessions and the
 * user's earlier JWTs on their next request. Store failures reject (nothing claims success); both steps are
 * idempotent, so the host can simply retry.
 *
 * ```ts
 * const { sessionsEnded } = await endSessionsAfterCredentialChange(store, { userId, keep: session.id, reason: "password-changed", events });
 * ```
 */
export async function endSessionsAfterCredentialChange(store: SessionStore, options: Readonly<EndSessionsAfterCredentialChangeOptions>): Promise<CredentialChangeResult> {
  const fn = "endSessionsAfterCredentialChange";
  assertSessionStore(store);
  checkKnownOptions(fn, options, CHANGE_OPTIONS, "with `userId`");
  const { userId, keep } = options;
  if (typeof userId !== "string" || userId === "") throw new SetupError("option-invalid", `${fn} needs a non-empty \`userId\`.`);
  if (keep !== undefined && (typeof keep !== "string" || keep === "")) throw new SetupError("option-invalid", `${fn} \`keep\` must be a session id (the caller's own), or left out to end every session.`);
  const reason = options.reason ?? "credentials-changed";
  if (typeof reason !== "string" || !/^[a-z0-9][a-z0-9_.:-]{0,63}$/.test(reason)) throw new SetupError("option-invalid", `${fn} \`reason\` must be a short lowercase name such as "password-changed".`);
  if (options.events !== undefined && !(options.events instanceof LogoutEvents)) throw new SetupError("option-invalid", `${fn} \`events\` must be a \`new LogoutEvents()\`.`);
  const jwts = options.jwts ?? hasStoreCapability(store, "jwt-revocation");

  // JWTs first: they cannot be listed, so the cut-off is what ends them; then the sessions. Either step failing
  // rejects, and running the whole call again is safe.
  const jwtsIssuedBefore = jwts === false ? undefined : await revokeUserJwts(store as SessionStore & JwtRevocationStore, userId, jwts === true ? {} : jwts);
  const sessionsEnded = await store.revokeUserSessions(userId, keep === undefined ? {} : { exceptSessionId: keep });
  const at = Date.now();
  options.events?.emit("sessions.ended", { userId, by: userId, target: keep === undefined ? "all" : "others", count: sessionsEnded, reason, at });
  options.events?.emit("credentials.changed", { userId, reason, keptSessionId: keep, sessionsEnded, jwtsIssuedBefore, at });
  return { sessionsEnded, jwtsIssuedBefore, keptSessionId: keep };
}
