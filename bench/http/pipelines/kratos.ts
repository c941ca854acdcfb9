import { browserLogoutFlow, KRATOS_SESSION_COOKIE, type BrowserLogoutFlow, type CompleteSessionStore } from "#bench/library";
import { openSessions } from "../sessions.js";
import type { Pipeline } from "../types.js";

/** The flow of each server, by store: `feed` needs it to make each session's logout token. */
const flows = new WeakMap<CompleteSessionStore, BrowserLogoutFlow>();

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
  handlers({ store, users }) {
    const flow = browserLogoutFlow({ store, users, publicUrl: "http://127.0.0.1", secrets: ["bench-logout-token-secret-0123456789abcdef"] });
    flows.set(store, flow);
    return [flow.logout];
  },
  async feed({ store }, n) {
    const flow = flows.get(store);
    if (flow === undefined) throw new Error("the Kratos pipeline's handlers were not built");
    const sessions = await openSessions(store, n);
    return { rows: sessions.map((s) => [s.token, flow.logoutToken(s.session.id)]), cycle: false };
  },
};
