import type { NextFunction, Request, RequestHandler, Response } from "express";
import { DEFAULT_RETRY_AFTER_SECONDS, DEFAULT_STORE_TIMEOUT_MS, malformedAnswer, type GuardOptions } from "../deadline.js";
import { isLogoutError } from "../errors.js";
import { isLogoutEvents, type LogoutEvents } from "../events.js";
import { failureCause } from "../failure-cause.js";
import { sendReply } from "../handlers/runtime/reply.js";
import { SetupError, booleanOption, checkKnownOptions, integerOption, optionNames, positiveOption } from "../options/index.js";
import { hashSecret } from "../secrets.js";
import { assertSessionStore, assertStoreCapabilities } from "../store/capabilities.js";
import { CheckedStore } from "../store/checked-store.js";
import type { ProviderSessionLink, SessionStore } from "../store/types.js";
import { backchannelReplies } from "./backchannel-replies.js";
import { readLogoutToken } from "./form-body.js";
import { KeysUnavailableError, resolveLogoutTokenKeys, type LogoutTokenKeys } from "./key-set.js";
import {
  DEFAULT_LOGOUT_TOKEN_ALGORITHMS,
  DEFAULT_LOGOUT_TOKEN_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_LOGOUT_TOKEN_MAX_AGE_SECONDS,
  InvalidLogoutTokenError,
  verifyLogoutToken,
  type LogoutTokenClaims,
  type LogoutTokenRules,
} from "./logout-token.js";
import { withLinks } from "./provider-session.js";

/** Options of `backchannelLogout`: whose logout tokens to accept and how to check them. */
export interface BackchannelLogoutOptions {
  /**
   * Where sessions live. Required. It needs the `markers` (the `jti` marker) and `provider-links` capabilities;
   * `MemorySessionStore` and `RedisSessionStore` have both.
   */
  readonly store: SessionStore;
  /** The provider's issuer identifier, exactly as its tokens' `iss` (e.g. `"https://op.example.com/"`). Required. */
  readonly issuer: string;
  /** This app's `client_id` at the provider (or several, one per registration): the token's `aud` must name one. Required. */
  readonly audience: string | readonly string[];
  /**
   * The provider's signing keys: its `jwks_uri` (cached, refreshed on an unknown `kid`), `{ jwksUri, cooldownMs,
   * maxAgeMs }`, a static JWK set `{ keys: [...] }`, or a jose key resolver. Required.
   */
  readonly keys: LogoutTokenKeys;
  /**
   * Accepted signing algorithms. `none` and the HMAC algorithms are refused at setup: a provider signs logout
   * tokens with its private key.
   * @defaultValue every asymmetric JWS algorithm (RS*, PS*, ES*, EdDSA, Ed25519)
   */
  readonly algorithms?: readonly string[];
  /**
   * Clock skew allowed on `exp` and `iat`, in seconds.
   * @defaultValue 60
   */
  readonly clockToleranceSeconds?: number;
  /**
   * The oldest `iat` accepted, in seconds; also bounds how long a `jti` is remembered.
   * @defaultValue 600
   */
  readonly maxTokenAgeSeconds?: number;
  /**
   * Also accept logout tokens typed `JWT` (or untyped), from providers written before explicit typing (Keycloak
   * before version 25 sends `typ: "JWT"`). The `events` and `nonce` checks still keep an ID token from passing
   * for a logout token.
   * @defaultValue `false`: only `logout+jwt`, as ASVS 5.0 10.5.5 asks
   */
  readonly allowJwtTyp?: boolean;
  /**
   * Audit events: `backchannel.logout`, `backchannel.refused`, `session.ended`, `store.error`.
   * @defaultValue none
   */
  readonly events?: LogoutEvents;
  /**
   * Milliseconds a store call (or a JWKS fetch) may take before the request fails closed with a 503.
   * @defaultValue 2000
   */
  readonly timeoutMs?: number;
  /**
   * `Retry-After` seconds sent with a 503.
   * @defaultValue 5
   */
  readonly retryAfterSeconds?: number;
}

const FACTORY = "backchannelLogout";
const OPTION_NAMES = optionNames<BackchannelLogoutOptions>({
  store: true,
  issuer: true,
  audience: true,
  keys: true,
  algorithms: true,
  clockToleranceSeconds: true,
  maxTokenAgeSeconds: true,
  allowJwtTyp: true,
  events: true,
  timeoutMs: true,
  retryAfterSeconds: true,
});
const SYMMETRIC_OR_NONE = /^(?:none|HS\d+)$/i;

