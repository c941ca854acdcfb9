import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LogoutError } from "../errors.js";
import { idleExpiresAt, lastAuthenticatedAt } from "../lifetime/deadlines.js";
import { problemShape } from "../shapes/problem.js";
import { booleanOption, functionOption, integerOption, optionNames } from "../options/index.js";
import type { SessionRecord, SessionView, UserRecord } from "../types.js";
import { commonOptionNames, resolveRuntime, shapeMethod, type CommonOptions } from "./options.js";
import { authenticate, rememberAuthentication, sendReply, settle } from "./runtime/index.js";
import { answeredUncalledMount, type NotMountable } from "../options/mounted-uncalled.js";

/** What a session's owner may see of it: never the token hash. */
export function viewOf(session: SessionRecord, currentId: string | undefined): SessionView {
  return {
    id: session.id,
    userId: session.userId,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    idleExpiresAt: idleExpiresAt(session),
    authenticatedAt: lastAuthenticatedAt(session),
    amr: session.amr ?? [],
    lastSeenAt: session.lastSeenAt,
    authenticationSource: session.authenticationSource,
    ip: session.ip,
    userAgent: session.userAgent,
    current: session.id === currentId,
  };
}

export interface ListSessionsOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /**
   * Leave the caller's own session out of the list (Kratos' `GET /sessions`).
   * @defaultValue `false`
   */
  readonly excludeCurrent?: boolean;
  /**
   * Largest page a client may ask for with `?count=` / `?page_size=`.
   * @defaultValue 100
   */
  readonly maxPageSize?: number;
}

const LIST_SESSIONS_OPTIONS = optionNames<ListSessionsOptions>({ ...commonOptionNames, excludeCurrent: true, maxPageSize: true });
/** The largest `maxPageSize`: a page is rendered in one reply. */
const MAX_PAGE_SIZE = 10_000;

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
export function listSessions<U extends UserRecord = UserRecord>(options: Readonly<ListSessionsOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("listSessions", "listSessions({ ... })", options, notMountable)) return undefined as never;
  const rt = resolveRuntime("listSessions", options, problemShape, LIST_SESSIONS_OPTIONS);
  const render = shapeMethod("listSessions", rt.shape, "sessionList", "session list");
  const excludeCurrent = booleanOption("listSessions", "excludeCurrent", options.excludeCurrent ?? false);
  const maxPageSize = integerOption("listSessions", "maxPageSize", options.maxPageSize ?? 100, 1, MAX_PAGE_SIZE);

  async function run(req: Request, res: Response): Promise<void> {
    const caller = await authenticate(req, rt);
    rememberAuthentication(req, caller);
    const shaped = rt.shape.sessionListQuery?.(req);
    const offset = shaped?.offset ?? pageParam(req, ["offset"]) ?? 0;
    const count = shaped?.limit ?? Math.min(pageParam(req, ["count", "page_size", "per_page"]) ?? maxPageSize, maxPageSize);
    const all = await rt.calls.listSessions(caller.session.userId);
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

export interface SessionInfoOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /** Reads the session id from the request; throw a `bad-request` LogoutError for bad input. */
  readonly sessionId: (req: Request) => string;
}

const SESSION_INFO_OPTIONS = optionNames<SessionInfoOptions>({ ...commonOptionNames, sessionId: true });

/** One of the caller's own sessions (`shape.sessionInfo`); another user's session is `not-found`. */
export function sessionInfo<U extends UserRecord = UserRecord>(options: Readonly<SessionInfoOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("sessionInfo", "sessionInfo({ ... })", options, notMountable)) return undefined as never;
  const rt = resolveRuntime("sessionInfo", options, problemShape, SESSION_INFO_OPTIONS);
  const render = shapeMethod("sessionInfo", rt.shape, "sessionInfo", "session info");
  functionOption("sessionInfo", "sessionId", options.sessionId, "that reads the id from the request");
  const readId: (req: Request) => unknown = options.sessionId;

  async function run(req: Request, res: Response): Promise<void> {
    const caller = await authenticate(req, rt);
    rememberAuthentication(req, caller);
    const id = readId(req);
    if (typeof id !== "string" || id === "") {
      throw new LogoutError("bad-request", "the session id is not a non-empty string", { reason: "must be a non-empty string", kind: "invalid-params" });
    }
    const session = await rt.calls.getSession(id);
    if (session === undefined || session.userId !== caller.session.userId) throw new LogoutError("not-found", "Session not found");
    sendReply(res, render(viewOf(session, caller.session.id), req));
  }

  return function sessionInfoHandler(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, res));
  };
}
