import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LogoutError, isLogoutError } from "../errors.js";
import { problemShape } from "../shapes/problem.js";
import { guarded } from "../store/guard.js";
import type { Authentication, EndedOutcome, LogoutTargetKind, SessionRecord } from "../types.js";
import { resolveRuntime, type CommonOptions, type Runtime } from "./options.js";
import { identify, loadUser, permissionGrantedTo, precheck, rememberAuthentication, renderEnded, sendReply, settle, type ApiKeyCaller } from "./runtime.js";

/** Reads the id of the session to end from a request; throws a `bad-request` LogoutError for bad input. */
export type SessionIdFromRequest = (req: Request) => string;

export interface LogoutHandlerOptions extends CommonOptions {
  /**
   * Which sessions end. Default `"current"`: the caller's own session.
   * - `"all"`: every session of the caller's user (and, for JWTs, every token issued before now);
   * - `"others"`: every session of the caller's user but the current one;
   * - `"api-key"`: every session minted from the API key the caller presented (or its session came from);
   * - a function: the id of one session, read from the request. Whose session it may be is `whoseSessions`:
   *   by default the caller's own, and another user's only behind a `requirePermission` (admin flows: add
   *   `requireTotp` too).
   * A caller who presents an API key instead of a session always ends that key's sessions.
   */
  readonly target?: "current" | "all" | "others" | "api-key" | SessionIdFromRequest;
  /**
   * With a function target, whose sessions it may end. Default `"permitted"`.
   * - `"permitted"`: the caller's own; another user's only when a `requirePermission` granted the caller a
   *   permission earlier on the same request. Without one, another user's session is `not-found`, so a route
   *   mounted without a gate can end nobody else's session.
   * - `"own"`: only the caller's own, even after a permission check (Rocket.Chat's `logout.me`).
   * - `"anyone"`: any user's, with no check by this library: only for a route the host gates itself.
   * Another user's session that may not be ended answers `not-found`, the same as an unknown id.
   */
  readonly whoseSessions?: "permitted" | "own" | "anyone";
  /** The same as `whoseSessions: "own"` when `true`; `false` is the default. Default `false`. */
  readonly ownSessionsOnly?: boolean;
}

const WHOSE_SESSIONS = ["permitted", "own", "anyone"] as const;

/**
 * The logout endpoint itself. The store decides, awaited, before a byte is written; a store that fails or is
 * slow answers 503 and nothing claims success.
 */
