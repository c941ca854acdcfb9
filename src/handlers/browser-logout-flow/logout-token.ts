import { MAX_TOKEN_LENGTH } from "../../request-input.js";
import { constantTimeEqual, hmac } from "../../secrets.js";

/** Issues and checks logout tokens: `prefix + HMAC-SHA256(secret, "logout:" + session id)`. */
export interface LogoutTokens {
  /** The token of a session, under the newest secret. */
  issue(sessionId: string): string;
  /** Whether `token` is this session's logout token under any of the secrets, in constant time. */
  matches(token: string, sessionId: string): boolean;
}

/**
 * Logout tokens for `secrets` (newest first: the first signs, every one verifies). Stateless: 256 bits, no store
 * write to issue one, and useless once their session has ended. `prefix` is the shape's (Kratos: `ory_lo_`).
 */
export function logoutTokens(secrets: readonly string[], prefix: string): LogoutTokens {
  const sign = (sessionId: string, secret: string) => prefix + hmac(secret, `logout:${sessionId}`);
  return {
    issue: (sessionId) => sign(sessionId, secrets[0] ?? ""),
    matches(token, sessionId) {
      if (token.length > MAX_TOKEN_LENGTH) return false;
      let matches = false;
      for (const secret of secrets) matches = constantTimeEqual(token, sign(sessionId, secret)) || matches;
      return matches;
    },
  };
}
