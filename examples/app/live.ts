import type { Express } from "express";
import { hasRevocationFeed, sessionEventStream, watchSessions, type BrowserLogoutFlow, type SessionWatcher } from "../../src/index.js";
import type { ExampleContext } from "./context.js";

/** The path of the page's live stream. */
export const LIVE_EVENTS_PATH = "/live/events";

/**
 * `GET /live/events`: a Server-Sent Events stream the page at `/` keeps open, authenticated by the session
 * cookie; it ends with `event: logout` the moment that session ends, from another browser, the admin, "log out
 * everywhere" or expiry, on any instance sharing the store. Answers `undefined` (and mounts nothing) for a
 * store without the revocation feed (a `RedisSessionStore` without a `subscriber`): the page then stays static.
 */
export function mountLive(app: Express, ctx: ExampleContext, flow: BrowserLogoutFlow): SessionWatcher | undefined {
  if (!hasRevocationFeed(ctx.store)) return undefined;
  const watcher = watchSessions({ store: ctx.store, users: ctx.users, events: ctx.events, credentials: flow.credentials });
  app.get(LIVE_EVENTS_PATH, sessionEventStream(watcher));
  return watcher;
}
