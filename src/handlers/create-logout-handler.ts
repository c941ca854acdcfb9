import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LogoutError, isLogoutError } from "../errors.js";
import { optionNames } from "../options/index.js";
import { SetupError } from "../options/setup-error.js";
import { problemShape } from "../shapes/problem.js";
import type { Authentication, EndedOutcome, UserRecord } from "../types.js";
import { endOwnSessionByToken, endOwnUserSessionsByToken, endSession, endSessionNamedById } from "./end-session.js";
import { commonOptionNames, resolveRuntime, type CommonOptions, type Runtime } from "./options.js";
import { identify, loadUser, permissionGrantedTo, precheck, rememberAuthentication, renderEnded, sendReply, settle, type ApiKeyCaller } from "./runtime/index.js";
import { answeredUncalledMount, type NotMountable } from "../options/mounted-uncalled.js";
import { withProperties } from "../with-properties.js";

/** Reads the id of the session to end from a request; throws a `bad-request` LogoutError for bad input. */
export type SessionIdFromRequest = (req: Request) => string;

export interface LogoutHandlerOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /**
   * Which sessions end.
   * - `"current"`: the caller's own session;
   * - `"all"`: every session of the caller's user (and, for JWTs, every token issued before now);
   * - `"others"`: every session of the caller's user but the current one;
   * - `"api-key"`: every session minted from the API key the caller presented (or its session came from);
   * - a function: the id of one session, read from the request. Whose session it may be is `whoseSessions`:
   *   by default the caller's own, and another user's only behind a `requirePermission` (admin flows: add
   *   `requireTotp` too). An answer that is not a non-empty string is a `bad-request`, refused before the
   *   store is asked.
   * A caller who presents an API key instead of a session always ends that key's sessions.
   * @defaultValue `"current"`
   */
  readonly target?: "current" | "all" | "others" | "api-key" | SessionIdFromRequest;
  /**
   * With a function target, whose sessions it may end.
   * - `"permitted"`: the caller's own; another user's only when a `requirePermission` granted the caller a
   *   permission earlier on the same request. Without one, another user's session is `not-found`, so a route
   *   mounted without a gate can end nobody else's session.
   * - `"own"`: only the caller's own, even after a permission check (Rocket.Chat's `logout.me`).
   * - `"anyone"`: any user's, with no check by this library: only for a route the host gates itself.
   * Another user's session that may not be ended answers `not-found`, the same as an unknown id.
   * @defaultValue `"permitted"`
   */
  readonly whoseSessions?: "permitted" | "own" | "anyone";
  /**
   * `true` is `whoseSessions: "own"`.
   * @defaultValue `false`
   */
  readonly ownSessionsOnly?: boolean;
}

const LOGOUT_HANDLER_OPTIONS = optionNames<LogoutHandlerOptions>({ ...commonOptionNames, target: true, whoseSessions: true, ownSessionsOnly: true });
const TARGETS = ["current", "all", "others", "api-key"] as const;
const WHOSE_SESSIONS = ["permitted", "own", "anyone"] as const;

/**
 * The logout endpoint itself. The store decides, awaited, before a byte is written; a store that fails or is
 * slow answers 503 and nothing claims success. Needs only the core of the store.
 */
