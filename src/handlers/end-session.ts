import type { Request } from "express";
import { malformedAnswer } from "../deadline.js";
import { LogoutError } from "../errors.js";
import { getAuthentication } from "../request-state.js";
import { hashSecret } from "../secrets.js";
import type { Authentication, EndSessionByTokenOptions, LogoutTargetKind, PresentedCredential, ResolvedPrincipal, SessionRecord } from "../types.js";
import type { Runtime } from "./options.js";

/** One session to end, and who ends it. */
export interface EndSessionRequest {
  readonly session: SessionRecord;
  /** The user id of who ends it, for the event. */
  readonly by: string;
  readonly target: Extract<LogoutTargetKind, "current" | "session">;
  /** The caller's principal, when the caller is a resolved credential (a JWT): its own session ends through it. */
  readonly principal?: ResolvedPrincipal | undefined;
  /**
   * A one-time marker claimed with the revoke of a stored session (the browser flow's record of the revoked
   * token): in the same store call where the store has `endSessionById`, else by a `claim` just before the revoke.
   * Either way a session never ends without it.
   */
  readonly marker?: { readonly key: string; readonly ttlMs: number } | undefined;
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
  } else if (request.marker !== undefined && rt.calls.endsById) {
    // The marker and the revoke in one store call (one round trip on standalone Redis). The session must still be
    // its user's: an id that now names another user's session ends nothing.
    live = (await rt.calls.endSessionById(session.id, { userId: session.userId, marker: request.marker })) !== undefined;
  } else {
    if (request.marker !== undefined) await rt.calls.claim(request.marker.key, request.marker.ttlMs);
    live = await rt.calls.revokeSession(session.id);
  }
  if (live) rt.events?.emit("session.ended", { sessionId: session.id, userId: session.userId, by: request.by, target: request.target, at: Date.now() });
  return live;
}

/**
 * Ends the live session named by `id` in one store call, the read and the revoke together, when the store can
 * (`endSessionById`) and the caller is no JWT (whose own session ends through its principal). `userId`: only that
 * user's session may end (another user's is left alone, answered as none). Answers the session as it was, `null`
 * when none ended, or `undefined` when this path does not apply (the caller then reads, decides and revokes).
 */
export async function endSessionNamedById(
  rt: Runtime,
  request: { readonly id: string; readonly userId: string | undefined; readonly by: string; readonly principal: ResolvedPrincipal | undefined },
): Promise<SessionRecord | null | undefined> {
  if (!rt.calls.endsById || request.principal !== undefined) return undefined;
  const session = await rt.calls.endSessionById(request.id, request.userId === undefined ? {} : { userId: request.userId });
  if (session === undefined) return null;
  rt.events?.emit("session.ended", { sessionId: session.id, userId: session.userId, by: request.by, target: "session", at: Date.now() });
  return session;
}

/**
 * The request's token hash when its logout can be one store call: its first credential is a plain session token
 * (not an API key, a JWT, an invalid one, nor a token that names its user, whose claim must be checked before
 * anything ends) and no earlier middleware authenticated the caller. `undefined` otherwise: the caller is then
 * identified first and its sessions ended in a second call.
 */
export function plainSessionToken(req: Request, rt: Runtime): { tokenHash: string; credential: PresentedCredential } | undefined {
  if (getAuthentication(req) !== undefined) return undefined;
  for (const source of rt.credentials) {
    const credential = source.read(req);
    if (credential === undefined) continue;
    if (credential.kind !== "session-token" || credential.claimedUserId !== undefined) return undefined;
    return { tokenHash: hashSecret(credential.token), credential };
  }
  return undefined;
}

/**
 * The logout of the caller's own session in one store call, the lookup and the revoke together, when the store
 * can (`endSessionByTokenHash`) and the credential allows it (`plainSessionToken`). Answers the caller as
 * authenticated by the session it ended, or `undefined` when this path does not apply.
 */
export async function endOwnSessionByToken(req: Request, rt: Runtime): Promise<Authentication | undefined> {
  if (!rt.calls.endsByTokenHash) return undefined;
  const caller = plainSessionToken(req, rt);
  if (caller === undefined) return undefined;
  const session = await endSessionOfToken(rt, caller.tokenHash);
  if (session === undefined) throw new LogoutError("unauthenticated", "no active session for this token");
  return { session, credential: caller.credential };
}

/**
 * Ends the live session whose token hashes to `tokenHash` in one store call (only for a store with
 * `endSessionByTokenHash`), with `marker` claimed alongside, and emits `session.ended` for it: its owner ended it.
 * Answers the session as it was, or `undefined` when no live session has this token.
 */
export async function endSessionOfToken(rt: Runtime, tokenHash: string, marker?: EndSessionByTokenOptions["marker"]): Promise<SessionRecord | undefined> {
  const session = await rt.calls.endSessionByTokenHash(tokenHash, marker === undefined ? {} : { marker });
  if (session !== undefined) rt.events?.emit("session.ended", { sessionId: session.id, userId: session.userId, by: session.userId, target: "current", at: Date.now() });
  return session;
}

/**
 * The logout of "all" (`keepCaller` false) or "others" of the caller's user in one store call, when the store
 * can (`endUserSessionsByTokenHash`) and the credential allows it. Answers the caller and how many sessions
 * ended, or `undefined` when this path does not apply. The `sessions.ended` event is the caller's to emit.
 */
export async function endOwnUserSessionsByToken(req: Request, rt: Runtime, keepCaller: boolean): Promise<{ auth: Authentication; count: number } | undefined> {
  if (!rt.calls.endsUserSessionsByTokenHash) return undefined;
  const caller = plainSessionToken(req, rt);
  if (caller === undefined) return undefined;
  const ended = await rt.calls.endUserSessionsByTokenHash(caller.tokenHash, keepCaller);
  if (ended === undefined) throw new LogoutError("unauthenticated", "no active session for this token");
  return { auth: { session: ended.session, credential: caller.credential }, count: ended.ended };
}
