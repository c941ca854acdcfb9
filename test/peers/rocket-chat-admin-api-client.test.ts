import { RestClient } from "@rocket.chat/api-client";
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoConfig } from "../../examples/app/demo.js";
import { startExampleApp, type ExampleAppProcess } from "../helpers/app-process.js";

/**
 * Rocket.Chat's own REST client, unchanged, driving the administrator's device management of the example app
 * running as its own process: list.all and info.admin (answering the 2FA challenge), users.logout, and the
 * refusals a user without the permissions gets.
 */
describe("@rocket.chat/api-client on the administrator's routes of the example app process", () => {
  const config = demoConfig({});
  let app: ExampleAppProcess;

  beforeAll(async () => {
    app = await startExampleApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  async function login(user: string, password: string, userAgent = "RC Mobile/4.50.0"): Promise<{ client: RestClient; userId: string }> {
    const res = await fetch(`${app.url}/api/v1/login`, { method: "POST", headers: { "Content-Type": "application/json", "User-Agent": userAgent }, body: JSON.stringify({ user, password }) });
    const body = (await res.json()) as { data: { userId: string; authToken: string } };
    return { client: new RestClient({ baseUrl: app.url, credentials: { "X-User-Id": body.data.userId, "X-Auth-Token": body.data.authToken } }), userId: body.data.userId };
  }

  /** Answers the client's 2FA challenges with the admin's codes, a later time step each time (a code is single use). */
  function answerChallenges(client: RestClient): string[] {
    const methods: string[] = [];
    let step = Math.floor(Date.now() / 30_000) - 1;
    client.handleTwoFactorChallenge(async (challenge) => {
      methods.push(challenge.method);
      const code = await generate({ secret: config.adminTotpSecret, epoch: step * 30 });
      step += 1;
      return code;
    });
    return methods;
  }

  it("lists every session with _user, shows one with info.admin, and ends all of alice's with users.logout", async () => {
    const admin = await login("admin", config.adminPassword);
    const alice = await login("alice", config.alicePassword);
    const methods = answerChallenges(admin.client);

    const all = (await (await admin.client.send("/v1/sessions/list.all?count=10&filter=alice", "GET")).json()) as { sessions: { sessionId: string; userId: string; _user: { username: string } }[]; total: number; count: number; success: boolean };
    expect(all).toMatchObject({ count: 10, success: true });
    expect(all.sessions.length).toBeGreaterThanOrEqual(1);
    for (const s of all.sessions) expect(s).toMatchObject({ userId: "alice", _user: { username: "alice" } });
    const target = all.sessions[0]!.sessionId;

    const info = (await (await admin.client.send(`/v1/sessions/info.admin?sessionId=${target}`, "GET")).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ sessionId: target, userId: "alice", _user: { username: "alice" }, success: true });

    const out = (await (await admin.client.send("/v1/users.logout", "POST", { body: JSON.stringify({ userId: "alice" }), headers: { "Content-Type": "application/json" } })).json());
    expect(out).toEqual({ message: "User alice has been logged out!", success: true });
    expect(methods).toEqual(["totp", "totp", "totp"]);

    const refused = await alice.client.get("/v1/me").then(() => undefined, (response: unknown) => response as Response);
    expect(refused?.status).toBe(401);
  });

  it("gives a user without the permissions Rocket.Chat's refusals, and nothing changes", async () => {
    const admin = await login("admin", config.adminPassword);
    const alice = await login("alice", config.alicePassword);
    // The client rejects with the Response on any status but 2xx.
    const refusal = (promise: Promise<unknown>) => promise.then(() => { throw new Error("expected a refusal"); }, (response: unknown) => response as Response);
    const listed = await refusal(alice.client.send("/v1/sessions/list.all", "GET"));
    expect(listed.status).toBe(403);
    expect(await listed.json()).toEqual({ success: false, error: "User does not have the permissions required for this action [error-unauthorized]" });
    const logout = await refusal(alice.client.send("/v1/users.logout", "POST", { body: JSON.stringify({ userId: "admin" }), headers: { "Content-Type": "application/json" } }));
    expect(logout.status).toBe(401);
    expect(await logout.json()).toEqual({ success: false, error: "unauthorized" });
    expect(await admin.client.get("/v1/me")).toMatchObject({ _id: "admin", success: true });
  });
});
