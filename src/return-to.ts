/**
 * The `return_to` check of the browser logout flow: where a browser may be sent after logging out.
 *
 * The rule is an allow-list, never a deny-list, and the value that passes is the exact string that goes into
 * `Location`: nothing is normalized. A value is accepted only when it is already in the canonical form a
 * browser's URL parser would give it, so there is no second reading of the URL that could disagree with this
 * one (the lesson of CVE-2024-29041). Anything unusual is refused rather than repaired.
 */

/** The longest `return_to` accepted, in characters. */
export const MAX_RETURN_TO_LENGTH = 2048;

/** One compiled allow-list entry of a `ReturnToPolicy`. */
export interface ReturnToAllowRule {
  /** `"http:"` or `"https:"`. */
  readonly protocol: string;
  /** Lower-case host; for a wildcard entry, the part after `*.`. */
  readonly host: string;
  /** Whether the entry was `*.host`: any host one or more labels below it. */
  readonly wildcard: boolean;
  /** The port, as a string; the scheme's default when the entry has none. */
  readonly port: string;
  /** The allowed path without its trailing slash; `""` allows every path. */
  readonly path: string;
  /** The entry as the host wrote it, for messages. */
  readonly source: string;
}

/** Options of `compileReturnToPolicy`: where a browser may be sent after logout. */
export interface ReturnToPolicyOptions {
  /**
   * The public base URL the flow is served from. Paths (`/dashboard`) are resolved against its origin and are
   * always allowed; absolute URLs on its origin are allowed too.
   */
  readonly base: string;
  /**
   * Absolute URLs a browser may return to: `scheme://host[:port][/path]`. The host matches exactly
   * (case-insensitive) or, written `*.example.com`, any host one or more labels below `example.com` (never
   * `example.com` itself, never `evilexample.com`). The path matches whole segments: `/app` allows `/app` and
   * `/app/x`, not `/application`.
   */
  readonly allow?: readonly string[];
}

/** The outcome of checking one value: the exact string to redirect to, or why it was refused. */
export type ReturnToCheck =
  | {
      /** Allowed. */
      readonly ok: true;
      /** The exact value to send as `Location`. */
      readonly location: string;
    }
  | {
      /** Refused. */
      readonly ok: false;
      /** Why, in words for a log. */
      readonly reason: string;
    };

