import type { Request, RequestHandler } from "express";
import { answeredUncalledMount, type NotMountable } from "../../options/mounted-uncalled.js";
import { LogoutError } from "../../errors.js";
import { DEFAULT_SESSION_TTL_MS } from "../../sessions.js";
import { guarded, malformedAnswer } from "../../deadline.js";
import { isSessionRecord } from "../../store/answers.js";
import { assertSessionDirectory, type SessionDirectory } from "../../store/session-directory.js";
import type { SessionStore, UserRecord } from "../../types.js";
import { positiveOption } from "../../options/index.js";
import { sendReply } from "../runtime/index.js";
import { actorOf, adminHandler, adminViews, currentSessionId, findSession, resolveAdmin, type AdminOptions } from "./setup.js";

/** Reads a session id in the gate's `validate` step (so a bad one is refused before the permission is asked). */
function idReader(read: (req: Request) => string): { validate: (req: Request) => void; id: (req: Request) => string } {
  const ids = new WeakMap<Request, string>();
  return {
    validate(req) {
      ids.set(req, read(req));
    },
    id(req) {
      return ids.get(req) ?? read(req);
    },
  };
}

/**
 * Any user's live session by id, for an administrator, rendered by `shape.admin.session` (Rocket.Chat
 * `GET /api/v1/sessions/info.admin` with `_user`, Kratos `GET /admin/sessions/:id`). Unknown, ended or expired:
 * `not-found`.
 */
export function adminGetSession<U extends UserRecord = UserRecord>(options: Readonly<AdminOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("adminGetSession", "adminGetSession({ ... })", options, notMountable)) return undefined as never;
  const ar = resolveAdmin("adminGetSession", options, ["readSessionId", "session"]);
  const { rt, admin } = ar;
  const render = admin.session as NonNullable<typeof admin.session>;
  const ids = idReader(admin.readSessionId as NonNullable<typeof admin.readSessionId>);
  return adminHandler(ar, ids.validate, async (req, res, caller) => {
    const session = await findSession(rt, ids.id(req));
    if (session === undefined) throw new LogoutError("not-found", "Session not found");
    const [view] = await adminViews(rt, [session], currentSessionId(caller));
    if (view === undefined) throw new LogoutError("not-found", "Session not found");
    sendReply(res, render(view, req));
  });
}

export interface AdminExtendSessionOptions<U extends UserRecord = UserRecord> extends AdminOptions<U> {
  /**
   * How long an extended session lives from now, in ms: Kratos' `session.lifespan`. An extension never shortens
   * a session.
   * @defaultValue 24 h, the lifetime `issueSession` gives a session
   */
  readonly lifespanMs?: number;
  /**
   * The absolute limit, in ms from the session's login (`createdAt`): no extension takes a session past it, so
   * an administrator cannot turn a session into one that never ends (ASVS 7.3.2). An extension the limit leaves
   * nothing to do changes nothing and still succeeds, as Kratos answers an extension it skips.
   * @defaultValue 24 h, `issueSession`'s default lifetime, so by default an extension renews a session issued
   * with a shorter one, up to a day from its login
   */
  readonly maxLifetimeMs?: number;
}

/**
 * Extends any user's live session, for an administrator: it then expires `lifespanMs` from now, never earlier
 * than it already would and never later than `maxLifetimeMs` after its login, rendered by
 * `shape.admin.extended` (Kratos `PATCH /admin/sessions/:id/extend`).
 * Needs a store that implements `SessionDirectory` (`extendSession`), checked at setup.
 */
export function adminExtendSession<U extends UserRecord = UserRecord>(options: Readonly<AdminExtendSessionOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("adminExtendSession", "adminExtendSession({ ... })", options, notMountable)) return undefined as never;
  const factory = "adminExtendSession";
  const ar = resolveAdmin(factory, options, ["readSessionId", "extended"], ["lifespanMs", "maxLifetimeMs"]);
  const { rt, admin } = ar;
  assertSessionDirectory(rt.store, factory);
  const store: SessionStore & SessionDirectory = rt.store;
  const lifespanMs = positiveOption(factory, "lifespanMs", options.lifespanMs ?? DEFAULT_SESSION_TTL_MS);
  const maxLifetimeMs = positiveOption(factory, "maxLifetimeMs", options.maxLifetimeMs ?? DEFAULT_SESSION_TTL_MS);
  const render = admin.extended as NonNullable<typeof admin.extended>;
  const ids = idReader(admin.readSessionId as NonNullable<typeof admin.readSessionId>);
  return adminHandler(ar, ids.validate, async (req, res, caller) => {
    const session = await findSession(rt, ids.id(req));
    if (session === undefined) throw new LogoutError("not-found", "Session not found");
    const expiresAt = Math.max(session.expiresAt, Math.min(Date.now() + lifespanMs, session.createdAt + maxLifetimeMs));
    let extended = session;
    if (expiresAt > session.expiresAt) {
      const answer: unknown = await guarded("extendSession", () => store.extendSession(session.id, expiresAt), rt.guard);
      if (answer === undefined || answer === null) throw new LogoutError("not-found", "Session not found");
      if (!isSessionRecord(answer)) throw malformedAnswer("extendSession", rt.guard);
      extended = answer;
      rt.events?.emit("session.extended", { sessionId: answer.id, userId: answer.userId, by: actorOf(caller), expiresAt: answer.expiresAt, at: Date.now() });
    }
    const [view] = await adminViews(rt, [extended], currentSessionId(caller));
    if (view === undefined) throw new LogoutError("not-found", "Session not found");
    sendReply(res, render(view, req));
  });
}
