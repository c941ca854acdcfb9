import express, { type Express } from "express";
import { LogoutError, createLogoutHandler, endorAuthenticationResponse, hashSecret, shapes, verifySecret, whoAmI } from "../../src/index.js";
import { openSession, route, type ExampleContext } from "./context.js";

/** Endor Labs: login, API-key login, who-am-I, and `GET /v1/auth/:authentication_source/logout`. */
export function mountEndor(app: Express, ctx: ExampleContext): void {
  const common = { store: ctx.store, users: ctx.users, events: ctx.events, shape: shapes.endor };
  const unauthorized = () => shapes.endor.error(new LogoutError("unauthenticated"), {} as never);

  app.post("/v1/auth/login", express.json({ limit: "8kb" }), route(async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const user = ctx.users.checkPassword(body.username, body.password);
    if (user === undefined) {
      const reply = unauthorized();
      res.status(reply.status).type("application/json").send(JSON.stringify(reply.body));
      return;
    }
    const { token, session } = await openSession(ctx, req, user.id, "login");
    res.status(200).type("application/json").send(JSON.stringify(endorAuthenticationResponse({
      authenticationSource: "login", token, expirationTime: session.expiresAt, user, userId: user.id,
    })));
  }));

  app.post("/v1/auth/api-key", express.json({ limit: "8kb" }), route(async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const record = typeof body.key === "string" ? await ctx.users.findApiKey(body.key) : undefined;
    const secret = typeof body.secret === "string" ? body.secret : "";
    if (!verifySecret(secret, record?.secretHash ?? hashSecret("")) || record === undefined) {
      const reply = shapes.endor.error(new LogoutError("api-key-invalid"), req);
      res.status(reply.status).type("application/json").send(JSON.stringify(reply.body));
      return;
    }
    const user = await ctx.users.findUser(record.userId);
    const { token, session } = await openSession(ctx, req, record.userId, "api-key", { apiKeyId: record.id });
    res.status(200).type("application/json").send(JSON.stringify(endorAuthenticationResponse({
      authenticationSource: "api-key", token, expirationTime: session.expiresAt, user, userId: record.userId,
    })));
  }));

  app.get("/v1/auth", whoAmI(common));
  app.get("/v1/auth/:authentication_source/logout", createLogoutHandler(common));
}
