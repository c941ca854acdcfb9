import type { Request } from "express";
import { LogoutError } from "../errors.js";
import { MAX_TOKEN_LENGTH, isUsableToken as usable, singleHeader, singleQuery } from "../request-input.js";
import type { CredentialSource, PresentedCredential } from "../types.js";

export { MAX_TOKEN_LENGTH, singleHeader, singleQuery } from "../request-input.js";

/** `Authorization: Bearer <token>`. */
export function bearerToken(): CredentialSource {
  return {
    name: "bearer",
    read(req) {
      const header = singleHeader(req, "authorization");
      if (header === undefined) return undefined;
      const match = /^Bearer +(\S+) *$/i.exec(header);
      const token = match?.[1];
      if (!usable(token)) return { kind: "invalid", source: "bearer", error: new LogoutError("unauthenticated", "malformed Authorization header") };
      return { kind: "session-token", source: "bearer", token };
    },
  };
}

/** A token in a named header, e.g. `headerToken("x-session-token")`. */
export function headerToken(name: string): CredentialSource {
  const header = name.toLowerCase();
  return {
    name: `header:${header}`,
    read(req) {
      if (req.headers[header] === undefined) return undefined;
      const token = singleHeader(req, header);
      if (!usable(token)) return { kind: "invalid", source: `header:${header}`, error: new LogoutError("unauthenticated", `malformed ${header} header`) };
      return { kind: "session-token", source: `header:${header}`, token };
    },
  };
}

/** A user id and a token in two headers, as Rocket.Chat sends them (`X-User-Id` + `X-Auth-Token`). */
export function userIdAndToken(userIdHeader = "x-user-id", tokenHeader = "x-auth-token"): CredentialSource {
  const idName = userIdHeader.toLowerCase();
  const tokenName = tokenHeader.toLowerCase();
  return {
    name: `headers:${idName}+${tokenName}`,
    read(req) {
      if (req.headers[idName] === undefined && req.headers[tokenName] === undefined) return undefined;
      const userId = singleHeader(req, idName);
      const token = singleHeader(req, tokenName);
      if (!usable(userId) || !usable(token)) {
        return { kind: "invalid", source: "user-id+token", error: new LogoutError("unauthenticated", `both ${idName} and ${tokenName} are needed`) };
      }
      return { kind: "session-token", source: "user-id+token", token, claimedUserId: userId };
    },
  };
}

