import type { CookieOptions, RequestHandler, Response } from "express";
import { cookieNameOption, optionNames, SetupError } from "../../options/index.js";
import { checkReturnTo, compileReturnToPolicy, type ReturnToPolicy } from "../../return-to.js";
import type { CredentialSource, EpochMs, SessionRecord, UserRecord } from "../../types.js";
import { commonOptionNames, type CommonOptions } from "../options.js";

/** Where the session cookie lives. The same attributes set it at login and clear it at logout. */
export interface SessionCookieOptions {
  /**
   * The cookie's name.
   * @defaultValue `"ory_kratos_session"`
   */
  readonly name?: string;
  /**
   * The cookie's `Path`.
   * @defaultValue `"/"`
   */
  readonly path?: string;
  /**
   * The cookie's `Domain`.
   * @defaultValue none (the cookie belongs to the exact host that set it)
   */
  readonly domain?: string;
  /**
   * The cookie's `SameSite`; `"none"` requires `secure`.
   * @defaultValue `"lax"`
   */
  readonly sameSite?: "lax" | "strict" | "none";
  /**
   * The cookie's `Secure`.
   * @defaultValue `true` when `publicUrl` is https
   */
  readonly secure?: boolean;
  /**
   * The cookie's `HttpOnly`.
   * @defaultValue `true`: page scripts never see the session token
   */
  readonly httpOnly?: boolean;
  /**
   * Sign the cookie with cookie-parser's secret (`app.use(cookieParser(secret))`).
   * @defaultValue `false`
   */
  readonly signed?: boolean;
}

/** Where a browser may go after logging out. */
export interface ReturnToOptions {
  /**
   * Absolute URLs allowed as `return_to`, e.g. `["https://app.example.com/", "https://*.example.com/app"]`.
   * Paths (`/dashboard`) and URLs on `publicUrl`'s origin are always allowed.
   * @defaultValue none besides those
   */
  readonly allow?: readonly string[];
  /**
   * Where a browser goes when the logout URL has no `return_to`.
   * @defaultValue `"/"`
   */
  readonly default?: string;
}

export interface BrowserLogoutFlowOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /**
   * The public base URL the flow is served from, e.g. `"https://auth.example.com"` (a path prefix is kept).
   * The logout URL is this plus `logoutPath`. Required.
   */
  readonly publicUrl: string;
  /**
   * Where the host mounts `flow.logout`, below `publicUrl`.
   * @defaultValue `"/self-service/logout"`
   */
  readonly logoutPath?: string;
  /**
   * Keys for the logout token, newest first: the first signs, every one verifies, so a secret can be rotated
   * without breaking logout URLs already handed out. Each at least 32 random characters. Required.
   */
  readonly secrets: readonly string[];
  /** Where a browser may be sent after logout (`return_to`). */
  readonly returnTo?: ReturnToOptions;
  /** The session cookie: its name and the attributes it is set and cleared with. */
  readonly sessionCookie?: SessionCookieOptions;
  /**
   * The host's error page: browsers (not API clients) that are refused are sent there with a 303 and
   * `?error=<code>`. A store outage keeps its 503.
   * @defaultValue none, every refusal is answered in the shape
   */
  readonly errorUrl?: string;
  /**
   * Send `Clear-Site-Data: "cookies", "storage"` (plus `"cache"` with `{ cache: true }`) on a successful
   * browser logout over HTTPS. HTTPS is what Express says (`req.secure`, which trusts `X-Forwarded-Proto` only
   * as far as `app.set("trust proxy", ...)` allows). Off by default: it clears every cookie of the site,
   * including those of other apps on the same registrable domain.
   */
  readonly clearSiteData?:
    | boolean
    | {
        /** Clear the browser's cache for the site too. */
        readonly cache?: boolean;
      };
}

/** The handlers and helpers a host mounts and calls. */
export interface BrowserLogoutFlow {
  /** `GET /self-service/logout/browser`: the caller's logout URL and token. No side effects. */
  readonly create: RequestHandler;
  /** `GET /self-service/logout?token=…&return_to=…`: ends the session, clears the cookie, 303 or 204. */
  readonly logout: RequestHandler;
  /** `DELETE /self-service/logout/api` with `{"session_token": "..."}`: native apps. No cookies touched. */
  readonly native: RequestHandler;
  /** `GET /sessions`: the caller's other live sessions. */
  readonly listOtherSessions: RequestHandler;
  /** `DELETE /sessions`: ends every other session of the caller; `{"count": n}`. */
  readonly endOtherSessions: RequestHandler;
  /** `DELETE /sessions/:id`: ends one other session of the caller (the route needs an `:id` parameter). */
  readonly endSession: RequestHandler;
  /** Where the flow reads the caller's session from; pass it to `whoAmI` and `requireSession` too. */
  readonly credentials: readonly CredentialSource[];
  /** Sets the session cookie at login, with the attributes logout clears it with. */
  setSessionCookie(res: Response, token: string, expiresAt?: EpochMs): void;
  /** Expires the session cookie (name, path, domain, SameSite and Secure as it was set). */
  clearSessionCookie(res: Response): void;
  /**
   * The logout token of a session: the record itself (`getAuthentication(req).session`), since the token is
   * bound to the session's token hash, so that logout checks it against the request's cookie before any store
   * call and ends the session in one.
   */
  logoutToken(session: Pick<SessionRecord, "id" | "tokenHash">): string;
  /**
   * The logout URL of a session (its record, as `logoutToken` takes it), for server-rendered pages. Throws a
   * `return-to-forbidden` LogoutError.
   */
  logoutUrl(session: Pick<SessionRecord, "id" | "tokenHash">, returnTo?: string): string;
}

