import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LogoutError } from "../errors.js";
import { problemShape } from "../shapes/problem.js";
import { guarded } from "../store/guard.js";
import type { SessionRecord, SessionView } from "../types.js";
import { resolveRuntime, type CommonOptions } from "./options.js";
import { authenticate, rememberAuthentication, sendReply, settle } from "./runtime.js";

/** What a session's owner may see of it: never the token hash. */
export function viewOf(session: SessionRecord, currentId: string | undefined): SessionView {
  return {
    id: session.id,
    userId: session.userId,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    lastSeenAt: session.lastSeenAt,
    authenticationSource: session.authenticationSource,
    ip: session.ip,
    userAgent: session.userAgent,
    current: session.id === currentId,
  };
}

export interface ListSessionsOptions extends CommonOptions {
  /** Leave the caller's own session out of the list (Kratos' `GET /sessions`). Default `false`. */
  readonly excludeCurrent?: boolean;
  /** Largest page a client may ask for with `?count=` / `?page_size=`. Default 100. */
  readonly maxPageSize?: number;
}

function pageParam(req: Request, names: readonly string[]): number | undefined {
  const query = req.query as Record<string, unknown>;
  for (const name of names) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== "string" || !/^\d{1,9}$/.test(value)) {
      throw new LogoutError("bad-request", `${name} must be a non-negative integer`, { reason: `${name} must be a non-negative integer`, kind: "invalid-params" });
    }
    return Number(value);
  }
  return undefined;
}

/** The caller's own live sessions, newest activity first, in the shape (`shape.sessionList`). */
export function listSessions(options: Readonly<ListSessionsOptions>): RequestHandler {
  const rt = resolveRuntime("listSessions", options, problemShape, ["excludeCurrent", "maxPageSize"]);
  const maybeRender = rt.shape.sessionList;
  if (maybeRender === undefined) throw new TypeError(`express-logout: listSessions: shape \`${rt.shape.name}\` has no session list.`);
  const render = maybeRender;
  const excludeCurrent = options.excludeCurrent ?? false;
  const maxPageSize = options.maxPageSize ?? 100;

  async function run(req: Request, res: Response): Promise<void> {
    const caller = await authenticate(req, rt);
    rememberAuthentication(req, caller);
    const shaped = rt.shape.sessionListQuery?.(req);
    const offset = shaped?.offset ?? pageParam(req, ["offset"]) ?? 0;
    const count = shaped?.limit ?? Math.min(pageParam(req, ["count", "page_size", "per_page"]) ?? maxPageSize, maxPageSize);
    const all = await guarded("listSessions", () => rt.store.listSessions(caller.session.userId), rt.guard);
    const views = all
      .filter((s) => !excludeCurrent || s.id !== caller.session.id)
      .map((s) => viewOf(s, caller.session.id))
      .filter((v) => shaped?.match?.(v) ?? true)
      .sort(shaped?.order === "newest-login"
        ? (a, b) => b.createdAt - a.createdAt
        : (a, b) => (b.lastSeenAt ?? b.createdAt) - (a.lastSeenAt ?? a.createdAt));
    const page = views.slice(offset, offset + count);
    sendReply(res, render({ caller, sessions: shaped?.arrange?.(page) ?? page, total: views.length, offset, ...(shaped === undefined ? {} : { limit: count }) }, req));
  }

  return function listSessionsHandler(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, res));
  };
}

export interface SessionInfoOptions extends CommonOptions {
  /** Reads the session id from the request; throw a `bad-request` LogoutError for bad input. */
  readonly sessionId: (req: Request) => string;
}

/** One of the caller's own sessions (`shape.sessionInfo`); another user's session is `not-found`. */
export function sessionInfo(options: Readonly<SessionInfoOptions>): RequestHandler {
  const rt = resolveRuntime("sessionInfo", options, problemShape, ["sessionId"]);
  const maybeRender = rt.shape.sessionInfo;
  if (maybeRender === undefined) throw new TypeError(`express-logout: sessionInfo: shape \`${rt.shape.name}\` has no session info.`);
  const render = maybeRender;
  if (typeof options.sessionId !== "function") throw new TypeError("express-logout: sessionInfo `sessionId` must be a function that reads the id from the request.");
  const readId = options.sessionId;

  async function run(req: Request, res: Response): Promise<void> {
    const caller = await authenticate(req, rt);
    rememberAuthentication(req, caller);
    const id = readId(req);
    const session = await guarded("getSession", () => rt.store.getSession(id), rt.guard);
    if (session === undefined || session.userId !== caller.session.userId) throw new LogoutError("not-found", "Session not found");
    sendReply(res, render(viewOf(session, caller.session.id), req));
  }

  return function sessionInfoHandler(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, res));
  };
}
