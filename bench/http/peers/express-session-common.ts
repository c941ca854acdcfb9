import { createHmac, randomBytes } from "node:crypto";
import type { RedisStore } from "connect-redis";
import type session from "express-session";
import { benchUserId } from "../sessions.js";

declare module "express-session" {
  interface SessionData {
    userId: string;
  }
}

export const SECRET = "bench-express-session-secret";
export const COOKIE = "connect.sid";
export const TTL_SECONDS = 24 * 60 * 60;

/** The cookie express-session expects for a session id: `s:` + id + `.` + HMAC-SHA256, URL-encoded (cookie-signature). */
export function signedCookie(sid: string): string {
  const mac = createHmac("sha256", SECRET).update(sid).digest("base64").replace(/=+$/, "");
  return encodeURIComponent(`s:${sid}.${mac}`);
}

/**
 * `n` logged-in sessions written with `store.set`, as a login would, for users numbered from `firstUser`;
 * answers one row (the signed cookie) per session.
 */
export async function openPeerSessions(store: RedisStore, n: number, firstUser: number): Promise<string[][]> {
  const rows: string[][] = new Array<string[]>(n);
  const expires = new Date(Date.now() + TTL_SECONDS * 1000).toISOString();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < n) {
      const i = next++;
      // express-session's own ids are uid-safe(24): 32 base64url characters.
      const sid = randomBytes(24).toString("base64url");
      const data = { cookie: { originalMaxAge: TTL_SECONDS * 1000, expires, httpOnly: true, path: "/" }, userId: benchUserId(firstUser + i) };
      await store.set(sid, data as unknown as session.SessionData);
      rows[i] = [signedCookie(sid)];
    }
  }
  await Promise.all(Array.from({ length: Math.min(256, n) }, worker));
  return rows;
}