function fail(message: string, code: "option-required" | "option-invalid" = "option-invalid"): never {
  throw new SetupError(code, `${FACTORY} ${message}`);
}

function checkIssuer(value: unknown): string {
  if (typeof value !== "string" || !/^https?:\/\/[^\s]+$/.test(value)) {
    fail("needs `issuer`: the provider's issuer identifier exactly as its tokens carry it in `iss`, such as \"https://op.example.com\".", value === undefined ? "option-required" : "option-invalid");
  }
  return value;
}

function checkAudience(value: unknown): readonly string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a): a is string => typeof a === "string" && a !== "")) {
    fail("needs `audience`: this app's client_id at the provider (a non-empty string, or an array of them).", value === undefined ? "option-required" : "option-invalid");
  }
  return [...list];
}

function checkAlgorithms(value: unknown): readonly string[] {
  if (value === undefined) return DEFAULT_LOGOUT_TOKEN_ALGORITHMS;
  if (!Array.isArray(value) || value.length === 0 || !value.every((a): a is string => typeof a === "string")) {
    fail('`algorithms` must be a non-empty array such as ["RS256"].');
  }
  const refused = value.find((a) => SYMMETRIC_OR_NONE.test(a));
  if (refused !== undefined) fail(`\`algorithms\` must not include ${JSON.stringify(refused)}: logout tokens are signed with the provider's private key (RS256, PS256, ES256, EdDSA, ...).`);
  return [...value];
}

function isLink(value: unknown): value is ProviderSessionLink {
  if (typeof value !== "object" || value === null) return false;
  const link = value as Record<string, unknown>;
  return typeof link.sessionId === "string" && link.sessionId !== "" && typeof link.userId === "string" && typeof link.issuer === "string" && typeof link.subject === "string";
}

/**
 * The endpoint an OpenID Provider POSTs logout tokens to (OpenID Connect Back-Channel Logout 1.0): mount it at the
 * `backchannel_logout_uri` you registered, e.g. `app.post("/oidc/backchannel-logout", backchannelLogout({ ... }))`.
 * No body parser is needed before it.
 *
 * It validates the token (see `verifyLogoutToken` and docs/oidc-logout.md), spends its `jti` through the store's
 * one-time marker (so a replay is refused on every instance), then ends the local sessions linked to the token's
 * `sid` (only those whose subject matches, when it also has `sub`) or, without a `sid`, every local session of
 * its `sub` from this issuer. Answers 200 with `Cache-Control: no-store` (also when the sessions had already
 * ended), 400 `{"error":"invalid_request","error_description":...}` for an invalid token with nothing changed,
 * 503 with `Retry-After` when the store or the provider's keys cannot answer. A store failure after the `jti` was
 * spent answers 503 too; that token cannot be retried (the provider sends a new one with a new `jti`).
 */
