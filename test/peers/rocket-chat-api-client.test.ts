import { RestClient } from "@rocket.chat/api-client";
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoConfig } from "../../examples/app/demo.js";
import { startExampleApp, type ExampleAppProcess } from "../helpers/app-process.js";

/**
 * Rocket.Chat's own REST client, unchanged, against the example app running as its own process (what
 * `npm start` runs): login, 2FA challenge, device logout.
 */
describe("@rocket.chat/api-client against the example app process", () => {
  const config = demoConfig({});
  let app: ExampleAppProcess;
  let baseUrl: string;

  beforeAll(async () => {
    app = await startExampleApp();
    baseUrl = app.url;
  });

  afterAll(async () => {
    await app.stop();
  });

  async function login(user: string, password: string): Promise<RestClient> {
    const res = await fetch(`${baseUrl}/api/v1/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user, password }) });
    const body = (await res.json()) as { status: string; data: { userId: string; authToken: string } };
    expect(body.status).toBe("success");
    return new RestClient({ baseUrl, credentials: { "X-User-Id": body.data.userId, "X-Auth-Token": body.data.authToken } });
  }

  it("answers the client's 2FA challenge flow and ends the target session, whose next call is a 401", async () => {
    const admin = await login("admin", config.adminPassword);
    const alice = await login("alice", config.alicePassword);
    const me = await alice.get("/v1/me");
    expect(me).toMatchObject({ _id: "alice", username: "alice", success: true });
    const list = (await alice.send("/v1/sessions/list", "GET").then((r) => r.json())) as { sessions: { sessionId: string; current: boolean }[] };
    const sessionId = list.sessions.find((s) => s.current)!.sessionId;

    const challenges: { method: string; invalidAttempt?: boolean }[] = [];
    admin.handleTwoFactorChallenge(async (challenge) => {
      challenges.push({ method: challenge.method, ...(challenge.invalidAttempt === undefined ? {} : { invalidAttempt: challenge.invalidAttempt }) });
      return generate({ secret: config.adminTotpSecret });
    });
    const res = await admin.send("/v1/sessions/logout", "POST", { body: JSON.stringify({ sessionId }), headers: { "Content-Type": "application/json" } });
    expect(await res.json()).toEqual({ sessionId, success: true });
    expect(challenges).toEqual([{ method: "totp", invalidAttempt: false }]);

    const refused = await alice.get("/v1/me").then(() => undefined, (response: unknown) => response as Response);
    expect(refused?.status).toBe(401);
  });

  it("logs the caller out with POST /v1/logout", async () => {
    const alice = await login("alice", config.alicePassword);
    expect(await alice.post("/v1/logout")).toEqual({ status: "success", data: { message: "You've been logged out!" } });
    const refused = await alice.get("/v1/me").then(() => undefined, (response: unknown) => response as Response);
    expect(refused?.status).toBe(401);
  });
});
