import { randomBytes } from "node:crypto";
import { constantTimeEqual, hmac } from "../secrets.js";

/** What a logout `state` carries: a nonce (for single use), where the browser goes at the end, and its expiry. */
export interface LogoutState {
  readonly nonce: string;
  readonly returnTo: string;
  readonly expiresAt: number;
}

/** The longest `state` read back, in characters. */
const MAX_STATE_LENGTH = 4096;

/**
 * The `state` of an RP-initiated logout: `base64url(JSON) "." HMAC-SHA256`, signed with the newest secret and
 * verified with any of them (so secrets rotate without breaking logouts under way). Tamper-proof and
 * self-contained: nothing is written when a logout starts; the callback spends its nonce once.
 */
export function signLogoutState(secret: string, returnTo: string, ttlMs: number): string {
  const payload = Buffer.from(JSON.stringify({ n: randomBytes(16).toString("base64url"), r: returnTo, e: Date.now() + ttlMs })).toString("base64url");
  return `${payload}.${hmac(secret, `rp-logout-state:${payload}`)}`;
}

/** The state's content when one of `secrets` signed it and it has not expired; `undefined` otherwise. */
export function verifyLogoutState(secrets: readonly string[], state: string): LogoutState | undefined {
  if (state.length > MAX_STATE_LENGTH) return undefined;
  const dot = state.indexOf(".");
  if (dot <= 0) return undefined;
  const payload = state.slice(0, dot);
  const signature = state.slice(dot + 1);
  let valid = false;
  for (const secret of secrets) valid = constantTimeEqual(signature, hmac(secret, `rp-logout-state:${payload}`)) || valid;
  if (!valid) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  const { n, r, e } = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (typeof n !== "string" || typeof r !== "string" || typeof e !== "number" || e <= Date.now()) return undefined;
  return { nonce: n, returnTo: r, expiresAt: e };
}
