import { createHmac, randomBytes } from "node:crypto";
import { RedisStore } from "connect-redis";
import express, { type NextFunction, type Request, type Response } from "express";
import session from "express-session";
import { endorAuthenticationResponse } from "../../../src/index.js";
import { endorLogoutPipeline } from "../pipelines/endor.js";
import { BenchDirectory } from "../directory.js";
import { connectRedis, countPrefix, deletePrefix } from "../redis.js";
import { BENCH_USERS, benchUserId } from "../sessions.js";
import type { PeerEntry } from "../types.js";

declare module "express-session" {
  interface SessionData {
    userId: string;
  }
}

const SECRET = "bench-express-session-secret";
const COOKIE = "connect.sid";
const TTL_SECONDS = 24 * 60 * 60;

/** The cookie express-session expects for a session id: `s:` + id + `.` + HMAC-SHA256, URL-encoded (cookie-signature). */
function signedCookie(sid: string): string {
  const mac = createHmac("sha256", SECRET).update(sid).digest("base64").replace(/=+$/, "");
  return encodeURIComponent(`s:${sid}.${mac}`);
}

/**
 * What a user would pick instead: `express-session` with `connect-redis` 9 on the same Redis, and
 * `req.session.destroy()` behind the same route shape as the Endor Labs pipeline, answering the same body
 * (rendered per request with the same function). Sessions are pre-created with `store.set`, as a login would.
 */
export const expressSessionPeer: PeerEntry = {
  id: "express-session",
  title: "express-session + connect-redis 9, req.session.destroy()",
  needsRedis: true,
  sameRouteAs: endorLogoutPipeline.id,
  async start(ctx) {
    const client = await connectRedis(ctx.redisUrl);
    const prefix = `${ctx.redisPrefix}peer:sess:`;
    const store = new RedisStore({ client, prefix, ttl: TTL_SECONDS });
    const users = new BenchDirectory();
    for (let i = 0; i < BENCH_USERS; i++) users.add(benchUserId(i));

    const app = express();
    app.disable("x-powered-by");
    app.set("etag", false);
    const sessions = session({ store, secret: SECRET, name: COOKIE, resave: false, saveUninitialized: false, cookie: { maxAge: TTL_SECONDS * 1000 } });
    app.get(endorLogoutPipeline.route, sessions, function peerLogout(req: Request, res: Response, next: NextFunction) {
      const userId = req.session.userId;
      if (userId === undefined) {
        res.status(401).json({ code: 16, message: "Invalid authorization header: Bearer", details: [] });
        return;
      }
      users.findUser(userId).then((user) => {
        req.session.destroy((error: unknown) => {
          if (error !== undefined && error !== null) {
            next(error);
            return;
          }
          res.setHeader("Cache-Control", "no-store");
          res.status(200).json(endorAuthenticationResponse({ authenticationSource: "login", token: "", expirationTime: Date.now(), user, userId }));
        });
      }, next);
    });

    let opened = 0;
    return {
      app,
      template: { method: "GET", path: endorLogoutPipeline.template.path, headers: { cookie: `${COOKIE}={{0}}` } },
      success: endorLogoutPipeline.success,
      async feed(n) {
        const rows: string[][] = new Array<string[]>(n);
        const expires = new Date(Date.now() + TTL_SECONDS * 1000).toISOString();
        let next = 0;
        async function worker(): Promise<void> {
          while (next < n) {
            const i = next++;
            // express-session's own ids are uid-safe(24): 32 base64url characters.
            const sid = randomBytes(24).toString("base64url");
            const data = { cookie: { originalMaxAge: TTL_SECONDS * 1000, expires, httpOnly: true, path: "/" }, userId: benchUserId(opened + i) };
            await store.set(sid, data as unknown as session.SessionData);
            rows[i] = [signedCookie(sid)];
          }
        }
        await Promise.all(Array.from({ length: Math.min(256, n) }, worker));
        opened += n;
        return { rows, cycle: false };
      },
      liveSessions: () => countPrefix(client, prefix),
      async close() {
        await deletePrefix(client, prefix);
        client.destroy();
      },
    };
  },
};
