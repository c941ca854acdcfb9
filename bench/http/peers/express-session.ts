import { RedisStore } from "connect-redis";
import express, { type NextFunction, type Request, type Response } from "express";
import session from "express-session";
import { endorAuthenticationResponse } from "#bench/library";
import { endorLogoutPipeline } from "../pipelines/endor.js";
import { BenchDirectory } from "../directory.js";
import { connectRedis, countPrefix, deletePrefix } from "../redis.js";
import { BENCH_USERS, benchUserId } from "../sessions.js";
import { COOKIE, SECRET, TTL_SECONDS, openPeerSessions } from "./express-session-common.js";
import type { PeerEntry } from "../types.js";

/**
 * What a user would pick instead: `express-session` with `connect-redis` 9 on the same Redis, and
 * `req.session.destroy()` behind the same route shape as the Endor Labs pipeline, answering the same body
 * (rendered per request with the same function). Sessions are pre-created with `store.set`, as a login would.
 */
export const expressSessionPeer: PeerEntry = {
  id: "express-session",
  title: "express-session + connect-redis 9, req.session.destroy()",
  needsRedis: true,
  kind: "logout",
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
        const rows = await openPeerSessions(store, n, opened);
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