export function createLogoutHandler<U extends UserRecord = UserRecord>(options: Readonly<LogoutHandlerOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("createLogoutHandler", "createLogoutHandler({ ... })", options, notMountable)) return undefined as never;
  const rt = resolveRuntime("createLogoutHandler", options, problemShape, LOGOUT_HANDLER_OPTIONS);
  const target: unknown = options.target ?? "current";
  if (typeof target !== "function" && !(TARGETS as readonly unknown[]).includes(target)) {
    throw new SetupError(
      "option-invalid",
      'createLogoutHandler `target` must be "current", "all", "others", "api-key" or a function that reads a session id from the request.',
    );
  }
  const ownSessionsOnly: unknown = options.ownSessionsOnly ?? false;
  if (typeof ownSessionsOnly !== "boolean") throw new SetupError("option-invalid", "createLogoutHandler `ownSessionsOnly` must be a boolean.");
  if (ownSessionsOnly && typeof target !== "function") {
    throw new SetupError("option-invalid", "createLogoutHandler `ownSessionsOnly` only applies to a function `target`; leave it out for the other targets.");
  }
  const targetKind = target as NonNullable<LogoutHandlerOptions["target"]>;
  const whoseSessions = resolveWhoseSessions(options.whoseSessions, ownSessionsOnly, typeof target === "function");

  async function run(req: Request, res: Response): Promise<void> {
    const shapeGate = precheck(req, rt);
    if (shapeGate !== undefined) await shapeGate;
    let caller;
    let endedInOneCall: EndedOutcome | undefined;
    try {
      // The caller's own logouts: one store call where the store can do lookup and revoke together.
      const ended = await endInOneCall(req);
      endedInOneCall = ended?.outcome;
      caller = ended === undefined ? await identify(req, rt) : ({ kind: "session", auth: ended.auth } as const);
    } catch (error) {
      if (rt.shape.anonymousLogout === true && isLogoutError(error) && error.code !== "store-unavailable") caller = undefined;
      else throw error;
    }
    if (caller === undefined) {
      if (rt.shape.anonymousLogout !== true) throw new LogoutError("unauthenticated", "no credential in the request");
      answer(req, res, anonymous());
      return;
    }
    if (caller.kind === "api-key") {
      answer(req, res, await endApiKeySessions(rt, caller.apiKey));
      return;
    }
    const auth = caller.auth;
    rememberAuthentication(req, auth);
    const user = auth.user ?? (await loadUser(rt, auth.session.userId));
    const outcome = endedInOneCall === undefined ? await endForSession(req, auth, user) : { ...endedInOneCall, user };
    answer(req, res, outcome);
  }

  /**
   * The logout of the caller's own session, of "all" or of "others" as one store call, or `undefined` when the
   * store or the credential does not allow it (see `endOwnSessionByToken`). The outcome's user is loaded after.
   */
  async function endInOneCall(req: Request): Promise<{ auth: Authentication; outcome: EndedOutcome } | undefined> {
    if (targetKind === "current") {
      const auth = await endOwnSessionByToken(req, rt);
      return auth === undefined ? undefined : { auth, outcome: { caller: auth, user: undefined, endedAt: Date.now(), target: "current", sessionId: auth.session.id, count: 1 } };
    }
    if (targetKind !== "all" && targetKind !== "others") return undefined;
    const ended = await endOwnUserSessionsByToken(req, rt, targetKind === "others");
    if (ended === undefined) return undefined;
    const { auth, count } = ended;
    const endedAt = Date.now();
    rt.events?.emit("sessions.ended", { userId: auth.session.userId, by: auth.session.userId, target: targetKind, count, at: endedAt });
    return { auth, outcome: { caller: auth, user: undefined, endedAt, target: targetKind, sessionId: undefined, count } };
  }

  async function endForSession(req: Request, auth: Authentication, user: EndedOutcome["user"]): Promise<EndedOutcome> {
    const { session, principal } = auth;
    const endedAt = Date.now();
    // Written out rather than spread from a shared base: see `withProperties` for what a spread that adds
    // properties costs.
    const outcome = (target: EndedOutcome["target"], sessionId: string | undefined, count: number): EndedOutcome => ({ caller: auth, user, endedAt, target, sessionId, count });
    if (typeof targetKind === "function") {
      const id: unknown = targetKind(req);
      if (typeof id !== "string" || id === "") {
        throw new LogoutError("bad-request", "the target session id is not a non-empty string", { reason: "must be a non-empty string", kind: "invalid-params" });
      }
      // Whose session may end is known before the store is asked: the read, the check and the revoke are then one
      // call where the store can (`endSessionById`), the store leaving another user's session alone when the
      // caller may end only its own.
      const userId = mayEndOthers(req, session.userId) ? undefined : session.userId;
      const ended = await endSessionNamedById(rt, { id, userId, by: session.userId, principal });
      if (ended === null) throw new LogoutError("not-found", "Session not found");
      if (ended !== undefined) return outcome("session", ended.id, 1);
      const victim = await rt.calls.getSession(id);
      if (victim === undefined || (userId !== undefined && victim.userId !== userId)) {
        throw new LogoutError("not-found", "Session not found");
      }
      const live = await endSession(rt, { session: victim, by: session.userId, target: "session", principal });
      if (!live) throw new LogoutError("not-found", "Session not found");
      return outcome("session", victim.id, 1);
    }
    switch (targetKind) {
      case "current": {
        const live = await endSession(rt, { session, by: session.userId, target: "current", principal });
        // Lost a race with a concurrent logout of the same session: answer as the later request would.
        if (!live) return endedAlready();
        return outcome("current", session.id, 1);
      }
      case "all":
      case "others": {
        const except = targetKind === "others" ? session.id : undefined;
        let count = await rt.calls.revokeUserSessions(session.userId, except === undefined ? {} : { exceptSessionId: except });
        if (principal !== undefined) {
          // A JWT caller: its own token is not a stored session, so it ends through its principal.
          if (targetKind === "all") count += await rt.calls.run("end all tokens", () => principal.endAll?.(rt.store) ?? principal.end(rt.store).then(Number));
          else if (principal.endOthers !== undefined) count += await rt.calls.run("end other tokens", () => principal.endOthers?.(rt.store) ?? Promise.resolve(0));
        }
        rt.events?.emit("sessions.ended", { userId: session.userId, by: session.userId, target: targetKind, count, at: Date.now() });
        return outcome(targetKind, undefined, count);
      }
      case "api-key": {
        if (session.apiKeyId === undefined) throw new LogoutError("unauthenticated", "this session was not opened with an API key");
        return withProperties(await endApiKeySessions(rt, { userId: session.userId, apiKeyId: session.apiKeyId }), { caller: auth, user });
      }
    }
  }

  /** Whether this request may end a session of a user other than the caller's. */
  function mayEndOthers(req: Request, callerUserId: string): boolean {
    if (whoseSessions === "anyone") return true;
    if (whoseSessions === "own") return false;
    return permissionGrantedTo(req, callerUserId);
  }

  function endedAlready(): EndedOutcome {
    if (rt.shape.anonymousLogout === true) return anonymous();
    throw new LogoutError("unauthenticated", "the session had already ended");
  }

  function answer(req: Request, res: Response, outcome: EndedOutcome): void {
    sendReply(res, renderEnded(rt.shape, outcome, req));
  }

  return function logoutHandler(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, res));
  };
}

