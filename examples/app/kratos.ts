import { randomBytes } from "node:crypto";
import express, { type Express, type Request } from "express";
import { browserLogoutFlow, kratosError, kratosSession, shapes, whoAmI, type BrowserLogoutFlow } from "../../src/index.js";
import { noStore, openSession, route, type ExampleContext } from "./context.js";

/**
 * The logout-token key. Every instance serving the same users needs the same one: set
 * `KRATOS_LOGOUT_SECRET` (32+ random characters). Without it, each process makes its own.
 */
function logoutSecret(): string {
  const fromEnv = process.env.KRATOS_LOGOUT_SECRET;
  return fromEnv !== undefined && fromEnv.length >= 32 ? fromEnv : randomBytes(32).toString("base64url");
}

/**
 * Whether the login was posted by the app's own page (or by a client that is no browser). A browser with Fetch
 * Metadata says so in `Sec-Fetch-Site` (`same-origin` or `none`); it decides alone, since the page's
 * `Referrer-Policy: no-referrer` makes its own form post `Origin: null`. Without it, an `Origin`, when there is
 * one, must name this very host.
 */
function fromOwnPage(req: Request): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined) return site === "same-origin" || site === "none";
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return origin !== "null" && new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * Ory Kratos: login (JSON or form), who-am-I, the browser logout flow, native logout and session management,
 * on Kratos' own paths. The session cookie is `ory_kratos_session` (HttpOnly, SameSite=Lax, Path=/).
 */
export function mountKratos(app: Express, ctx: ExampleContext): BrowserLogoutFlow {
  const flow = browserLogoutFlow({
    store: ctx.store,
    users: ctx.users,
    events: ctx.events,
    publicUrl: ctx.publicUrl,
    secrets: [logoutSecret()],
    returnTo: { allow: [...ctx.returnToAllow], default: "/" },
  });

  app.post("/self-service/login", noStore, express.json({ limit: "8kb" }), express.urlencoded({ extended: false, limit: "8kb" }), ctx.loginLimit, route(async (req, res) => {
    // Login CSRF: a page of another site must not sign the browser in (as the attacker). A browser marks such a
    // request in Sec-Fetch-Site and Origin; a client that sends neither (curl, an SDK) is no browser to forge.
    if (!fromOwnPage(req)) {
      const reply = kratosError(403, {
        id: "security_csrf_violation",
        reason: "Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.",
        message: "the request was rejected to protect you from Cross-Site-Request-Forgery",
      }, req);
      res.status(reply.status).set(reply.headers).send(JSON.stringify(reply.body));
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form = req.is("application/x-www-form-urlencoded") !== false;
    if (typeof body.username !== "string" || typeof body.password !== "string" || body.username === "" || body.password === "") {
      const reply = kratosError(400, { reason: "Both username and password are required." }, req);
      res.status(reply.status).set(reply.headers).send(JSON.stringify(reply.body));
      return;
    }
    const user = ctx.users.checkPassword(body.username, body.password);
    if (user === undefined) {
      const reply = kratosError(401, {
        reason: "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.",
      }, req);
      res.status(reply.status).set(reply.headers).send(JSON.stringify(reply.body));
      return;
    }
    const { token, session } = await openSession(ctx, req, user.id, "password", { tokenPrefix: "ory_st_" });
    flow.setSessionCookie(res, token, session.expiresAt);
    res.setHeader("Cache-Control", "no-store");
    if (form) {
      res.status(303).location("/").end();
      return;
    }
    res.status(200).type("application/json").send(JSON.stringify({ session_token: token, session: kratosSession(session, user) }));
  }));

  const common = { store: ctx.store, users: ctx.users, events: ctx.events, shape: shapes.kratos, credentials: flow.credentials };
  app.get("/sessions/whoami", whoAmI(common));
  app.get("/self-service/logout/browser", flow.create);
  app.get("/self-service/logout", flow.logout);
  app.delete("/self-service/logout/api", flow.native);
  app.get("/sessions", flow.listOtherSessions);
  app.delete("/sessions", flow.endOtherSessions);
  app.delete("/sessions/:id", flow.endSession);
  return flow;
}
