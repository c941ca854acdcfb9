import { SetupError } from "../../options/index.js";
import type { Request, RequestHandler } from "express";
import { answeredUncalledMount, type NotMountable } from "../../options/mounted-uncalled.js";
import { LogoutError } from "../../errors.js";
import { guarded, malformedAnswer } from "../../deadline.js";
import type { Authentication, UserRecord } from "../../types.js";
import { sendReply } from "../runtime/index.js";
import { PERMISSION_IN_HANDLER } from "./types.js";
import { actorOf, adminHandler, findSession, resolveAdmin, type AdminOptions } from "./setup.js";


function reader(read: (req: Request) => string): { validate: (req: Request) => void; value: (req: Request) => string } {
  const values = new WeakMap<Request, string>();
  return {
    validate(req) {
      values.set(req, read(req));
    },
    value(req) {
      return values.get(req) ?? read(req);
    },
  };
}

/**
 * Ends any user's live session by id, for an administrator, rendered by `shape.admin.ended` (Kratos
 * `DELETE /admin/sessions/:id` → 204). Unknown, ended or expired: `not-found`, and nothing changes.
 */
export function adminEndSession<U extends UserRecord = UserRecord>(options: Readonly<AdminOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("adminEndSession", "adminEndSession({ ... })", options, notMountable)) return undefined as never;
  const ar = resolveAdmin("adminEndSession", options, ["readSessionId", "ended"]);
  const { rt, admin } = ar;
  const render = admin.ended as NonNullable<typeof admin.ended>;
  const ids = reader(admin.readSessionId as NonNullable<typeof admin.readSessionId>);
  return adminHandler(ar, ids.validate, async (req, res, caller) => {
    const session = await findSession(rt, ids.value(req));
    if (session === undefined) throw new LogoutError("not-found", "Session not found");
    const live = await guarded("revokeSession", () => rt.store.revokeSession(session.id), rt.guard);
    if (!live) throw new LogoutError("not-found", "Session not found");
    const by = actorOf(caller);
    rt.events?.emit("session.ended", { sessionId: session.id, userId: session.userId, by, target: "session", at: Date.now() });
    sendReply(res, render({ target: "session", sessionId: session.id, userId: session.userId, count: 1, endedAt: Date.now() }, req));
  });
}

export interface AdminEndUserSessionsOptions<U extends UserRecord = UserRecord> extends AdminOptions<U> {
  /**
   * Let a signed-in user end all of their own sessions through this route without the gate's permission and
   * step-up (Rocket.Chat's `users.logout` of oneself).
   * @defaultValue `false`
   */
  readonly allowSelf?: boolean;
}

/**
 * Ends every live session of any user, for an administrator: the user's own index, atomically in the store,
 * rendered by `shape.admin.ended` (Rocket.Chat `POST /api/v1/users.logout`, Kratos
 * `DELETE /admin/identities/:id/sessions`). What a user with no live session answers is the shape's choice.
 */
export function adminEndUserSessions<U extends UserRecord = UserRecord>(options: Readonly<AdminEndUserSessionsOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("adminEndUserSessions", "adminEndUserSessions({ ... })", options, notMountable)) return undefined as never;
  const factory = "adminEndUserSessions";
  const ar = resolveAdmin(factory, options, ["readUserId", "ended"], ["allowSelf"], PERMISSION_IN_HANDLER);
  const { rt, admin } = ar;
  const allowSelf: unknown = options.allowSelf ?? false;
  if (typeof allowSelf !== "boolean") throw new SetupError("option-invalid", `${factory} \`allowSelf\` must be true or false.`);
  const render = admin.ended as NonNullable<typeof admin.ended>;
  const userIds = reader(admin.readUserId as NonNullable<typeof admin.readUserId>);
  return adminHandler(ar, userIds.validate, async (req, res, caller) => {
    const userId = userIds.value(req);
    const count = await guarded("revokeUserSessions", () => rt.store.revokeUserSessions(userId), rt.guard);
    if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) throw malformedAnswer("revokeUserSessions", rt.guard);
    rt.events?.emit("sessions.ended", { userId, by: actorOf(caller), target: "all", count, at: Date.now() });
    sendReply(res, render({ target: "user", sessionId: undefined, userId, count, endedAt: Date.now() }, req));
  }, allowSelf ? (req: Request, auth: Authentication) => auth.session.userId === userIds.value(req) : undefined);
}
