import { SetupError } from "../../options/index.js";
import type { Request, RequestHandler } from "express";
import { answeredUncalledMount, type NotMountable } from "../../options/mounted-uncalled.js";
import { guarded, malformedAnswer } from "../../deadline.js";
import { assertSessionDirectory, type SessionDirectory } from "../../store/session-directory.js";
import type { SessionRecord, SessionStore, UserRecord } from "../../types.js";
import { sendReply } from "../runtime/index.js";
import { adminHandler, adminViews, currentSessionId, resolveAdmin, type AdminOptions } from "./setup.js";
import type { AdminListQuery, AdminSessionPage, AdminSessionView } from "./types.js";

/** Default most sessions a filtered listing of all sessions examines per request. */
export const DEFAULT_ADMIN_MAX_SCAN = 10_000;

export interface AdminListSessionsOptions<U extends UserRecord = UserRecord> extends AdminOptions<U> {
  /**
   * A text filter (Rocket.Chat's `filter`) over all sessions has no index: it examines at most this many
   * sessions, newest first, and answers what it found among them.
   * @defaultValue 10 000
   */
  readonly maxScan?: number;
}

/** The queries read by the gate's `validate` step, for the handler that runs after it. */
const queries = new WeakMap<Request, AdminListQuery>();

function remember(req: Request, query: AdminListQuery): void {
  queries.set(req, query);
}

/** One user's live sessions matching the query, newest login first: from the user's own index, never a scan. */
export async function userSessionsPage(store: SessionStore, query: AdminListQuery, userId: string, guard: Parameters<typeof guarded>[2], view: (s: SessionRecord[]) => Promise<AdminSessionView[]>): Promise<AdminSessionPage> {
  const offset = Math.max(0, query.offset ?? 0);
  if (query.active === false) return { query, sessions: [], total: 0, offset, nextCursor: undefined, cursor: undefined };
  const answer: unknown = await guarded("listSessions", () => store.listSessions(userId), guard);
  if (!Array.isArray(answer)) throw malformedAnswer("listSessions", guard);
  const now = Date.now();
  const live = (answer as SessionRecord[])
    .filter((s) => s.userId === userId && s.expiresAt > now)
    .filter((s) => query.authenticationSource === undefined || s.authenticationSource === query.authenticationSource)
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let views = await view(live);
  if (query.match !== undefined) views = views.filter(query.match);
  const page = views.slice(offset, offset + query.limit);
  return { query, sessions: query.arrange?.(page) ?? page, total: views.length, offset, nextCursor: undefined, cursor: undefined };
}

/**
 * Every live session of every user, a page at a time, newest login first, for an administrator: the store's
 * `SessionDirectory` cursor, so a page costs O(page) at any size (keyset paging); offset paging walks the
 * cursor up to the offset. A query for one user reads that user's index instead. Rendered by
 * `shape.admin.allSessions` (Rocket.Chat `GET /api/v1/sessions/list.all`, Kratos `GET /admin/sessions`).
 * Needs a store that implements `SessionDirectory` and a `gate`, both checked at setup.
 */
