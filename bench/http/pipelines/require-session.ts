import type { Request, Response } from "express";
import { getAuthentication, requireSession } from "#bench/library";
import { openSessions } from "../sessions.js";
import type { Pipeline } from "../types.js";

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
  async feed({ store }) {
    const sessions = await openSessions(store, LIVE_SESSIONS);
    return { rows: sessions.map((s) => [s.token]), cycle: true };
  },
};