export function backchannelLogout(options: Readonly<BackchannelLogoutOptions>): RequestHandler {
  checkKnownOptions(FACTORY, options, OPTION_NAMES, "with `store`, `issuer`, `audience` and `keys`");
  assertSessionStore(options.store);
  assertStoreCapabilities(options.store, ["markers", "provider-links"], FACTORY);
  const store = withLinks(options.store);
  if (options.events !== undefined && !isLogoutEvents(options.events)) fail("`events` must be a `new LogoutEvents()`.");
  const events: LogoutEvents | undefined = options.events;
  const timeoutMs = positiveOption(FACTORY, "timeoutMs", options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
  const retryAfterSeconds = Math.ceil(positiveOption(FACTORY, "retryAfterSeconds", options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS));
  const clockToleranceSeconds = integerOption(FACTORY, "clockToleranceSeconds", options.clockToleranceSeconds ?? DEFAULT_LOGOUT_TOKEN_CLOCK_TOLERANCE_SECONDS, 0, 300, "seconds");
  const rules: LogoutTokenRules = {
    issuer: checkIssuer(options.issuer),
    audience: checkAudience(options.audience),
    keys: resolveLogoutTokenKeys(options.keys, timeoutMs),
    algorithms: checkAlgorithms(options.algorithms),
    clockToleranceSeconds,
    maxAgeSeconds: positiveOption(FACTORY, "maxTokenAgeSeconds", options.maxTokenAgeSeconds ?? DEFAULT_LOGOUT_TOKEN_MAX_AGE_SECONDS),
    allowJwtTyp: booleanOption(FACTORY, "allowJwtTyp", options.allowJwtTyp ?? false),
  };
  const guard: GuardOptions = { timeoutMs, retryAfterSeconds, events };
  // Every store call under the deadline, every answer checked (a claim is won only by a literal `true`).
  const calls = new CheckedStore(store, guard);

  /** Spends the token's `jti`: answers `false` when another request (on any instance) spent it first. */
  function spendJti(claims: LogoutTokenClaims): Promise<boolean> {
    // Remembered as long as the token could still be accepted: until its exp or its maximum age, plus the skew.
    const acceptedUntil = Math.min(claims.expiresAt, claims.issuedAt + rules.maxAgeSeconds * 1000) + rules.clockToleranceSeconds * 1000;
    const ttlMs = Math.max(1_000, acceptedUntil - Date.now());
    const key = `oidc:logout-jti:${hashSecret(JSON.stringify([claims.issuer, claims.jti]))}`;
    return calls.claim(key, ttlMs);
  }

  /** A store answer is trusted only when it is exactly a list of links: anything else is a broken store (503). */
  function checkedLinks(operation: string, answer: unknown): ProviderSessionLink[] {
    if (!Array.isArray(answer) || !answer.every(isLink)) throw malformedAnswer(operation, guard);
    return answer;
  }

  async function linkedSessions(claims: LogoutTokenClaims): Promise<ProviderSessionLink[]> {
    const { issuer, subject, sid } = claims;
    if (sid !== undefined) {
      const links = checkedLinks("findSessionsByProviderSid", await calls.run("findSessionsByProviderSid", () => store.findSessionsByProviderSid(issuer, sid)));
      // With both claims, a session of the same sid but another subject is not this logout's.
      return links.filter((link) => link.issuer === issuer && link.sid === sid && (subject === undefined || link.subject === subject));
    }
    if (subject === undefined) return [];
    const links = checkedLinks("findSessionsByProviderSubject", await calls.run("findSessionsByProviderSubject", () => store.findSessionsByProviderSubject(issuer, subject)));
    return links.filter((link) => link.issuer === issuer && link.subject === subject);
  }

  async function run(req: Request, res: Response): Promise<void> {
    const token = await readLogoutToken(req);
    const claims = await verifyLogoutToken(token, rules);
    if (!(await spendJti(claims))) throw new InvalidLogoutTokenError("jti-replayed", "this logout token was already received");
    const links = await linkedSessions(claims);
    const results = await Promise.all(links.map((link) => calls.revokeSession(link.sessionId)));
    const ended = links.filter((_, i) => results[i] === true);
    const at = Date.now();
    for (const link of ended) events?.emit("session.ended", { sessionId: link.sessionId, userId: link.userId, by: undefined, target: "session", at });
    events?.emit("backchannel.logout", {
      issuer: claims.issuer,
      subject: claims.subject,
      sid: claims.sid,
      sessionIds: ended.map((link) => link.sessionId),
      count: ended.length,
      at,
    });
    sendReply(res, backchannelReplies.ended());
  }

  function refuse(req: Request, res: Response, reason: string, reply: ReturnType<typeof backchannelReplies.invalid>): void {
    events?.emit("backchannel.refused", { reason, status: reply.status, ip: req.ip, at: Date.now() });
    sendReply(res, reply);
  }

  return function backchannelLogoutHandler(req: Request, res: Response, next: NextFunction): void {
    run(req, res).then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof InvalidLogoutTokenError) {
          refuse(req, res, error.reason, backchannelReplies.invalid(error.message));
        } else if (error instanceof KeysUnavailableError) {
          const cause = failureCause(error.cause);
          events?.emit("store.error", { operation: "fetch the provider's JWKS", message: error.message, ...(cause === undefined ? {} : { cause }), at: Date.now() });
          refuse(req, res, "keys-unavailable", backchannelReplies.unavailable(retryAfterSeconds));
        } else if (isLogoutError(error) && error.code === "store-unavailable") {
          refuse(req, res, "store-unavailable", backchannelReplies.unavailable(error.details.retryAfterSeconds ?? retryAfterSeconds));
        } else {
          next(error);
        }
      },
    );
  };
}