export const FACTORY = "browserLogoutFlow";
export const BROWSER_LOGOUT_FLOW_OPTIONS = optionNames<BrowserLogoutFlowOptions>({
  ...commonOptionNames,
  publicUrl: true,
  logoutPath: true,
  secrets: true,
  returnTo: true,
  sessionCookie: true,
  errorUrl: true,
  clearSiteData: true,
});
const SESSION_COOKIE_OPTIONS = optionNames<SessionCookieOptions>({ name: true, path: true, domain: true, sameSite: true, secure: true, httpOnly: true, signed: true });
const MIN_SECRET_LENGTH = 32;

export function fail(message: string): never {
  throw new SetupError("option-invalid", `${FACTORY} ${message}`);
}

export function checkSecrets(secrets: unknown): readonly string[] {
  if (typeof secrets === "string") fail("`secrets` must be an array (newest first), so secrets can rotate: write `secrets: [yourSecret]`.");
  if (!Array.isArray(secrets) || secrets.length === 0) {
    fail("needs `secrets`: an array of one or more random strings of at least 32 characters, newest first (e.g. `[process.env.LOGOUT_SECRET]`).");
  }
  secrets.forEach((secret: unknown, i) => {
    if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
      fail(`\`secrets[${i}]\` must be a string of at least ${MIN_SECRET_LENGTH} random characters (e.g. from \`openssl rand -base64 32\`).`);
    }
  });
  return [...(secrets as string[])];
}


export interface ResolvedCookie {
  readonly name: string;
  readonly signed: boolean;
  /** What `res.cookie` gets, minus `signed` and the expiry. */
  readonly attributes: CookieOptions;
  /** The `Set-Cookie` value that makes the browser forget the cookie (see `clearingCookie`). */
  readonly clearing: string;
}

const SAME_SITE = { lax: "Lax", strict: "Strict", none: "None" } as const;

/**
 * The `Set-Cookie` value that clears the session cookie, in the bytes Express 4 and 5 write for
 * `res.clearCookie(name, attributes)`. Built once at setup: it is the same on every logout, and serializing it per
 * request (a date, two validations, an options object) was a tenth of the flow's own time.
 */
function clearingCookie(name: string, attributes: { path: string; domain?: string; httpOnly: boolean; secure: boolean; sameSite: keyof typeof SAME_SITE }): string {
  const domain = attributes.domain === undefined ? "" : `; Domain=${attributes.domain}`;
  const flags = `${attributes.httpOnly ? "; HttpOnly" : ""}${attributes.secure ? "; Secure" : ""}`;
  return `${name}=${domain}; Path=${attributes.path}; Expires=Thu, 01 Jan 1970 00:00:00 GMT${flags}; SameSite=${SAME_SITE[attributes.sameSite]}`;
}