export function createLogoutHandler(options: Readonly<LogoutHandlerOptions>): RequestHandler {
  const rt = resolveRuntime("createLogoutHandler", options, problemShape, ["target", "whoseSessions", "ownSessionsOnly"]);
  const target = options.target ?? "current";
  if (typeof target !== "function" && !["current", "all", "others", "api-key"].includes(target)) {
    throw new TypeError(
      'express-logout: createLogoutHandler `target` must be "current", "all", "others", "api-key" or a function that reads a session id from the request.',
    );
  }
  const whoseSessions = resolveWhoseSessions(options, typeof target === "function");

  async function run(req: Request, res: Response): Promise<void> {
    await precheck(req, rt);
    let caller;
    try {
      caller = await identify(req, rt);
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
    const outcome = await endForSession(req, auth, user);
    answer(req, res, outcome);
  }

  async function endForSession(req: Request, auth: Authentication, user: EndedOutcome["user"]): Promise<EndedOutcome> {
    const { session, principal } = auth;
    const base = { caller: auth, user, endedAt: Date.now() };
    if (typeof target === "function") {
      const id = target(req);
      const victim = await guarded("getSession", () => rt.store.getSession(id), rt.guard);
      if (victim === undefined || (victim.userId !== session.userId && !mayEndOthers(req, session.userId))) {
        throw new LogoutError("not-found", "Session not found");
      }
      const live = await endOne(victim, auth);
      if (!live) throw new LogoutError("not-found", "Session not found");
      emitEnded(victim, session.userId, "session");
      return { ...base, target: "session", sessionId: victim.id, count: 1 };
    }
    switch (target) {
      case "current": {
        const live = await endOne(session, auth);
        // Lost a race with a concurrent logout of the same session: answer as the later request would.
        if (!live) return endedAlready();
        emitEnded(session, session.userId, "current");
        return { ...base, target: "current", sessionId: session.id, count: 1 };
      }
      case "all":
      case "others": {
        const except = target === "others" ? session.id : undefined;
        let count = await guarded("revokeUserSessions", () =>
          rt.store.revokeUserSessions(session.userId, except === undefined ? {} : { exceptSessionId: except }), rt.guard);
        if (principal !== undefined) {
          // A JWT caller: its own token is not a stored session, so it ends through its principal.
          if (target === "all") count += await guarded("end all tokens", () => principal.endAll?.(rt.store) ?? principal.end(rt.store).then(Number), rt.guard);
          else if (principal.endOthers !== undefined) count += await guarded("end other tokens", () => principal.endOthers?.(rt.store) ?? Promise.resolve(0), rt.guard);
        }
        rt.events?.emit("sessions.ended", { userId: session.userId, by: session.userId, target, count, at: Date.now() });
        return { ...base, target, sessionId: undefined, count };
      }
      case "api-key": {
        if (session.apiKeyId === undefined) throw new LogoutError("unauthenticated", "this session was not opened with an API key");
        const outcome = await endApiKeySessions(rt, { userId: session.userId, apiKeyId: session.apiKeyId });
        return { ...outcome, caller: auth, user };
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

  async function endOne(session: SessionRecord, auth: Authentication): Promise<boolean> {
    const principal = auth.principal;
    if (principal !== undefined && principal.session.id === session.id) {
      return guarded("end token", () => principal.end(rt.store), rt.guard);
    }
    return guarded("revokeSession", () => rt.store.revokeSession(session.id), rt.guard);
  }

  function emitEnded(session: SessionRecord, by: string, kind: LogoutTargetKind): void {
    rt.events?.emit("session.ended", { sessionId: session.id, userId: session.userId, by, target: kind, at: Date.now() });
  }

  function answer(req: Request, res: Response, outcome: EndedOutcome): void {
    sendReply(res, renderEnded(rt.shape, outcome, req));
  }

  return function logoutHandler(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, res));
  };
}

/** `whoseSessions`, checked at setup: a value that is not one of the three, or one `ownSessionsOnly` contradicts. */
function resolveWhoseSessions(options: Readonly<LogoutHandlerOptions>, functionTarget: boolean): (typeof WHOSE_SESSIONS)[number] {
  const factory = "express-logout: createLogoutHandler";
  const raw: unknown = options.whoseSessions;
  const own: unknown = options.ownSessionsOnly;
  if (own !== undefined && typeof own !== "boolean") throw new TypeError(`${factory} \`ownSessionsOnly\` must be true or false.`);
  if (raw === undefined) return own === true ? "own" : "permitted";
  if (!(WHOSE_SESSIONS as readonly unknown[]).includes(raw)) {
    throw new TypeError(`${factory} \`whoseSessions\` must be "own", "permitted" or "anyone", received ${JSON.stringify(raw)}.`);
  }
  if (!functionTarget) {
    throw new TypeError(`${factory} \`whoseSessions\` applies only to a function target (\`target: (req) => sessionId\`); remove it, the other targets end only the caller's own sessions.`);
  }
  if (own === true && raw !== "own") {
    throw new TypeError(`${factory} \`ownSessionsOnly: true\` contradicts \`whoseSessions: "${raw as string}"\`; keep only \`whoseSessions\`.`);
  }
  return raw as (typeof WHOSE_SESSIONS)[number];
}

function anonymous(): EndedOutcome {
  return { target: "current", caller: undefined, user: undefined, sessionId: undefined, count: 0, endedAt: Date.now() };
}

async function endApiKeySessions(rt: Runtime, apiKey: ApiKeyCaller): Promise<EndedOutcome> {
  const count = await guarded(
    "revokeUserSessions",
    () => rt.store.revokeUserSessions(apiKey.userId, { apiKeyId: apiKey.apiKeyId }),
    rt.guard,
  );
  const user = await loadUser(rt, apiKey.userId);
  rt.events?.emit("sessions.ended", { userId: apiKey.userId, by: apiKey.userId, target: "api-key", count, at: Date.now() });
  return { target: "api-key", caller: undefined, user, sessionId: undefined, count, endedAt: Date.now() };
}