/** Options of `cookieToken(name, options)`. */
export interface CookieTokenOptions {
  /**
   * Read the cookie from `req.signedCookies` (cookie-parser with a secret).
   * @defaultValue `false`
   */
  readonly signed?: boolean;
  /**
   * What to do when the browser says that a page other than the app's own made it send the cookie (request
   * forgery): `Sec-Fetch-Site` is `cross-site` (another site) or `same-site` (a sibling subdomain, which
   * `SameSite=Strict` does not stop). The refusing modes let such a request through only when it is marked
   * `same-origin` (the app's own pages) or `none` (typed, bookmarked):
   * - `"refuse-unsafe"` (default): refuse the cookie (`forbidden`, a 403) on every method but GET, HEAD and
   *   OPTIONS. Cross-site and same-site GETs still pass, so a logout URL that carries its own token (the
   *   browser logout flow) works as a link.
   * - `"refuse"`: refuse it on every method, for routes that end a session on a GET without a token of their own
   *   (SOAJS' `GET /urac/logout`).
   * - `"allow"`: never refuse (a front end on another site that calls with credentials through CORS).
   * Browsers that send no Fetch Metadata are left to the cookie's `SameSite` attribute.
   */
  readonly crossSite?: "refuse-unsafe" | "refuse" | "allow";
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** `Sec-Fetch-Site` values of a request the app's own pages, or the person themselves, made. */
const OWN_SITE = new Set(["same-origin", "none"]);

/**
 * A token in a cookie. Reads what cookie-parser put on the request; without cookie-parser, parses the
 * `Cookie` header itself (unsigned cookies only: a signed cookie needs cookie-parser's secret). A cookie a page
 * of another site made the browser send is refused as `crossSite` says.
 */
export function cookieToken(name: string, options: Readonly<CookieTokenOptions> = {}): CredentialSource {
  const signed = options.signed ?? false;
  const crossSite: unknown = options.crossSite ?? "refuse-unsafe";
  if (crossSite !== "refuse-unsafe" && crossSite !== "refuse" && crossSite !== "allow") {
    throw new TypeError('express-logout: cookieToken `crossSite` must be "refuse-unsafe", "refuse" or "allow".');
  }
  const source = `cookie:${name}`;

  /**
   * Whether a page other than the app's own made the browser send this request, on a method `crossSite`
   * refuses. Only `same-origin` and `none` are the app's own; an unknown or repeated value counts as foreign.
   */
  function forged(req: Request): boolean {
    const site = req.headers["sec-fetch-site"];
    if (crossSite === "allow" || site === undefined || OWN_SITE.has(site)) return false;
    return crossSite === "refuse" || !SAFE_METHODS.has(req.method);
  }

  function readCookie(req: Request): PresentedCredential | undefined {
    const jar: unknown = signed ? req.signedCookies : req.cookies;
    let value: unknown;
    if (typeof jar === "object" && jar !== null) {
      value = Object.hasOwn(jar, name) ? (jar as Record<string, unknown>)[name] : undefined;
      // cookie-parser answers `false` for a signed cookie whose signature does not verify.
      if (value === false) return { kind: "invalid", source, error: new LogoutError("unauthenticated", "cookie signature mismatch") };
    } else if (!signed) {
      value = readCookieHeader(singleHeader(req, "cookie"), name);
    }
    if (value === undefined) return undefined;
    if (typeof value !== "string" || !usable(value)) return { kind: "invalid", source, error: new LogoutError("unauthenticated", "malformed session cookie") };
    return { kind: "session-token", source, token: value };
  }

  return {
    name: source,
    read(req) {
      const found = readCookie(req);
      if (found !== undefined && forged(req)) {
        return { kind: "invalid", source, error: new LogoutError("forbidden", "a page of another site or subdomain sent the session cookie") };
      }
      return found;
    },
  };
}

export function readCookieHeader(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 16_384) return undefined;
  // Walked by index, not split: every cookie-authenticated request reads its header, and most carry one cookie.
  for (let start = 0; start < header.length; ) {
    const semicolon = header.indexOf(";", start);
    const end = semicolon === -1 ? header.length : semicolon;
    const eq = header.indexOf("=", start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      // Quotes are stripped as cookie-parser strips them, a lone `"` included (to nothing).
      if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      // Only a `%` can make decoding change anything; a session token has none, and decoding costs a call.
      if (!value.includes("%")) return value;
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
    start = end + 1;
  }
  return undefined;
}

/** The SOAJS handle: `soajsauth: Basic base64("soajs:" + token)`, as a header or `?soajsauth=`. */
export function soajsAuth(): CredentialSource {
  return {
    name: "soajsauth",
    read(req) {
      const value = singleHeader(req, "soajsauth") ?? singleQuery(req, "soajsauth");
      if (value === undefined) return undefined;
      const token = decodeSoajsAuth(value);
      if (token === undefined) return { kind: "invalid", source: "soajsauth", error: new LogoutError("unauthenticated", "malformed soajsauth") };
      return { kind: "session-token", source: "soajsauth", token };
    },
  };
}

/** `Basic base64("soajs:" + token)` for a token: what SOAJS clients send back as `soajsauth`. */
export function encodeSoajsAuth(token: string): string {
  return `Basic ${Buffer.from(`soajs:${token}`, "utf8").toString("base64")}`;
}

function decodeSoajsAuth(value: string): string | undefined {
  if (value.length > MAX_TOKEN_LENGTH * 2) return undefined;
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(value);
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  if (!decoded.startsWith("soajs:")) return undefined;
  const token = decoded.slice("soajs:".length);
  return usable(token) ? token : undefined;
}

/** Options of `apiKeyAndSecret(options)`. */
export interface ApiKeyOptions {
  /**
   * Accept `?key=&secret=` (Endor Labs' wire format).
   * @defaultValue `true`
   */
  readonly query?: boolean;
  /**
   * Headers that may carry the pair instead.
   * @defaultValue `["x-api-key", "x-api-secret"]`
   */
  readonly headers?: readonly [key: string, secret: string];
  /**
   * Read it only when this says so (Endor: only when the path's source is `api-key`).
   * @defaultValue always
   */
  readonly when?: (req: Request) => boolean;
  /**
   * When `when` holds but the pair is incomplete, answer `bad-request` instead of looking further.
   * @defaultValue `true`
   */
  readonly required?: boolean;
}

/**
 * An API key id and its secret. The secret is only ever hashed and compared in constant time; it never
 * reaches an event or a log line of the library.
 */
export function apiKeyAndSecret(options: Readonly<ApiKeyOptions> = {}): CredentialSource {
  const fromQuery = options.query ?? true;
  const [keyHeader, secretHeader] = (options.headers ?? ["x-api-key", "x-api-secret"]).map((h) => h.toLowerCase()) as [string, string];
  const required = options.required ?? true;
  const when = options.when;
  return {
    name: "api-key",
    read(req): PresentedCredential | undefined {
      if (when !== undefined && !when(req)) return undefined;
      const key = singleHeader(req, keyHeader) ?? (fromQuery ? singleQuery(req, "key") : undefined);
      const secret = singleHeader(req, secretHeader) ?? (fromQuery ? singleQuery(req, "secret") : undefined);
      const missing = [key === undefined || key === "" ? "key" : undefined, secret === undefined || secret === "" ? "secret" : undefined].filter(
        (name) => name !== undefined,
      );
      if (missing.length > 0) {
        if (!required) return undefined;
        return {
          kind: "invalid",
          source: "api-key",
          error: new LogoutError("bad-request", `missing required parameter: ${missing.join(", ")}`, {
            problem: "missing-parameters",
            missing,
            kind: "invalid-params",
          }),
        };
      }
      if (!usable(key) || !usable(secret)) return { kind: "invalid", source: "api-key", error: new LogoutError("api-key-invalid", "malformed API key") };
      return { kind: "api-key", source: "api-key", key, secret };
    },
  };
}
