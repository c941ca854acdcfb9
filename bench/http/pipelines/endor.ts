import { createLogoutHandler, endorAuthenticationResponse, shapes } from "#bench/library";
import { BenchDirectory } from "../directory.js";
import { FloorSessions } from "../floor/sessions.js";
import { benchUserId, openSessions } from "../sessions.js";
import type { FloorEnv, FloorRoute, Pipeline } from "../types.js";

const sampleUser = new BenchDirectory().add(benchUserId(1));

const SOURCE = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * The least this logout does: the path's source checked, the bearer token hashed, its session ended in a Map,
 * its user read, and Endor's `AuthenticationResponse` for it.
 */
function endorFloor({ users, answer }: FloorEnv): FloorRoute {
  const sessions = new FloorSessions();
  return {
    handlers: [
      function endorFloorLogout(req, res) {
        const source = (req.params as Record<string, string | undefined>).authentication_source ?? "";
        const header = req.headers.authorization;
        const session = SOURCE.test(source) && header?.startsWith("Bearer ") === true ? sessions.endByToken(header.slice(7)) : undefined;
        if (session === undefined) {
          res.status(401).end();
          return;
        }
        const user = users.userNow(session.userId)?.record;
        answer(res, endorAuthenticationResponse({ authenticationSource: source, token: "", expirationTime: Date.now(), user, userId: session.userId }));
      },
    ],
    feed: (n) => ({ rows: Array.from({ length: n }, (_, i) => [sessions.open(benchUserId(i)).token]), cycle: false }),
    liveSessions: () => sessions.size,
  };
}

/** Endor Labs `GET /v1/auth/{authentication_source}/logout` with `Authorization: Bearer`. */
export const endorLogoutPipeline: Pipeline = {
  id: "endor-logout",
  title: "Endor Labs GET /v1/auth/login/logout",
  kind: "logout",
  method: "GET",
  route: "/v1/auth/:authentication_source/logout",
  template: { method: "GET", path: "/v1/auth/login/logout", headers: { authorization: "Bearer {{0}}" } },
  success: {
    status: 200,
    body: endorAuthenticationResponse({ authenticationSource: "login", token: "", expirationTime: Date.parse("2025-06-01T12:00:00.123Z"), user: sampleUser, userId: sampleUser.id }),
  },
  floor: { does: "hash the token, end its session in a Map, read the user, Endor's body", start: endorFloor },
  handlers: ({ store, users }) => [createLogoutHandler({ store, users, shape: shapes.endor })],
  async feed({ store }, n) {
    const sessions = await openSessions(store, n);
    return { rows: sessions.map((s) => [s.token]), cycle: false };
  },
};
