import { RedisStore } from "connect-redis";
import express, { type Request, type Response } from "express";
import session from "express-session";
import { listThings, requireSessionPipeline } from "../pipelines/require-session.js";
import { connectRedis, deletePrefix } from "../redis.js";
import type { PeerEntry } from "../types.js";
import { COOKIE, SECRET, TTL_SECONDS, openPeerSessions } from "./express-session-common.js";

/** Sessions the requests go round, as many as the library's guard rows use. */
const LIVE_SESSIONS = 10_000;

/**
 * The guard a user would pick instead: express-session + connect-redis 9 reading the session of every request
 * (one GET, `resave: false`, nothing written back), refusing a request without a user, in front of the same
 * protected route as the `requireSession` pipeline.
 */
export const expressSessionReadPeer: PeerEntry = {
  id: "express-session-read",
  title: "express-session + connect-redis 9, the session read of a protected route",
  needsRedis: true,
  kind: "guard",
  sameRouteAs: requireSessionPipeline.id,
  async start(ctx) {
    const client = await connectRedis(ctx.redisUrl);
    const prefix = `${ctx.redisPrefix}peer-read:sess:`;
    const store = new RedisStore({ client, prefix, ttl: TTL_SECONDS });
    const app = express();
    app.disable("x-powered-by");
    app.set("etag", false);
    const sessions = session({ store, secret: SECRET, name: COOKIE, resave: false, saveUninitialized: false, rolling: false, cookie: { maxAge: TTL_SECONDS * 1000 } });
    app.get(requireSessionPipeline.route, sessions, function peerGuard(req: Request, res: Response, next) {
      if (req.session.userId === undefined) {
        res.status(401).json({ error: "unauthenticated" });
        return;
      }
      next();
    }, listThings);
    return {
      app,
      template: { method: "GET", path: requireSessionPipeline.template.path, headers: { cookie: `${COOKIE}={{0}}` } },
      success: requireSessionPipeline.success,
      async feed() {
        return { rows: await openPeerSessions(store, LIVE_SESSIONS, 0), cycle: true };
      },
      async close() {
        await deletePrefix(client, prefix);
        client.destroy();
      },
    };
  },
};
