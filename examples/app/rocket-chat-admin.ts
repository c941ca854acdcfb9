import express, { type Express } from "express";
import { adminEndUserSessions, adminGetSession, adminListSessions, isSessionDirectory, shapes } from "../../src/index.js";
import type { ExampleContext } from "./context.js";

/**
 * Rocket.Chat's device management, administrator's side: every session (`sessions/list.all`), any one with its
 * user (`sessions/info.admin`), and ending every session of a user (`users.logout`). Each asks the permission
 * Rocket.Chat asks and a TOTP code; `users.logout` of oneself needs neither, as in Rocket.Chat. `list.all` needs a
 * store that lists every session (`MemorySessionStore`, `RedisSessionStore` with `indexAllSessions`); on any
 * other store the route is left out rather than the app refusing to start.
 */
export function mountRocketChatAdmin(app: Express, ctx: ExampleContext): void {
  const common = { store: ctx.store, users: ctx.users, events: ctx.events, shape: shapes.rocketChat };
  if (isSessionDirectory(ctx.store)) app.get("/api/v1/sessions/list.all", adminListSessions({ ...common, gate: { permission: "view-device-management" } }));
  app.get("/api/v1/sessions/info.admin", adminGetSession({ ...common, gate: { permission: "view-device-management" } }));
  app.post("/api/v1/users.logout", express.json({ limit: "8kb" }), adminEndUserSessions({ ...common, gate: { permission: "logout-other-user" }, allowSelf: true }));
}
