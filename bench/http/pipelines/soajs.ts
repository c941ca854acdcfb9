import { createLogoutHandler, encodeSoajsAuth, shapes, soajsUser } from "#bench/library";
import { BenchDirectory } from "../directory.js";
import { FloorSessions } from "../floor/sessions.js";
import { benchUserId, openSessions } from "../sessions.js";
import type { FloorEnv, FloorRoute, Pipeline } from "../types.js";

const sampleUser = new BenchDirectory().add(benchUserId(1));

const HANDLE = /^Basic ([A-Za-z0-9+/]+={0,2})$/;

/**
 * The least this logout does: the tenant key checked, the `soajsauth` handle decoded, its token hashed and its
 * session ended in a Map, its user read, and SOAJS's `{ result, data, soajsauth }`.
 */
function soajsFloor({ users, answer }: FloorEnv): FloorRoute {
  const sessions = new FloorSessions();
  return {
    handlers: [
      function soajsFloorLogout(req, res) {
        const handle = req.headers.soajsauth;
        const encoded = req.headers.key === BenchDirectory.tenantKey && typeof handle === "string" ? HANDLE.exec(handle)?.[1] : undefined;
        const decoded = encoded === undefined ? "" : Buffer.from(encoded, "base64").toString("utf8");
        const session = decoded.startsWith("soajs:") ? sessions.endByToken(decoded.slice("soajs:".length)) : undefined;
        const user = session === undefined ? undefined : users.userNow(session.userId)?.record;
        if (user === undefined) {
          res.status(401).end();
          return;
        }
        answer(res, { result: true, data: soajsUser(user), soajsauth: handle });
      },
    ],
    feed: (n) => ({ rows: Array.from({ length: n }, (_, i) => [encodeSoajsAuth(sessions.open(benchUserId(i)).token)]), cycle: false }),
    liveSessions: () => sessions.size,
  };
}

/** SOAJS urac `GET /urac/logout`: tenant key in `key`, session in `soajsauth`. */
export const soajsLogoutPipeline: Pipeline = {
  id: "soajs-logout",
  title: "SOAJS GET /urac/logout",
  kind: "logout",
  method: "GET",
  route: "/urac/logout",
  template: { method: "GET", path: "/urac/logout", headers: { key: BenchDirectory.tenantKey, soajsauth: "{{0}}" } },
  success: { status: 200, body: { result: true, data: soajsUser(sampleUser), soajsauth: encodeSoajsAuth("x".repeat(43)) } },
  floor: { does: "check the tenant key, decode the handle, hash the token, end its session in a Map, read the user", start: soajsFloor },
  handlers: ({ store, users }) => [createLogoutHandler({ store, users, shape: shapes.soajs })],
  async feed({ store }, n) {
    const sessions = await openSessions(store, n);
    return { rows: sessions.map((s) => [encodeSoajsAuth(s.token)]), cycle: false };
  },
};
