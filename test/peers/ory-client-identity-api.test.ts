import { Configuration, IdentityApi } from "@ory/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExampleApp, type ExampleAppProcess } from "../helpers/app-process.js";

const ADMIN_API_KEY = "test-admin-api-key-0123456789abcdef";

/**
 * Ory's own TypeScript SDK (`@ory/client`'s IdentityApi), unchanged, against the example app running as its own
 * process with its admin API key: what each call resolves to, and what it rejects with, is what Kratos' admin
 * plane gives it.
 */
describe("@ory/client IdentityApi against the example app process", () => {
  let app: ExampleAppProcess;
  let api: IdentityApi;

  beforeAll(async () => {
    app = await startExampleApp({ env: { DEMO_ADMIN_API_KEY: ADMIN_API_KEY } });
    api = new IdentityApi(new Configuration({ basePath: app.url, accessToken: ADMIN_API_KEY }));
  });

  afterAll(async () => {
    await app.stop();
  });

  async function login(username = "alice"): Promise<{ token: string; id: string }> {
    const res = await fetch(`${app.url}/self-service/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "ory-client-test/1.0" },
      body: JSON.stringify({ username, password: `${username}-password` }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { session_token: string; session: { id: string } };
    return { token: body.session_token, id: body.session.id };
  }

  const whoamiStatus = (token: string) => fetch(`${app.url}/sessions/whoami`, { headers: { "x-session-token": token } }).then((r) => r.status);

  it("listSessions pages through every session with the page_token of the Link header", async () => {
    const mine = [await login(), await login("admin"), await login()];
    const seen: string[] = [];
    let pageToken: string | undefined;
    for (;;) {
      const page = await api.listSessions({ pageSize: 2, ...(pageToken === undefined ? {} : { pageToken }), expand: ["identity"] });
      expect(page.status).toBe(200);
      seen.push(...page.data.map((s) => s.id));
      for (const s of page.data) expect(s.identity?.id).toMatch(/^(alice|admin)$/);
      const next = /<([^>]+)>; rel="next"/.exec(String(page.headers.link))?.[1];
      if (next === undefined) break;
      pageToken = new URL(next, app.url).searchParams.get("page_token") ?? undefined;
    }
    for (const s of mine) expect(seen).toContain(s.id);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("getSession returns the session, its identity when expanded, and rejects 404 for an unknown one", async () => {
    const { id } = await login();
    const got = await api.getSession({ id, expand: ["identity", "devices"] });
    expect(got.data).toMatchObject({ id, active: true, identity: { id: "alice", traits: { username: "alice" } } });
    expect(got.data.devices?.[0]?.user_agent).toBe("ory-client-test/1.0");
    const error = await api.getSession({ id: "7c9e6679-7425-40de-944b-e07fc1f90ae7" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ response: { status: 404, data: { error: { code: 404, message: "Unable to locate the resource" } } } });
  });

  it("disableSession ends the session (204), which then fails whoami, and rejects a bad UUID with 400", async () => {
    const { id, token } = await login();
    expect((await api.disableSession({ id })).status).toBe(204);
    expect(await whoamiStatus(token)).toBe(401);
    const error = await api.disableSession({ id: "BADUUID" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ response: { status: 400, data: { error: { code: 400, message: 'uuid: incorrect UUID length 7 in string "BADUUID"' } } } });
  });

  it("extendSession answers 204 for a live session and rejects 404 for an ended one", async () => {
    const { id, token } = await login();
    expect((await api.extendSession({ id })).status).toBe(204);
    expect(await whoamiStatus(token)).toBe(200);
    await api.disableSession({ id });
    const error = await api.extendSession({ id }).catch((e: unknown) => e);
    expect(error).toMatchObject({ response: { status: 404 } });
  });

  it("listIdentitySessions returns the identity's sessions with X-Total-Count, and deleteIdentitySessions ends them all", async () => {
    const sessions = [await login(), await login()];
    const admin = await login("admin");
    const listed = await api.listIdentitySessions({ id: "alice", perPage: 1000 });
    expect(listed.status).toBe(200);
    expect(Number(listed.headers["x-total-count"])).toBe(listed.data.length);
    for (const s of sessions) expect(listed.data.map((d) => d.id)).toContain(s.id);
    expect(listed.data.every((d) => d.identity?.id === "alice")).toBe(true);
    expect((await api.deleteIdentitySessions({ id: "alice" })).status).toBe(204);
    for (const s of sessions) expect(await whoamiStatus(s.token)).toBe(401);
    expect(await whoamiStatus(admin.token)).toBe(200);
    expect((await api.listIdentitySessions({ id: "alice" })).data).toEqual([]);
    const error = await api.deleteIdentitySessions({ id: "alice" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ response: { status: 404 } });
  });

  it("rejects every call with 401 without the admin API key, and a session token is no admin key", async () => {
    const { id, token } = await login();
    const anonymous = new IdentityApi(new Configuration({ basePath: app.url }));
    const withSession = new IdentityApi(new Configuration({ basePath: app.url, accessToken: token }));
    for (const call of [() => anonymous.listSessions(), () => anonymous.disableSession({ id }), () => withSession.deleteIdentitySessions({ id: "alice" })]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toMatchObject({ response: { status: 401, data: { error: { code: 401, message: "The request could not be authorized" } } } });
    }
    expect(await whoamiStatus(token)).toBe(200);
  });
});