/** A compiled `return_to` policy: check values against it with `checkReturnTo`. */
export interface ReturnToPolicy {
  /** The origin of `base`: paths resolve against it. */
  readonly baseOrigin: string;
  /** The compiled allow-list, the base origin first. */
  readonly rules: readonly ReturnToAllowRule[];
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
/** What an authority may look like in a `return_to`: a host name or IP, an optional port, nothing else. */
const AUTHORITY = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function defaultPort(protocol: string): string {
  return protocol === "https:" ? "443" : "80";
}

function isHostName(host: string): boolean {
  if (IPV4.test(host) || IPV6.test(host)) return true;
  return host.length <= 253 && host.split(".").every((label) => LABEL.test(label));
}

/**
 * Compiles a policy once, at factory time. Throws a `TypeError` that names the entry and what is wrong with it:
 * a bare `*`, a mid-label or public-suffix wildcard (`*foo.com`, `foo.*.com`, `*.com`), a scheme other than
 * http(s), userinfo, a query or fragment, or a path that is not canonical.
 */
export function compileReturnToPolicy(options: Readonly<ReturnToPolicyOptions>): ReturnToPolicy {
  const base = parseAbsolute(options.base, "the base URL (`publicUrl`)");
  const baseRule: ReturnToAllowRule = { protocol: base.protocol, host: base.hostname, wildcard: false, port: base.port || defaultPort(base.protocol), path: "", source: base.origin };
  const allow = options.allow ?? [];
  if (!Array.isArray(allow)) throw new TypeError("express-logout: `returnTo.allow` must be an array of URLs, such as [\"https://app.example.com/\"].");
  return { baseOrigin: base.origin, rules: [baseRule, ...allow.map(compileRule)] };
}

function parseAbsolute(value: unknown, what: string): URL {
  if (typeof value !== "string" || !/^https?:\/\/[^/?#]/i.test(value)) {
    throw new TypeError(`express-logout: ${what} must be an absolute http(s) URL such as "https://auth.example.com", received ${JSON.stringify(value)}.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`express-logout: ${what} ${JSON.stringify(value)} is not a valid URL.`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "" || value.includes("?") || value.includes("#")) {
    throw new TypeError(`express-logout: ${what} ${JSON.stringify(value)} must not carry credentials, a query or a fragment.`);
  }
  return url;
}

function compileRule(entry: unknown): ReturnToAllowRule {
  if (typeof entry !== "string") throw new TypeError(`express-logout: \`returnTo.allow\` entries must be strings, received ${typeof entry}.`);
  const match = /^(https?):\/\/(\*\.)?([^/?#]*)(.*)$/i.exec(entry);
  if (match === null) {
    throw new TypeError(`express-logout: \`returnTo.allow\` entry ${JSON.stringify(entry)} must be an http(s) URL such as "https://app.example.com/" or "https://*.example.com/app".`);
  }
  const [, scheme = "", star, authority = "", rest = ""] = match;
  const wildcard = star !== undefined;
  if (authority.includes("*")) {
    throw new TypeError(`express-logout: \`returnTo.allow\` entry ${JSON.stringify(entry)}: a wildcard may only be a whole leading label, as in "https://*.example.com/".`);
  }
  // Parse with a stand-in label for the wildcard so the URL parser checks the rest of the host for us.
  const url = parseAbsolute(`${scheme}://${wildcard ? "wildcard." : ""}${authority}${rest}`, `\`returnTo.allow\` entry ${JSON.stringify(entry)}`);
  const host = wildcard ? url.hostname.slice("wildcard.".length) : url.hostname;
  if (!isHostName(host) || (wildcard && (IPV4.test(host) || IPV6.test(host)))) {
    throw new TypeError(`express-logout: \`returnTo.allow\` entry ${JSON.stringify(entry)} has an unusable host.`);
  }
  if (wildcard && !host.includes(".")) {
    throw new TypeError(
      `express-logout: \`returnTo.allow\` entry ${JSON.stringify(entry)}: "*.${host}" would match hosts anyone can register; name at least two labels after "*.".`,
    );
  }
  const path = rest === "" ? "/" : rest;
  if (url.pathname !== path || /%2e|%2f|%5c/i.test(path)) {
    throw new TypeError(`express-logout: \`returnTo.allow\` entry ${JSON.stringify(entry)} must have a canonical path (no dot segments, no encoded separators).`);
  }
  return { protocol: url.protocol, host, wildcard, port: url.port || defaultPort(url.protocol), path: path.replace(/\/+$/, ""), source: entry };
}

function refuse(reason: string): ReturnToCheck {
  return { ok: false, reason };
}

/**
 * Checks one `return_to` value. Accepted: a path on the base URL's origin (`/dashboard?tab=1`), or an absolute
 * http(s) URL that an allow-list entry matches by scheme, host, port and path segments. Refused: anything
 * longer than 2048 characters; whitespace, control or non-ASCII characters; backslashes; broken or encoded
 * control percent-escapes; `//host` and other scheme-relative forms; userinfo; dot segments and encoded dots
 * or slashes in the path; explicit default ports, upper-case escapes or any other form a URL parser would
 * rewrite; every scheme but http and https.
 */
export function checkReturnTo(policy: ReturnToPolicy, value: string): ReturnToCheck {
  if (value.length > MAX_RETURN_TO_LENGTH) return refuse(`longer than ${MAX_RETURN_TO_LENGTH} characters`);
  if (!/^[\x21-\x7e]+$/.test(value)) return refuse("contains whitespace, control or non-ASCII characters");
  if (value.includes("\\")) return refuse("contains a backslash");
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) return refuse("contains a broken percent-escape");
  if (/%(?:[01][0-9A-Fa-f]|7[Ff])/.test(value)) return refuse("contains an encoded control character");

  if (value.startsWith("/")) {
    if (value.startsWith("//")) return refuse("is scheme-relative");
    const url = new URL(value, policy.baseOrigin);
    if (url.origin !== policy.baseOrigin || url.href.slice(policy.baseOrigin.length) !== value) return refuse("is not in canonical form");
    return pathIsPlain(url) ? { ok: true, location: value } : refuse("has an encoded dot or separator in its path");
  }

  const split = /^(https?:\/\/)([^/?#]*)(.*)$/i.exec(value);
  if (split === null) return refuse("is neither a path nor an http(s) URL");
  const [, schemePart = "", authority = "", rest = ""] = split;
  if (!AUTHORITY.test(authority)) return refuse("has userinfo or an unusual host");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse("is not a valid URL");
  }
  const prefix = `${url.protocol}//${url.host}`;
  const canonicalRest = url.href.slice(prefix.length);
  const sameRest = rest === canonicalRest || (canonicalRest.startsWith("/") && !rest.startsWith("/") && `/${rest}` === canonicalRest);
  if ((schemePart + authority).toLowerCase() !== prefix || !sameRest) return refuse("is not in canonical form");
  if (!pathIsPlain(url)) return refuse("has an encoded dot or separator in its path");
  const port = url.port || defaultPort(url.protocol);
  const allowed = policy.rules.some((rule) =>
    rule.protocol === url.protocol &&
    rule.port === port &&
    (rule.wildcard ? url.hostname.endsWith(`.${rule.host}`) : url.hostname === rule.host) &&
    (rule.path === "" || url.pathname === rule.path || url.pathname.startsWith(`${rule.path}/`)),
  );
  return allowed ? { ok: true, location: value } : refuse("matches no allow-list entry");
}

function pathIsPlain(url: URL): boolean {
  return !/%2e|%2f|%5c/i.test(url.pathname);
}
