import { createLogoutHandler, endorAuthenticationResponse, shapes } from "#bench/library";
import { BenchDirectory } from "../directory.js";
import { benchUserId, openSessions } from "../sessions.js";
import type { Pipeline } from "../types.js";

const sampleUser = new BenchDirectory().add(benchUserId(1));

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
  handlers: ({ store, users }) => [createLogoutHandler({ store, users, shape: shapes.endor })],
  async feed({ store }, n) {
    const sessions = await openSessions(store, n);
    return { rows: sessions.map((s) => [s.token]), cycle: false };
  },
};
