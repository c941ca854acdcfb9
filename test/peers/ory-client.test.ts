import { Configuration, FrontendApi } from "@ory/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExampleApp, type ExampleAppProcess } from "../helpers/app-process.js";

/**
 * Ory's own TypeScript SDK (`@ory/client`'s FrontendApi), unchanged, against the example app running as its own
 * process. Each call's result and each error it raises are what the SDK gets from Kratos.
 */
describe("@ory/client FrontendApi against the example app process", () => {
  let app: ExampleAppProcess;
  let api: FrontendApi;

  beforeAll(async () => {
    app = await startExampleApp();
    api = new FrontendApi(new Configuration({ basePath: app.url }));
  });

  afterAll(async () => {
    await app.stop();
  });

  /** A Kratos login through the example app: the session token and the `Cookie` header the SDK sends. */
  async function login(): Promise<{ token: string; id: string; cookie: string }> {
    const res = await fetch(`${app.url}/self-service/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "alice", password: "alice-password" }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { session_token: string; session: { id: string } };
    const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(cookie).toMatch(/^ory_kratos_session=/);
    return { token: body.session_token, id: body.session.id, cookie };
  }

  const whoamiStatus = (headers: Record<string, string>) => fetch(`${app.url}/sessions/whoami`, { headers }).then((r) => r.status);

  it("createBrowserLogoutFlow returns a LogoutFlow, and updateLogoutFlow logs the session out", async () => {
    const { cookie } = await login();
    const flow = await api.createBrowserLogoutFlow({ cookie, returnTo: "https://app.example.com/" });
    expect(flow.status).toBe(200);
    expect(flow.data.logout_url).toBe(`${app.url}/self-service/logout?return_to=${encodeURIComponent("https://app.example.com/")}&token=${flow.data.logout_token}`);
    expect(flow.data.logout_token).toMatch(/^ory_lo_[A-Za-z0-9_-]{43}$/);
    const done = await api.updateLogoutFlow({ token: flow.data.logout_token, returnTo: "https://app.example.com/", cookie });
    expect(done.status).toBe(204);
    expect(await whoamiStatus({ cookie })).toBe(401);
  });

  it("createBrowserLogoutFlow rejects with Kratos' 400 for a return_to outside the allow-list, and the session lives on", async () => {
    const { cookie } = await login();
    const error = await api.createBrowserLogoutFlow({ cookie, returnTo: "https://evil.example/" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      response: {
        status: 400,
        data: { error: { id: "self_service_flow_return_to_forbidden", code: 400, status: "Bad Request", reason: 'Requested return_to URL "https://evil.example/" is not allowed.' } },
      },
    });
    expect(await whoamiStatus({ cookie })).toBe(200);
  });

  it("updateLogoutFlow rejects with 401 session_inactive on a second logout", async () => {
    const { cookie } = await login();
    const flow = await api.createBrowserLogoutFlow({ cookie });
    await api.updateLogoutFlow({ token: flow.data.logout_token, cookie });
    const error = await api.updateLogoutFlow({ token: flow.data.logout_token, cookie }).catch((e: unknown) => e);
    expect(error).toMatchObject({ response: { status: 401, data: { error: { id: "session_inactive", code: 401 } } } });
  });

  it("performNativeLogout resolves 204 twice for one token and rejects 403 for a token never issued", async () => {
    const { token } = await login();
    expect((await api.performNativeLogout({ performNativeLogoutBody: { session_token: token } })).status).toBe(204);
    expect((await api.performNativeLogout({ performNativeLogoutBody: { session_token: token } })).status).toBe(204);
    expect(await whoamiStatus({ "x-session-token": token })).toBe(401);
    const error = await api.performNativeLogout({ performNativeLogoutBody: { session_token: "ory_st_never-issued" } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ response: { status: 403, data: { error: { code: 403, status: "Forbidden" } } } });
  });

  it("disableMySession ends another session (204) and refuses the current one (400)", async () => {
    const me = await login();
    const other = await login();
    expect((await api.disableMySession({ id: other.id, xSessionToken: me.token })).status).toBe(204);
    expect(await whoamiStatus({ "x-session-token": other.token })).toBe(401);
    const error = await api.disableMySession({ id: me.id, xSessionToken: me.token }).catch((e: unknown) => e);
    expect(error).toMatchObject({ response: { status: 400, data: { error: { code: 400, message: "cannot revoke current session" } } } });
    expect(await whoamiStatus({ "x-session-token": me.token })).toBe(200);
  });

  it("disableMyOtherSessions ends every other session and returns the count", async () => {
    const me = await login();
    const others = [await login(), await login()];
    const result = await api.disableMyOtherSessions({ xSessionToken: me.token });
    expect(result.status).toBe(200);
    expect(result.data.count).toBeGreaterThanOrEqual(2);
    for (const o of others) expect(await whoamiStatus({ "x-session-token": o.token })).toBe(401);
    expect(await whoamiStatus({ "x-session-token": me.token })).toBe(200);
  });
});
