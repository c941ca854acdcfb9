import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LogoutError } from "../errors.js";
import { commonOptionNames, resolveRuntime, type CommonOptions } from "../handlers/options.js";
import { sendReply, settle } from "../handlers/runtime/reply.js";
import { SetupError, functionOption, optionNames, positiveOption } from "../options/index.js";
import { getAuthentication } from "../request-state.js";
import { checkReturnTo, compileReturnToPolicy } from "../return-to.js";
import { hashSecret } from "../secrets.js";
import { problemShape } from "../shapes/problem.js";
import type { SessionRecord } from "../store/types.js";
import type { EndedOutcome, Shape, UserRecord } from "../types.js";
import { DEFAULT_DISCOVERY_CACHE_MS, DiscoveryUnavailableError, endSessionEndpointOf, isEndpoint } from "./discovery.js";
import { signLogoutState, verifyLogoutState } from "./logout-state.js";

export interface RpInitiatedLogoutOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /** The provider's issuer identifier; its `/.well-known/openid-configuration` names the end-session endpoint. Required. */
  readonly issuer: string;
  /** This app's `client_id` at the provider, sent as `client_id`. Required. */
  readonly clientId: string;
  /**
   * Where the provider may send the browser back: the `post_logout_redirect_uris` registered at the provider,
   * absolute URLs. A request may pick one with `?post_logout_redirect_uri=` (exactly one of these, or it is
   * refused before anything ends); the first is the default. Mount `callback` there. Required.
   */
  readonly postLogoutRedirectUris: readonly string[];
  /** Keys for the `state`, newest first, each at least 32 random characters. Required. */
  readonly secrets: readonly string[];
  /**
   * The ID token of the caller's login, sent as `id_token_hint` so the provider ends that session without asking.
   * `session` is the caller's session when `requireSession` (or another of the library's guards) ran before
   * `prepare`. Answer `undefined` when you do not have it: the provider then asks the user to confirm. Required.
   */
  readonly idTokenHint: (req: Request, session: SessionRecord | undefined) => string | undefined | Promise<string | undefined>;
  /**
   * Where `callback` finally sends the browser: `?return_to=` of the logout request (or the browser flow's own
   * `return_to`) when the allow-list accepts it, else `default`. Paths on the first post-logout URI's origin are
   * always allowed.
   * @defaultValue `{ default: "/" }`
   */
  readonly returnTo?: {
    /** Absolute URLs a browser may come back to, as `browserLogoutFlow`'s `returnTo.allow`. */
    readonly allow?: readonly string[];
    /** Where a browser goes when the request names no allowed `return_to`. */
    readonly default?: string;
  };
  /**
   * The provider's end-session endpoint, when it is not in its metadata.
   * @defaultValue discovered from `issuer`
   */
  readonly endSessionEndpoint?: string;
  /**
   * How long the discovered endpoint is kept, in ms.
   * @defaultValue one hour
   */
  readonly discoveryCacheMs?: number;
  /**
   * How long the browser may take to come back from the provider, in ms.
   * @defaultValue 10 minutes
   */
  readonly stateTtlMs?: number;
}

/** The three pieces: `prepare` before the local logout, `shape` for it, `callback` where the provider returns. */
export interface RpInitiatedLogout {
  /**
   * Mount before the app's own logout handler (`createLogoutHandler` or `browserLogoutFlow`'s `logout`): checks
   * `post_logout_redirect_uri` and `return_to` (a 400 before anything ends), learns the end-session endpoint (a 503
   * before anything ends when it cannot) and reads the ID token hint.
   */
  readonly prepare: RequestHandler;
  /** The shape to give that logout handler: after the local session ended, a 303 to the provider's end-session endpoint. */
  readonly shape: Shape;
  /** Mount at the post-logout redirect URI: verifies `state` (signed, unexpired, used once), then a 303 to the return destination. */
  readonly callback: RequestHandler;
}

interface Prepared {
  readonly endpoint: string;
  readonly postLogoutRedirectUri: string;
  readonly returnTo: string | undefined;
  readonly idTokenHint: string | undefined;
}

