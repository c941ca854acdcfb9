import express, { type Express } from "express";
import { createLogoutHandler, encodeSoajsAuth, shapes, soajsUser, whoAmI } from "../../src/index.js";
import { deadline, noStore, openSession, route, type ExampleContext } from "./context.js";

/** SOAJS urac: login, account, and `GET /urac/logout`. */
export function mountSoajs(app: Express, ctx: ExampleContext): void {
  const common = { store: ctx.store, users: ctx.users, events: ctx.events, shape: shapes.soajs };

  app.post("/urac/login", noStore, express.json({ limit: "8kb" }), express.urlencoded({ extended: false, limit: "8kb" }), ctx.loginLimit, route(async (req, res) => {
    const refusal = await deadline(ctx, "soajs precheck", () => shapes.soajs.precheck?.(req, ctx.users) ?? Promise.resolve(undefined));
    if (refusal !== undefined) {
      const reply = shapes.soajs.error(refusal, req);
      res.status(reply.status).json(reply.body);
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const user = ctx.users.checkPassword(body.username, body.password);
    if (user === undefined) {
      res.status(200).json({ result: false, errors: { codes: [401], details: [{ code: 401, message: "Unable to log in the user. User not found." }] } });
      return;
    }
    const { token } = await openSession(ctx, req, user.id, "urac", { tenant: ctx.users.config.tenant.id });
    res.status(200).json({ result: true, data: soajsUser(user), soajsauth: encodeSoajsAuth(token) });
  }));

  app.get("/urac/account", whoAmI(common));
  app.get("/urac/logout", createLogoutHandler(common));
}
