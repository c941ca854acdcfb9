import { randomBytes } from "node:crypto";
import { RedisStore } from "connect-redis";
import type { RequestHandler } from "express";
import session, { type Store } from "express-session";
import { createLogoutHandler, expressSession, shapes, trackSessions } from "#bench/library";
import { COOKIE, SECRET, TTL_SECONDS, signedCookie } from "../peers/express-session-common.js";
import { benchUserId } from "../sessions.js";
import type { Pipeline, PipelineEnv } from "../types.js";
import { endorLogoutPipeline } from "./endor.js";
import { listThings, requireSessionPipeline } from "./require-session.js";

/*
 * express-session + connect-redis 9, as the peers run it, with its store wrapped by `trackSessions` (records
 * in the library's store of the run): the same routes, options and answers as the peer rows, so "× peer" is
 * what tracking costs. On the Redis store only, and on its client, as docs/express-session.md sets it up: one
 * client for connect-redis and RedisSessionStore, so a request's session read and record read leave in one write.
 */

/** Sessions the guard's requests go round, as many as the peer's read row uses. */
const LIVE_SESSIONS = 10_000;

interface Tracked {
  readonly store: Store;
  readonly middleware: RequestHandler;
}

/** connect-redis under the run's prefix, wrapped by trackSessions, and express-session with the peer's options. */
function trackedSessions(env: PipelineEnv, name: string): Tracked {
  const { ctx, redisClient: client } = env;
  if (ctx === undefined || client === undefined) throw new Error(`${name}: runs only as an HTTP scenario, on the Redis store`);
  const store = trackSessions(new RedisStore({ client, prefix: `${ctx.redisPrefix}${name}:sess:`, ttl: TTL_SECONDS }), { store: env.store });
  const middleware = session({ store, secret: SECRET, name: COOKIE, resave: false, saveUninitialized: false, rolling: false, cookie: { maxAge: TTL_SECONDS * 1000 } });
  return { store, middleware };
}

/** `n` logged-in sessions written through the tracked store, as a login would (record and session both); untimed. */
async function openTrackedSessions(store: Store, n: number): Promise<string[][]> {
  const rows = new Array<string[]>(n);
  const expires = new Date(Date.now() + TTL_SECONDS * 1000).toISOString();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < n) {
      const i = next++;
      const sid = randomBytes(24).toString("base64url");
      const data = { cookie: { originalMaxAge: TTL_SECONDS * 1000, expires, httpOnly: true, path: "/" }, userId: benchUserId(i) };
      await new Promise<void>((resolve, reject) => {
        store.set(sid, data as unknown as session.SessionData, (error?: unknown) => {
          if (error === undefined || error === null) resolve();
          else reject(error instanceof Error ? error : new Error("the tracked store failed"));
        });
      });
      rows[i] = [signedCookie(sid)];
    }
  }
  await Promise.all(Array.from({ length: Math.min(256, n) }, worker));
  return rows;
}

const built = new WeakMap<PipelineEnv, Tracked>();

function trackedFor(env: PipelineEnv, name: string): Tracked {
  const existing = built.get(env);
  if (existing !== undefined) return existing;
  const tracked = trackedSessions(env, name);
  built.set(env, tracked);
  return tracked;
}

/** The peer's protected route (its own user check, nothing written back) on a tracked store. */
export const trackedSessionReadPipeline: Pipeline = {
  id: "express-session-tracked-read",
  title: "express-session + connect-redis 9 + trackSessions, the session read of a protected route",
  kind: "guard",
  method: "GET",
  route: requireSessionPipeline.route,
  template: { method: "GET", path: requireSessionPipeline.template.path, headers: { cookie: `${COOKIE}={{0}}` } },
  success: requireSessionPipeline.success,
  stores: ["redis"],
  ceilingOf: requireSessionPipeline.id,
  ceilingHandler: listThings,
  handlers(env) {
    const { middleware } = trackedFor(env, "tracked-read");
    const hostGuard: RequestHandler = function hostGuard(req, res, next) {
      if ((req.session as unknown as { userId?: string }).userId === undefined) {
        res.status(401).json({ error: "unauthenticated" });
        return;
      }
      next();
    };
    return [middleware, hostGuard, listThings];
  },
  async feed(env) {
    const { store } = trackedFor(env, "tracked-read");
    return { rows: await openTrackedSessions(store, LIVE_SESSIONS), cycle: true };
  },
};

/** The peer's logout route and body, ended through the library: the record, the stored session and the cookie. */
export const trackedSessionLogoutPipeline: Pipeline = {
  id: "express-session-tracked-logout",
  title: "express-session + connect-redis 9 + trackSessions, createLogoutHandler (Endor Labs body)",
  kind: "logout",
  method: "GET",
  route: endorLogoutPipeline.route,
  template: { method: "GET", path: endorLogoutPipeline.template.path, headers: { cookie: `${COOKIE}={{0}}` } },
  success: endorLogoutPipeline.success,
  stores: ["redis"],
  ceilingOf: endorLogoutPipeline.id,
  handlers(env) {
    const { middleware } = trackedFor(env, "tracked-logout");
    return [middleware, createLogoutHandler({ store: env.store, users: env.users, shape: shapes.endor, credentials: [expressSession()] })];
  },
  async feed(env, n) {
    const { store } = trackedFor(env, "tracked-logout");
    return { rows: await openTrackedSessions(store, n), cycle: false };
  },
};
