import { createLogoutHandler, encodeSoajsAuth, shapes, soajsUser } from "#bench/library";
import { BenchDirectory } from "../directory.js";
import { benchUserId, openSessions } from "../sessions.js";
import type { Pipeline } from "../types.js";

const sampleUser = new BenchDirectory().add(benchUserId(1));

/** SOAJS urac `GET /urac/logout`: tenant key in `key`, session in `soajsauth`. */
export const soajsLogoutPipeline: Pipeline = {
  id: "soajs-logout",
  title: "SOAJS GET /urac/logout",
  kind: "logout",
  method: "GET",
  route: "/urac/logout",
  template: { method: "GET", path: "/urac/logout", headers: { key: BenchDirectory.tenantKey, soajsauth: "{{0}}" } },
  success: { status: 200, body: { result: true, data: soajsUser(sampleUser), soajsauth: encodeSoajsAuth("x".repeat(43)) } },
  handlers: ({ store, users }) => [createLogoutHandler({ store, users, shape: shapes.soajs })],
  async feed({ store }, n) {
    const sessions = await openSessions(store, n);
    return { rows: sessions.map((s) => [encodeSoajsAuth(s.token)]), cycle: false };
  },
};
