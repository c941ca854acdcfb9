import type { Express } from "express";
import { rateLimit, ipKeyGenerator } from "express-rate-limit";
import {
  adminEndSession,
  adminEndUserSessions,
  adminExtendSession,
  adminGetSession,
  adminListSessions,
  adminListUserSessions,
  hashSecret,
  isSessionDirectory,
  kratosAdminShape,
  parseKratosUuid,
  shapes,
  type Shape,
} from "../../src/index.js";
import type { ExampleContext } from "./context.js";

/**
 * The demo's users have names for ids (`alice`, `admin`), not Kratos' UUIDs: a UUID is read as Kratos reads it,
 * and a plain name is taken as it is. Anything else is Kratos' own 400 for a bad UUID.
 */
function demoIdentityId(text: string): string {
  return /^[a-z][a-z0-9_-]{0,63}$/.test(text) ? text : parseKratosUuid(text);
}

/** Kratos' shape with the demo's identity ids. */
const kratosDemoAdmin: Shape = { ...shapes.kratos, admin: kratosAdminShape({ parseIdentityId: demoIdentityId }) };

/**
 * Ory Kratos' admin plane on its own paths, behind the demo's admin API key (`Authorization: Bearer <key>`, as
 * `@ory/client`'s `Configuration({ accessToken })` sends it): every session, one session, ending one, extending
 * one, and one identity's sessions, listed or ended. Only the key's hash is kept. The browser's session cookie is
 * never read here: a signed-in administrator's browser cannot be made to call these routes by another site.
 * Failed attempts (a 401) are limited per client address, so the key cannot be guessed online.
 */
export function mountKratosAdmin(app: Express, ctx: ExampleContext): void {
  const admin = { store: ctx.store, users: ctx.users, events: ctx.events, shape: kratosDemoAdmin, gate: { apiKeyHashes: [hashSecret(ctx.users.config.adminApiKey)] } } as const;
  const failures = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 20,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    skipSuccessfulRequests: true,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ""),
    handler: (_req, res) => {
      res.status(429).set("Cache-Control", "no-store").type("application/json").send(JSON.stringify({ error: { code: 429, status: "Too Many Requests", message: "Too many requests, please slow down" } }));
    },
  });
  app.use(["/admin/sessions", "/admin/identities"], failures);
  // Listing every session and extending one need a store that lists every session (MemorySessionStore,
  // RedisSessionStore with indexAllSessions); on another store those two routes are left out.
  if (isSessionDirectory(ctx.store)) {
    app.get("/admin/sessions", adminListSessions(admin));
    // One day from the login at most, the demo's session lifetime: an extension never outlives it.
    app.patch("/admin/sessions/:id/extend", adminExtendSession({ ...admin, lifespanMs: ctx.sessionTtlMs, maxLifetimeMs: ctx.sessionTtlMs }));
  }
  app.get("/admin/sessions/:id", adminGetSession(admin));
  app.delete("/admin/sessions/:id", adminEndSession(admin));
  app.get("/admin/identities/:id/sessions", adminListUserSessions(admin));
  app.delete("/admin/identities/:id/sessions", adminEndUserSessions(admin));
}