/** `whoseSessions`, checked at setup: one of the three, for a function target, and not contradicted by `ownSessionsOnly`. */
function resolveWhoseSessions(raw: unknown, ownSessionsOnly: boolean, functionTarget: boolean): (typeof WHOSE_SESSIONS)[number] {
  if (raw === undefined) return ownSessionsOnly ? "own" : "permitted";
  if (!(WHOSE_SESSIONS as readonly unknown[]).includes(raw)) {
    throw new SetupError("option-invalid", `createLogoutHandler \`whoseSessions\` must be "own", "permitted" or "anyone", received ${JSON.stringify(raw)}.`);
  }
  if (!functionTarget) {
    throw new SetupError("option-invalid", "createLogoutHandler `whoseSessions` applies only to a function target (`target: (req) => sessionId`); remove it, the other targets end only the caller's own sessions.");
  }
  if (ownSessionsOnly && raw !== "own") {
    throw new SetupError("option-invalid", `createLogoutHandler \`ownSessionsOnly: true\` contradicts \`whoseSessions: "${raw as string}"\`; keep only \`whoseSessions\`.`);
  }
  return raw as (typeof WHOSE_SESSIONS)[number];
}

function anonymous(): EndedOutcome {
  return { target: "current", caller: undefined, user: undefined, sessionId: undefined, count: 0, endedAt: Date.now() };
}

async function endApiKeySessions(rt: Runtime, apiKey: ApiKeyCaller): Promise<EndedOutcome> {
  const count = await rt.calls.revokeUserSessions(apiKey.userId, { apiKeyId: apiKey.apiKeyId });
  const user = await loadUser(rt, apiKey.userId);
  rt.events?.emit("sessions.ended", { userId: apiKey.userId, by: apiKey.userId, target: "api-key", count, at: Date.now() });
  return { target: "api-key", caller: undefined, user, sessionId: undefined, count, endedAt: Date.now() };
}
