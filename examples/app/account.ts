import express, { type Express } from "express";
import {
  endSessionsAfterCredentialChange,
  getAuthentication,
  markAuthenticated,
  requireSession,
  shapes,
  type BrowserLogoutFlow,
} from "../../src/index.js";
import { route, type ExampleContext } from "./context.js";

/**
 * `POST /account/password` `{ current, next, endOthers }` with the session cookie: the page's "Change password".
 * The current password is the re-authentication (ASVS 7.5.1) and is recorded on the session as a fresh proof;
 * with `endOthers`, every other session of the user and every earlier JWT ends (ASVS 7.4.3), this one stays.
 * Answers `{ changed: true, sessionsEnded }`, or 400 `{ error }` with nothing changed.
 */
export function mountAccount(app: Express, ctx: ExampleContext, flow: BrowserLogoutFlow): void {
  const signedIn = requireSession({ store: ctx.store, users: ctx.users, events: ctx.events, shape: shapes.kratos, credentials: flow.credentials });
  app.post("/account/password", express.json({ limit: "8kb" }), signedIn, route(async (req, res) => {
    const auth = getAuthentication(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.setHeader("Cache-Control", "no-store");
    const user = auth?.user;
    if (auth === undefined || user === undefined || ctx.users.checkPassword(user.username, body.current)?.id !== user.id) {
      res.status(400).json({ error: "the current password is not right" });
      return;
    }
    if (typeof body.next !== "string" || body.next.length < 8 || body.next.length > 1024) {
      res.status(400).json({ error: "the new password needs 8 to 1024 characters" });
      return;
    }
    await markAuthenticated(req, { method: "password" });
    ctx.users.changePassword(user.id, body.current, body.next);
    const { sessionsEnded } = body.endOthers === true
      ? await endSessionsAfterCredentialChange(ctx.store, { userId: user.id, keep: auth.session.id, reason: "password-changed", events: ctx.events })
      : { sessionsEnded: 0 };
    res.status(200).json({ changed: true, sessionsEnded });
  }));
}