const FACTORY = "rpInitiatedLogout";
const OPTION_NAMES = optionNames<RpInitiatedLogoutOptions>({
  ...commonOptionNames,
  issuer: true,
  clientId: true,
  postLogoutRedirectUris: true,
  secrets: true,
  idTokenHint: true,
  returnTo: true,
  endSessionEndpoint: true,
  discoveryCacheMs: true,
  stateTtlMs: true,
});
const MIN_SECRET_LENGTH = 32;

function fail(message: string): never {
  throw new SetupError("option-invalid", `${FACTORY} ${message}`);
}

/** The query of a request as sent, whatever the app's `query parser` setting. */
function queryOf(req: Request): URLSearchParams {
  const url = req.originalUrl || req.url;
  const at = url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : url.slice(at + 1));
}

/** A query parameter given at most once; `undefined` when absent or empty. */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new LogoutError("bad-request", `${name} is repeated`, { reason: `${name} is repeated` });
  return values[0] === "" ? undefined : values[0];
}

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the app's own logout ends the local session, then
 * sends the browser to the provider's `end_session_endpoint` with `id_token_hint`, `client_id`, an allowed
 * `post_logout_redirect_uri` and a signed `state`; the provider ends its session and sends the browser back to
 * `callback`, which checks the `state` before sending it on.
 *
 * ```ts
 * const rp = rpInitiatedLogout({ store, issuer, clientId, postLogoutRedirectUris: ["https://app.example/oidc/logged-out"],
 *   secrets: [process.env.LOGOUT_SECRET], idTokenHint: (req, session) => idTokens.get(session?.id) });
 * app.post("/logout", requireSession({ store, credentials }), rp.prepare, createLogoutHandler({ store, credentials, shape: rp.shape }));
 * app.get("/oidc/logged-out", rp.callback);
 * ```
 */
