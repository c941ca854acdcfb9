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
   * How long an extended session lives from now, in ms: Kratos' `session.lifespan`. Default 24 h, the lifetime
   * `issueSession` gives a session. An extension never shortens a session and never lets it live longer than
   * this from the moment of the extension.
   */
  readonly lifespanMs?: number;
}

/**
 * Extends any user's live session, for an administrator: it then expires `lifespanMs` from now (never earlier
 * than it already would), rendered by `shape.admin.extended` (Kratos `PATCH /admin/sessions/:id/extend`).
 * Needs a store that implements `SessionDirectory` (`extendSession`), checked at setup.
 */
export function adminExtendSession<U extends UserRecord = UserRecord>(options: Readonly<AdminExtendSessionOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("adminExtendSession", "adminExtendSession({ ... })", options, notMountable)) return undefined as never;
  const factory = "adminExtendSession";
  const ar = resolveAdmin(factory, options, ["readSessionId", "extended"], ["lifespanMs"]);
  const { rt, admin } = ar;
  assertSessionDirectory(rt.store, factory);
  const store: SessionStore & SessionDirectory = rt.store;
  const lifespanMs = positiveOption(factory, "lifespanMs", options.lifespanMs ?? DEFAULT_SESSION_TTL_MS);
  const render = admin.extended as NonNullable<typeof admin.extended>;
  const ids = idReader(admin.readSessionId as NonNullable<typeof admin.readSessionId>);
  return adminHandler(ar, ids.validate, async (req, res, caller) => {
    const session = await findSession(rt, ids.id(req));
    if (session === undefined) throw new LogoutError("not-found", "Session not found");
    const expiresAt = Math.max(session.expiresAt, Date.now() + lifespanMs);
    const answer: unknown = await guarded("extendSession", () => store.extendSession(session.id, expiresAt), rt.guard);
    if (answer === undefined || answer === null) throw new LogoutError("not-found", "Session not found");
    if (!isSessionRecord(answer)) throw malformedAnswer("extendSession", rt.guard);
    rt.events?.emit("session.extended", { sessionId: answer.id, userId: answer.userId, by: actorOf(caller), expiresAt: answer.expiresAt, at: Date.now() });
    const [view] = await adminViews(rt, [answer], currentSessionId(caller));
    if (view === undefined) throw new LogoutError("not-found", "Session not found");
    sendReply(res, render(view, req));
  });
}