export function adminListSessions<U extends UserRecord = UserRecord>(options: Readonly<AdminListSessionsOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("adminListSessions", "adminListSessions({ ... })", options, notMountable)) return undefined as never;
  const factory = "adminListSessions";
  const ar = resolveAdmin(factory, options, ["readAllSessionsQuery", "allSessions"], ["maxScan"]);
  const { rt, admin } = ar;
  assertSessionDirectory(rt.store, factory);
  const store: SessionStore & SessionDirectory = rt.store;
  const maxScan = options.maxScan ?? DEFAULT_ADMIN_MAX_SCAN;
  if (!Number.isInteger(maxScan) || maxScan < 1) throw new SetupError("option-invalid", `${factory} \`maxScan\` must be a whole number >= 1.`);
  const read = admin.readAllSessionsQuery as NonNullable<typeof admin.readAllSessionsQuery>;
  const render = admin.allSessions as NonNullable<typeof admin.allSessions>;

  async function page(query: AdminListQuery, currentId: string | undefined): Promise<AdminSessionPage> {
    const view = (sessions: SessionRecord[]) => adminViews(rt, sessions, currentId);
    if (query.userId !== undefined) return userSessionsPage(store, query, query.userId, rt.guard, view);
    const offset = Math.max(0, query.offset ?? 0);
    if (query.active === false) return { query, sessions: [], total: 0, offset, nextCursor: undefined, cursor: query.cursor };
    const filtered = query.match !== undefined || query.authenticationSource !== undefined;
    const keep = (v: AdminSessionView) => (query.authenticationSource === undefined || v.authenticationSource === query.authenticationSource) && (query.match?.(v) ?? true);
    let cursor = query.cursor;
    if (filtered) {
      // No index serves a text filter: examine up to maxScan sessions and cut the page from what matched.
      const matched: AdminSessionView[] = [];
      let examined = 0;
      do {
        const got = await guarded("listAllSessions", () => store.listAllSessions(cursor === undefined ? { limit: 1000 } : { cursor, limit: Math.min(1000, maxScan - examined) }), rt.guard);
        examined += got.sessions.length;
        matched.push(...(await view(got.sessions)).filter(keep));
        cursor = got.cursor;
      } while (cursor !== undefined && examined < maxScan);
      const cut = matched.slice(offset, offset + query.limit);
      return { query, sessions: query.arrange?.(cut) ?? cut, total: matched.length, offset, nextCursor: undefined, cursor: query.cursor };
    }
    // Unfiltered: skip the offset a store page at a time, then take exactly one page, so the store's cursor
    // after it is the next page's.
    let skip = offset;
    while (skip > 0) {
      const got = await guarded("listAllSessions", () => store.listAllSessions(cursor === undefined ? { limit: Math.min(1000, skip) } : { cursor, limit: Math.min(1000, skip) }), rt.guard);
      skip -= got.sessions.length;
      cursor = got.cursor;
      if (cursor === undefined) break;
    }
    const [got, total] = await Promise.all([
      skip > 0 ? Promise.resolve({ sessions: [], cursor: undefined }) : guarded("listAllSessions", () => store.listAllSessions(cursor === undefined ? { limit: query.limit } : { cursor, limit: query.limit }), rt.guard),
      guarded("countAllSessions", () => store.countAllSessions(), rt.guard),
    ]);
    const views = await view(got.sessions);
    return { query, sessions: query.arrange?.(views) ?? views, total, offset, nextCursor: got.cursor, cursor: query.cursor };
  }

  return adminHandler(ar, (req) => {
    remember(req, read(req));
  }, async (req, res, caller) => {
    const query = queries.get(req) ?? read(req);
    query.afterGate?.();
    sendReply(res, render(await page(query, currentSessionId(caller)), req));
  });
}

/**
 * One user's live sessions, newest login first, from that user's own index (never a scan), for an
 * administrator: rendered by `shape.admin.userSessions` (Kratos `GET /admin/identities/:id/sessions`).
 */
export function adminListUserSessions<U extends UserRecord = UserRecord>(options: Readonly<AdminOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("adminListUserSessions", "adminListUserSessions({ ... })", options, notMountable)) return undefined as never;
  const ar = resolveAdmin("adminListUserSessions", options, ["readUserSessionsQuery", "userSessions"]);
  const { rt, admin } = ar;
  const read = admin.readUserSessionsQuery as NonNullable<typeof admin.readUserSessionsQuery>;
  const render = admin.userSessions as NonNullable<typeof admin.userSessions>;
  const userQueries = new WeakMap<Request, AdminListQuery & { readonly userId: string }>();
  return adminHandler(ar, (req) => {
    userQueries.set(req, read(req));
  }, async (req, res, caller) => {
    const query = userQueries.get(req) ?? read(req);
    const result = await userSessionsPage(rt.store, query, query.userId, rt.guard, (s) => adminViews(rt, s, currentSessionId(caller)));
    sendReply(res, render(result, req));
  });
}