export function rpInitiatedLogout<U extends UserRecord = UserRecord>(options: Readonly<RpInitiatedLogoutOptions<U>>): RpInitiatedLogout {
  const rt = resolveRuntime(FACTORY, options, problemShape, OPTION_NAMES, { store: ["markers"] });
  const o = options as RpInitiatedLogoutOptions;
  if (typeof o.issuer !== "string" || !/^https?:\/\/\S+$/.test(o.issuer)) fail("needs `issuer`: the provider's issuer identifier, such as \"https://op.example.com\".");
  if (typeof o.clientId !== "string" || o.clientId === "") fail("needs `clientId`: this app's client_id at the provider.");
  const uris = o.postLogoutRedirectUris as unknown;
  if (!Array.isArray(uris) || uris.length === 0 || !uris.every((u): u is string => typeof u === "string" && /^https?:\/\/[^/?#]+/.test(u) && !u.includes("#"))) {
    fail("needs `postLogoutRedirectUris`: the absolute post_logout_redirect_uris registered at the provider, such as [\"https://app.example.com/oidc/logged-out\"].");
  }
  const postLogoutRedirectUris: readonly string[] = [...uris];
  const secrets = o.secrets as unknown;
  if (!Array.isArray(secrets) || secrets.length === 0 || !secrets.every((s): s is string => typeof s === "string" && s.length >= MIN_SECRET_LENGTH)) {
    fail(`needs \`secrets\`: an array of random strings of at least ${MIN_SECRET_LENGTH} characters, newest first.`);
  }
  const stateSecrets: readonly string[] = [...secrets];
  const idTokenHint = functionOption(FACTORY, "idTokenHint", o.idTokenHint, "`(req, session) => idToken | undefined`") as RpInitiatedLogoutOptions["idTokenHint"];
  const returnToOptions = o.returnTo ?? {};
  const policy = compileReturnToPolicy({ base: new URL(postLogoutRedirectUris[0] ?? "").origin, ...(returnToOptions.allow === undefined ? {} : { allow: returnToOptions.allow }) });
  const defaultReturn = returnToOptions.default ?? "/";
  const defaultCheck = checkReturnTo(policy, defaultReturn);
  if (!defaultCheck.ok) fail(`\`returnTo.default\` ${JSON.stringify(defaultReturn)} is not an allowed return URL: it ${defaultCheck.reason}.`);
  const stateTtlMs = positiveOption(FACTORY, "stateTtlMs", o.stateTtlMs ?? 10 * 60_000);
  const fixedEndpoint = o.endSessionEndpoint;
  if (fixedEndpoint !== undefined && (typeof fixedEndpoint !== "string" || !isEndpoint(fixedEndpoint, o.issuer))) fail("`endSessionEndpoint` must be the provider's absolute end-session URL.");
  const discovered = endSessionEndpointOf(o.issuer, positiveOption(FACTORY, "discoveryCacheMs", o.discoveryCacheMs ?? DEFAULT_DISCOVERY_CACHE_MS), rt.guard.timeoutMs);
  const endpointOf = fixedEndpoint === undefined ? discovered : () => Promise.resolve(fixedEndpoint);
  const prepared = new WeakMap<Request, Prepared>();
  const base = rt.shape;

  async function runPrepare(req: Request): Promise<void> {
    const params = queryOf(req);
    const asked = single(params, "post_logout_redirect_uri");
    if (asked !== undefined) {
      // The return_to checker refuses unusual forms; the provider then wants an exact registered value.
      const check = checkReturnTo(policy, asked);
      if (!check.ok || !postLogoutRedirectUris.includes(asked)) {
        throw new LogoutError("return-to-forbidden", "post_logout_redirect_uri is not allowed", { returnTo: asked, reason: "post_logout_redirect_uri is not one of the registered URIs" });
      }
    }
    const returnTo = single(params, "return_to");
    if (returnTo !== undefined) {
      const check = checkReturnTo(policy, returnTo);
      if (!check.ok) throw new LogoutError("return-to-forbidden", `return_to ${check.reason}`, { returnTo, reason: `return_to ${check.reason}` });
    }
    let endpoint: string;
    try {
      endpoint = await rt.calls.run("discover the end-session endpoint", endpointOf);
    } catch (error) {
      throw error instanceof DiscoveryUnavailableError ? new LogoutError("store-unavailable", error.message, { retryAfterSeconds: rt.guard.retryAfterSeconds }, { cause: error }) : error;
    }
    const hint = await rt.calls.run("idTokenHint", () => Promise.resolve(idTokenHint(req, getAuthentication(req)?.session)));
    prepared.set(req, {
      endpoint,
      postLogoutRedirectUri: asked ?? postLogoutRedirectUris[0] ?? "",
      returnTo,
      idTokenHint: typeof hint === "string" && hint !== "" ? hint : undefined,
    });
  }

  function endSessionUrl(p: Prepared, outcome: EndedOutcome): string {
    const state = signLogoutState(stateSecrets[0] ?? "", outcome.redirectTo ?? p.returnTo ?? defaultReturn, stateTtlMs);
    const url = new URL(p.endpoint);
    if (p.idTokenHint !== undefined) url.searchParams.set("id_token_hint", p.idTokenHint);
    url.searchParams.set("client_id", o.clientId);
    url.searchParams.set("post_logout_redirect_uri", p.postLogoutRedirectUri);
    url.searchParams.set("state", state);
    return url.href;
  }

  const shape: Shape = {
    ...base,
    name: `${base.name}+rpInitiatedLogout`,
    ended(outcome, req) {
      const p = prepared.get(req);
      // Without `prepare` before the handler there is nowhere to send the browser: the local answer stands.
      if (p === undefined) return base.ended(outcome, req);
      return { status: 303, headers: { Location: endSessionUrl(p, outcome), "Referrer-Policy": "no-referrer" } };
    },
  };

  async function runCallback(req: Request, res: Response): Promise<void> {
    const raw = single(queryOf(req), "state");
    const state = raw === undefined ? undefined : verifyLogoutState(stateSecrets, raw);
    if (state === undefined) throw new LogoutError("bad-request", "the logout state is missing, forged or expired", { reason: "the logout state is missing, forged or expired" });
    const first = await rt.calls.claim(`oidc:rp-state:${hashSecret(state.nonce)}`, Math.max(1_000, state.expiresAt - Date.now()));
    if (!first) throw new LogoutError("bad-request", "the logout state was already used", { reason: "the logout state was already used" });
    res.setHeader("Referrer-Policy", "no-referrer");
    sendReply(res, { status: 303, headers: { Location: state.returnTo } });
  }

  return {
    prepare: function prepareRpInitiatedLogout(req: Request, res: Response, next: NextFunction): void {
      settle(req, res, next, rt, runPrepare(req).then(() => { next(); }));
    },
    shape,
    callback: function rpLogoutCallback(req: Request, res: Response, next: NextFunction): void {
      settle(req, res, next, rt, runCallback(req, res));
    },
  };
}
