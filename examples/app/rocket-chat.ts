import express, { type Express } from "express";
import {
  bodySessionId,
  createLogoutHandler,
  listSessions,
  querySessionId,
  requirePermission,
  requireTotp,
  rocketChatUser,
  sessionInfo,
  shapes,
  whoAmI,
} from "../../src/index.js";
import { noStore, openSession, route, type ExampleContext } from "./context.js";
import { mountRocketChatAdmin } from "./rocket-chat-admin.js";

/**
 * Rocket.Chat: login, `GET /api/v1/me`, and device management. An administrator with the permission
 * `logout-device-management` and a TOTP code ends anyone's session; everyone may end their own.
 */
export function mountRocketChat(app: Express, ctx: ExampleContext): void {
  const common = { store: ctx.store, users: ctx.users, events: ctx.events, shape: shapes.rocketChat };
  const json = express.json({ limit: "8kb" });
  const sessionId = bodySessionId("sessionId");

  app.post("/api/v1/login", noStore, json, ctx.loginLimit, route(async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const user = ctx.users.checkPassword(body.user ?? body.username, body.password);
    if (user === undefined) {
      res.status(401).type("application/json").send(JSON.stringify({ status: "error", error: "Unauthorized", message: "Unauthorized" }));
      return;
    }
    const { token } = await openSession(ctx, req, user.id, "rocket.chat");
    res.status(200).type("application/json").send(JSON.stringify({
      status: "success",
      data: { userId: user.id, authToken: token, me: rocketChatUser(user) },
    }));
  }));

  app.get("/api/v1/me", whoAmI(common));

  // Authentication → body → permission → 2FA → handler, as Rocket.Chat checks them.
  app.post(
    "/api/v1/sessions/logout",
    json,
    requirePermission("logout-device-management", { ...common, validate: sessionId }),
    requireTotp(common),
    createLogoutHandler({ ...common, target: sessionId }),
  );
  app.post("/api/v1/sessions/logout.me", json, createLogoutHandler({ ...common, target: sessionId, whoseSessions: "own" }));
  app.get("/api/v1/sessions/list", listSessions(common));
  app.get("/api/v1/sessions/info", sessionInfo({ ...common, sessionId: querySessionId("sessionId") }));
  app.post("/api/v1/logout", createLogoutHandler(common));
  mountRocketChatAdmin(app, ctx);
}
