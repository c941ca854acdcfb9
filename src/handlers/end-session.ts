import type { Request } from "express";
import { malformedAnswer } from "../deadline.js";
import { LogoutError } from "../errors.js";
import { getAuthentication } from "../request-state.js";
import { hashSecret } from "../secrets.js";
import type { Authentication, LogoutTargetKind, ResolvedPrincipal, SessionRecord } from "../types.js";
import type { Runtime } from "./options.js";

/** One session to end, and who ends it. */
export interface EndSessionRequest {
  readonly session: SessionRecord;
  /** The user id of who ends it, for the event. */
  readonly by: string;
  readonly target: Extract<LogoutTargetKind, "current" | "session">;
  /** The caller's principal, when the caller is a resolved credential (a JWT): its own session ends through it. */
  readonly principal?: ResolvedPrincipal | undefined;
  /** Runs just before a stored session is revoked (the browser flow records the revoked token there). */
  readonly beforeRevoke?: (session: SessionRecord) => Promise<void>;
}

/**
 * The one "end this session" path of `createLogoutHandler` and the browser logout flow: a stored session is
 * revoked in the store, a JWT caller's own token through its principal; `session.ended` is emitted only when
 * this call is the one that ended it. Answers whether it did (`false`: it had already ended, or lost a race).
 */
export async function endSession(rt: Runtime, request: EndSessionRequest): Promise<boolean> {
  const { session, principal } = request;
  let live: boolean;
  if (principal !== undefined && principal.session.id === session.id) {
    const answer: unknown = await rt.calls.run("end token", () => principal.end(rt.store));
    if (typeof answer !== "boolean") throw malformedAnswer("end token", rt.guard);
    live = answer;
  } else {
    await request.beforeRevoke?.(session);
    live = await rt.calls.revokeSession(session.id);
  }
  if (live) rt.events?.emit("session.ended", { sessionId: session.id, userId: session.userId, by: request.by, target: request.target, at: Date.now() });
  return live;
}

/**
 * The logout of the caller's own session in one store call, the lookup and the revoke together, when the store
 * can (`endSessionByTokenHash`) and the request's credential is a plain session token. Answers the caller as
 * authenticated by the session it ended, or `undefined` when this path does not apply: a store without the
 * method, a caller an earlier middleware already authenticated, or a first credential of another kind (an API
 * key, a JWT, an invalid one, or a token that names its user, whose claim must be checked before anything
 * ends). The caller is then identified and its session ended in two calls, as before.
 */
export async function endOwnSessionByToken(req: Request, rt: Runtime): Promise<Authentication | undefined> {
  if (!rt.calls.endsByTokenHash || getAuthentication(req) !== undefined) return undefined;
  for (const source of rt.credentials) {
    const credential = source.read(req);
    if (credential === undefined) continue;
    if (credential.kind !== "session-token" || credential.claimedUserId !== undefined) return undefined;
    const session = await rt.calls.endSessionByTokenHash(hashSecret(credential.token));
    if (session === undefined) throw new LogoutError("unauthenticated", "no active session for this token");
    rt.events?.emit("session.ended", { sessionId: session.id, userId: session.userId, by: session.userId, target: "current", at: Date.now() });
    return { session, credential };
  }
  return undefined;
}
