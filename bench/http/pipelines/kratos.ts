import { browserLogoutFlow, KRATOS_SESSION_COOKIE, type BrowserLogoutFlow, type CompleteSessionStore } from "#bench/library";
import { createHmac, timingSafeEqual } from "node:crypto";
import { FloorSessions } from "../floor/sessions.js";
import { benchUserId, openSessions } from "../sessions.js";
import type { FloorEnv, FloorRoute, Pipeline } from "../types.js";

/** The flow of each server, by store: `feed` needs it to make each session's logout token. */
const flows = new WeakMap<CompleteSessionStore, BrowserLogoutFlow>();

const FLOOR_SECRET = Buffer.from("bench-floor-logout-token-secret-0123456789");

/** A session's logout token in the floor: an HMAC of its id, so it is checked without a read of its own. */
function floorLogoutToken(sessionId: string): Buffer {
  return createHmac("sha256", FLOOR_SECRET).update(sessionId).digest();
}

/** The value of one cookie in a `Cookie` header, or `undefined`. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(";")) {
    const at = pair.indexOf("=");
    if (at !== -1 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * The least this logout does: the session cookie read, hashed and found, the logout token recomputed and
 * compared in constant time, the session ended in a Map, and the ceiling's 204 with its clearing cookie. No
 * record of the revoked token: the library keeps one so a repeated logout answers 204 again, which is more than
 * the least work.
 */
function kratosFloor({ answer }: FloorEnv): FloorRoute {
  const sessions = new FloorSessions();
  return {
    handlers: [
      function kratosFloorLogout(req, res) {
        const token = typeof req.query.token === "string" ? Buffer.from(req.query.token, "base64url") : undefined;
        const cookie = cookieValue(req.headers.cookie, KRATOS_SESSION_COOKIE);
        const session = cookie === undefined ? undefined : sessions.find(cookie);
        const expected = session === undefined ? undefined : floorLogoutToken(session.id);
        if (session === undefined || token === undefined || expected === undefined || token.length !== expected.length || !timingSafeEqual(token, expected)) {
          res.status(401).end();
          return;
        }
        sessions.endById(session.id);
        answer(res);
      },
    ],
    feed(n) {
      const rows = Array.from({ length: n }, (_, i) => {
        const { token, session } = sessions.open(benchUserId(i));
        return [token, floorLogoutToken(session.id).toString("base64url")];
      });
      return { rows, cycle: false };
    },
    liveSessions: () => sessions.size,
  };
}

/**
 * Ory Kratos perform-logout `GET /self-service/logout?token=` for an API client (`Accept: application/json`):
 * session from the cookie, logout token checked, return_to (none) validated, session ended, cookie cleared, 204.
 */
export const kratosLogoutPipeline: Pipeline = {
  id: "kratos-logout",
  title: "Ory Kratos GET /self-service/logout?token=",
  kind: "logout",
  method: "GET",
  route: "/self-service/logout",
  template: {
    method: "GET",
    path: "/self-service/logout?token={{1}}",
    headers: { cookie: `${KRATOS_SESSION_COOKIE}={{0}}`, accept: "application/json" },
  },
  success: { status: 204 },
  floor: { does: "read and hash the cookie's token, check the logout token's HMAC, end the session in a Map", start: kratosFloor },
  handlers({ store, users }) {
    const flow = browserLogoutFlow({ store, users, publicUrl: "http://127.0.0.1", secrets: ["bench-logout-token-secret-0123456789abcdef"] });
    flows.set(store, flow);
    return [flow.logout];
  },
  async feed({ store }, n) {
    const flow = flows.get(store);
    if (flow === undefined) throw new Error("the Kratos pipeline's handlers were not built");
    const sessions = await openSessions(store, n);
    return { rows: sessions.map((s) => [s.token, flow.logoutToken(s.session)]), cycle: false };
  },
};
