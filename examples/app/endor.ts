import express, { type Express } from "express";
import { LogoutError, createLogoutHandler, endorAuthenticationResponse, hashSecret, shapes, verifySecret, whoAmI } from "../../src/index.js";
import { deadline, noStore, openSession, route, type ExampleContext } from "./context.js";

/** Endor Labs: login, API-key login, who-am-I, and `GET /v1/auth/:authentication_source/logout`. */
export function mountEndor(app: Express, ctx: ExampleContext): void {
  const common = { store: ctx.store, users: ctx.users, events: ctx.events, shape: shapes.endor };
  const unauthorized = () => shapes.endor.error(new LogoutError("unauthenticated"), {} as never);

  app.post("/v1/auth/login", noStore, express.json({ limit: "8kb" }), ctx.loginLimit, route(async (req, res) => {
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

  app.post("/v1/auth/api-key", noStore, express.json({ limit: "8kb" }), ctx.loginLimit, route(async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const key = body.key;
    const record = typeof key === "string" ? await deadline(ctx, "users.findApiKey", () => ctx.users.findApiKey(key)) : undefined;
    const secret = typeof body.secret === "string" ? body.secret : "";
    if (!verifySecret(secret, record?.secretHash ?? hashSecret("")) || record === undefined) {
      const reply = shapes.endor.error(new LogoutError("api-key-invalid"), req);
      res.status(reply.status).type("application/json").send(JSON.stringify(reply.body));
      return;
    }
    const user = await deadline(ctx, "users.findUser", () => ctx.users.findUser(record.userId));
    const { token, session } = await openSession(ctx, req, record.userId, "api-key", { apiKeyId: record.id });
    res.status(200).type("application/json").send(JSON.stringify(endorAuthenticationResponse({
      authenticationSource: "api-key", token, expirationTime: session.expiresAt, user, userId: record.userId,
    })));
  }));

  app.get("/v1/auth", whoAmI(common));
  app.get("/v1/auth/:authentication_source/logout", createLogoutHandler(common));
}
