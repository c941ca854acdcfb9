import { MAX_TOKEN_LENGTH } from "../../request-input.js";
import { constantTimeEqual, hmac } from "../../secrets.js";
import type { SessionRecord } from "../../types.js";

/** What a logout token is bound to: the session's token hash, or its id for a session without one (a JWT's). */
export type LogoutTokenSubject = Pick<SessionRecord, "id" | "tokenHash">;

/** Issues and checks logout tokens: `prefix + HMAC-SHA256(secret, "logout:" + binding)`. */
export interface LogoutTokens {
  /** The token of a session, under the newest secret. */
  issue(session: LogoutTokenSubject): string;
  /** Whether `token` is the session's logout token under any of the secrets, in constant time. */
  matches(token: string, session: LogoutTokenSubject): boolean;
  /**
   * Whether `token` is the logout token of the session whose token hashes to `tokenHash`: checked before the
   * session is read, so the logout can end it in the same store call that finds it.
   */
  matchesTokenHash(token: string, tokenHash: string): boolean;
}

/**
 * The HMAC's message. Bound to the token hash, a logout token is checked against the request's own cookie
 * before any store call, and a rotated session token (a credential change) retires its logout URL too. A
 * session without a token hash (a JWT's, which no cookie names) is bound to its id; the two never collide.
 */
function binding(session: LogoutTokenSubject): string {
  return session.tokenHash === "" ? `logout:session:${session.id}` : `logout:token:${session.tokenHash}`;
}

/**
 * Logout tokens for `secrets` (newest first: the first signs, every one verifies). Stateless: 256 bits, no store
 * write to issue one, and useless once their session has ended. `prefix` is the shape's (Kratos: `ory_lo_`).
 */
export function logoutTokens(secrets: readonly string[], prefix: string): LogoutTokens {
  const sign = (message: string, secret: string) => prefix + hmac(secret, message);
  const matchesMessage = (token: string, message: string) => {
    if (token.length > MAX_TOKEN_LENGTH) return false;
    let matches = false;
    for (const secret of secrets) matches = constantTimeEqual(token, sign(message, secret)) || matches;
    return matches;
  };
  return {
    issue: (session) => sign(binding(session), secrets[0] ?? ""),
    matches: (token, session) => matchesMessage(token, binding(session)),
    matchesTokenHash: (token, tokenHash) => tokenHash !== "" && matchesMessage(token, binding({ id: "", tokenHash })),
  };
}
