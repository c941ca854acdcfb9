import type { Request, RequestHandler, Response } from "express";
import { getAuthentication, requireSession } from "#bench/library";
import { benchUserId, openSessions } from "../sessions.js";
import { FloorSessions, type FloorSession } from "../floor/sessions.js";
import type { BenchDirectory } from "../directory.js";
import type { FloorRoute, Pipeline } from "../types.js";

/** The protected route's own answer: the same JSON for the library route and its ceiling. */
const body = { items: [{ id: "thing-1", name: "first thing" }, { id: "thing-2", name: "second thing" }], total: 2 };

/** Sessions the requests go round: enough that lookups miss the CPU caches like real traffic does. */
const LIVE_SESSIONS = 10_000;

/** A host's protected route. It is host code, so the ceiling runs it too. */
export function listThings(req: Request, res: Response): void {
  // Reading the caller is what a real route does after requireSession; the ceiling finds none.
  res.setHeader("X-User", getAuthentication(req)?.session.userId ?? "-");
  res.status(200).json(body);
}

/** What a floor guard hands the route: the caller, kept beside the request as the library keeps it. */
const floorCallers = new WeakMap<Request, { readonly session: FloorSession; readonly user: unknown }>();

/**
 * The least a session guard does: the bearer token read, hashed and found, its user read, the caller kept for
 * the route, `next()`. `findSession` says what the token stands for: a stored session's, or a JWT's once it
 * verified and passed its deny-list.
 */
export function floorGuard(users: BenchDirectory, findSession: (token: string) => FloorSession | undefined): RequestHandler {
  return function floorGuardMiddleware(req, res, next) {
    const header = req.headers.authorization;
    const session = header?.startsWith("Bearer ") === true ? findSession(header.slice(7)) : undefined;
    const user = session === undefined ? undefined : users.userNow(session.userId)?.record;
    if (session === undefined || user === undefined) {
      res.status(401).end();
      return;
    }
    floorCallers.set(req, { session, user });
    next();
  };
}

function requireSessionFloor(users: BenchDirectory): FloorRoute {
  const sessions = new FloorSessions();
  const tokens = Array.from({ length: LIVE_SESSIONS }, (_, i) => sessions.open(benchUserId(i)).token);
  return {
    handlers: [floorGuard(users, (token) => sessions.find(token)), listThings],
    feed: () => ({ rows: tokens.map((token) => [token]), cycle: true }),
  };
}

/** `requireSession` (problem+json shape, user loaded) in front of a protected route. */
export const requireSessionPipeline: Pipeline = {
  id: "require-session",
  title: "requireSession on a protected route",
  kind: "guard",
  method: "GET",
  route: "/api/things",
  template: { method: "GET", path: "/api/things", headers: { authorization: "Bearer {{0}}" } },
  success: { status: 200, body },
  handlers: ({ store, users }) => [requireSession({ store, users }), listThings],
  ceilingHandler: listThings,
  floor: { does: "hash the bearer token, find it in a Map, read the user, next()", start: ({ users }) => requireSessionFloor(users) },
  async feed({ store }) {
    const sessions = await openSessions(store, LIVE_SESSIONS);
    return { rows: sessions.map((s) => [s.token]), cycle: true };
  },
};