export function checkCookie(options: SessionCookieOptions | undefined, defaultName: string, httpsByDefault: boolean): ResolvedCookie {
  const o = options ?? {};
  if (typeof o !== "object") fail("`sessionCookie` must be an object such as `{ name, path, domain, sameSite, secure }`.");
  for (const key of Object.keys(o)) {
    if (!SESSION_COOKIE_OPTIONS.includes(key)) {
      throw new SetupError("option-unknown", `${FACTORY} \`sessionCookie\` has an unsupported option \`${key}\` (known: ${SESSION_COOKIE_OPTIONS.join(", ")}).`);
    }
  }
  const name = cookieNameOption(FACTORY, "sessionCookie.name", o.name ?? defaultName);
  const path = o.path ?? "/";
  if (typeof path !== "string" || !/^\/[\x21-\x3a\x3c-\x7e]*$/.test(path)) fail("`sessionCookie.path` must start with `/` and hold no spaces or semicolons.");
  const domain = o.domain;
  if (domain !== undefined && (typeof domain !== "string" || !/^\.?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(domain))) {
    fail("`sessionCookie.domain` must be a host name such as `example.com`.");
  }
  const sameSite = o.sameSite ?? "lax";
  if (!["lax", "strict", "none"].includes(sameSite)) fail('`sessionCookie.sameSite` must be "lax", "strict" or "none".');
  const secure = o.secure ?? httpsByDefault;
  const httpOnly = o.httpOnly ?? true;
  const signed = o.signed ?? false;
  for (const [key, value] of [["secure", secure], ["httpOnly", httpOnly], ["signed", signed]] as const) {
    if (typeof value !== "boolean") fail(`\`sessionCookie.${key}\` must be a boolean.`);
  }
  if (sameSite === "none" && !secure) fail('`sessionCookie.sameSite: "none"` needs `secure: true`: browsers drop such cookies otherwise.');
  if (name.startsWith("__Secure-") && !secure) fail("a `__Secure-` cookie needs `secure: true`.");
  if (name.startsWith("__Host-") && (!secure || path !== "/" || domain !== undefined)) fail("a `__Host-` cookie needs `secure: true`, `path: \"/\"` and no `domain`.");
  const attributes = { path, sameSite, secure, httpOnly, ...(domain === undefined ? {} : { domain }) };
  return { name, signed, attributes, clearing: clearingCookie(name, attributes) };
}

export function checkErrorUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^(?:https?:\/\/[^/?#\\]+|\/(?![/\\]))[\x21-\x7e]*$/i.test(value) || value.includes("\\") || value.includes("#")) {
    fail(`\`errorUrl\` must be an absolute http(s) URL or a path such as "/error", received ${JSON.stringify(value)}.`);
  }
  return value;
}

export function checkClearSiteData(value: unknown): string | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return '"cookies", "storage"';
  if (typeof value === "object" && value !== null && Object.keys(value).every((k) => k === "cache")) {
    const cache = (value as { cache?: unknown }).cache;
    if (cache === undefined || typeof cache === "boolean") return cache === true ? '"cookies", "storage", "cache"' : '"cookies", "storage"';
  }
  return fail("`clearSiteData` must be `false`, `true` or `{ cache: true }`.");
}


/** Everything the flow derives from its options once, at setup. */
export interface FlowSettings {
  readonly policy: ReturnToPolicy;
  readonly defaultReturn: string;
  /** The absolute URL of the logout route: `publicUrl` plus `logoutPath`. */
  readonly logoutEndpoint: string;
  readonly secrets: readonly string[];
  readonly cookie: ResolvedCookie;
  readonly errorUrl: string | undefined;
  readonly clearSiteData: string | undefined;
}

/** Checks the flow's own options (beyond the common ones) and derives its settings. */
export function resolveFlowSettings(o: BrowserLogoutFlowOptions, defaultCookieName: string): FlowSettings {
  if (typeof o.publicUrl !== "string") fail('needs `publicUrl`, the public base URL the flow is served from, such as "https://auth.example.com".');
  const returnToOptions = o.returnTo ?? {};
  if (typeof returnToOptions !== "object") fail("`returnTo` must be an object such as `{ allow: [...], default: \"/\" }`.");
  for (const key of Object.keys(returnToOptions)) {
    if (key !== "allow" && key !== "default") throw new SetupError("option-unknown", `${FACTORY} \`returnTo\` has an unsupported option \`${key}\` (known: allow, default).`);
  }
  const policy = compileReturnToPolicy({ base: o.publicUrl, ...(returnToOptions.allow === undefined ? {} : { allow: returnToOptions.allow }) });
  const defaultReturn: unknown = returnToOptions.default ?? "/";
  const defaultCheck = typeof defaultReturn === "string" ? checkReturnTo(policy, defaultReturn) : { ok: false as const, reason: "is not a string" };
  if (!defaultCheck.ok) fail(`\`returnTo.default\` ${JSON.stringify(defaultReturn)} is not an allowed return URL: it ${defaultCheck.reason}.`);
  const logoutPath: unknown = o.logoutPath ?? "/self-service/logout";
  if (typeof logoutPath !== "string" || !/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(logoutPath) || logoutPath.startsWith("//")) {
    fail('`logoutPath` must be a path such as "/self-service/logout".');
  }
  const publicUrl = new URL(o.publicUrl);
  return {
    policy,
    defaultReturn: defaultReturn as string,
    logoutEndpoint: `${publicUrl.origin}${publicUrl.pathname.replace(/\/+$/, "")}${logoutPath}`,
    secrets: checkSecrets(o.secrets),
    cookie: checkCookie(o.sessionCookie, defaultCookieName, publicUrl.protocol === "https:"),
    errorUrl: checkErrorUrl(o.errorUrl),
    clearSiteData: checkClearSiteData(o.clearSiteData),
  };
}
