import { unsign } from "cookie-signature";
import { readCookieHeader } from "../credentials/index.js";
import { SetupError, checkKnownOptions, cookieNameOption, optionNames } from "../options/index.js";

/** express-session's default cookie name. */
export const DEFAULT_SESSION_COOKIE = "connect.sid";

/** The longest session cookie read; express-session's ids and signatures are far shorter. */
const MAX_SIGNED_VALUE_LENGTH = 4096;

/** How `readSessionCookie` finds and checks express-session's signed cookie. */
export interface SignedSessionCookieOptions {
  /**
   * The app's express-session `secret`: one string, or the list, newest first. Every secret is tried, as
   * express-session does, so a cookie signed before a rotation still reads. Required.
   */
  readonly secret: string | readonly string[];
  /**
   * The cookie's name (express-session's `name`).
   * @defaultValue `"connect.sid"`
   */
  readonly name?: string;
}

function checkSecrets(secret: unknown): readonly string[] {
  const list: unknown[] = typeof secret === "string" ? [secret] : Array.isArray(secret) ? (secret as unknown[]) : [];
  if (list.length === 0 || !list.every((s) => typeof s === "string" && s !== "")) {
    throw new SetupError("option-invalid", "readSessionCookie `secret` must be the app's express-session secret: a non-empty string or a list of them, newest first.");
  }
  return list as string[];
}

/**
 * Reads the express-session id from a `Cookie` header, for code outside express-session's middleware (a
 * WebSocket upgrade, an admin tool handed a cookie). Answers the session id only when the cookie is signed
 * (`s:` + id + signature) by one of the app's secrets, checked by `cookie-signature` in constant time, as
 * express-session checks it; an unsigned, tampered or foreign cookie answers `undefined`. The id is a
 * credential: look it up through the tracked store (`store.get(sid, cb)`), which refuses an ended session.
 *
 * ```ts
 * const sid = readSessionCookie(upgradeRequest.headers.cookie, { secret: [process.env.SESSION_SECRET] });
 * ```
 */
export function readSessionCookie(cookieHeader: string | undefined, options: Readonly<SignedSessionCookieOptions>): string | undefined {
  checkKnownOptions("readSessionCookie", options, optionNames<SignedSessionCookieOptions>({ secret: true, name: true }), "with `secret`");
  const secrets = checkSecrets(options.secret);
  const name = cookieNameOption("readSessionCookie", "name", options.name ?? DEFAULT_SESSION_COOKIE);
  if (typeof cookieHeader !== "string") return undefined;
  const value = readCookieHeader(cookieHeader, name);
  if (value?.startsWith("s:") !== true || value.length > MAX_SIGNED_VALUE_LENGTH) return undefined;
  const signed = value.slice(2);
  for (const secret of secrets) {
    const sid = unsign(signed, secret);
    if (sid !== false && sid !== "") return sid;
  }
  return undefined;
}
