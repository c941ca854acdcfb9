import request from "supertest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { demo, exampleHarness, type Harness } from "./helpers/example.js";

const MINUTE = 60_000;

async function browserLogin(h: Harness, username: string, password: string, userAgent: string): Promise<{ token: string; id: string }> {
  const res = await request(h.app).post("/self-service/login").set("User-Agent", userAgent).send({ username, password }).expect(200);
  const body = res.body as { session_token: string; session: { id: string } };
  return { token: body.session_token, id: body.session.id };
}

const cookie = (token: string) => ({ Cookie: `ory_kratos_session=${token}` });

describe("the example app's session lifetime: deadlines on the page, change password", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows, for each session, when it idles out and when it ends for good, as the store has them", async () => {
    const h = exampleHarness();
    const laptop = await browserLogin(h, "alice", demo.alicePassword, "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0");
    const phone = await browserLogin(h, "alice", demo.alicePassword, "Mozilla/5.0 (iPhone) Safari/605.1");
    const page = await request(h.app).get("/").set(cookie(laptop.token)).expect(200);
    expect(page.text).toContain("<th>Idles out</th><th>Ends for good</th>");
    expect(page.text).toContain("A session idles out after 30 minutes without use and ends for good 24 hours after its login.");
    for (const id of [laptop.id, phone.id]) {
      const session = await h.base.getSession(id);
      if (session === undefined) throw new Error("the session is gone");
      expect(session.idleTimeoutMs).toBe(30 * MINUTE);
      const row = new RegExp(`<tr data-session-id="${id}">[\\s\\S]*?</tr>`).exec(page.text)?.[0] ?? "";
      expect(row).toContain(`data-idles-out="${String((session.lastSeenAt ?? session.createdAt) + 30 * MINUTE)}"`);
      expect(row).toContain(`data-ends-at="${String(session.expiresAt)}"`);
      expect(row).toContain(`<time datetime="${new Date(session.expiresAt).toISOString()}"`);
      expect(row).toMatch(/in (23 h|1 d)/);
    }
  });

  it("signs out a session nobody used for 30 minutes, and keeps one in use alive", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.UTC(2031, 0, 1, 9, 0, 0);
    vi.setSystemTime(t0);
    const h = exampleHarness();
    const used = await browserLogin(h, "alice", demo.alicePassword, "Chrome/131.0");
    const idle = await browserLogin(h, "alice", demo.alicePassword, "Firefox/133.0");
    for (const minute of [10, 20, 30, 40]) {
      vi.setSystemTime(t0 + minute * MINUTE);
      const page = await request(h.app).get("/").set(cookie(used.token)).expect(200);
      expect(page.text).toContain("Signed in as alice");
    }
    await request(h.app).get("/sessions/whoami").set(cookie(idle.token)).expect(401);
    const page = await request(h.app).get("/").set(cookie(idle.token)).expect(200);
    expect(page.text).toContain("Not signed in");
  });

  it("changes the password, records the re-check as a fresh authentication, and signs out every other session", async () => {
    const h = exampleHarness();
    const here = await browserLogin(h, "alice", demo.alicePassword, "Chrome/131.0");
    const there = await browserLogin(h, "alice", demo.alicePassword, "Firefox/133.0");
    const api = await h.login("alice");
    const res = await request(h.app).post("/account/password").set(cookie(here.token)).send({ current: demo.alicePassword, next: "a-new-password-1", endOthers: true }).expect(200);
    expect(res.body).toEqual({ changed: true, sessionsEnded: 2 });
    await request(h.app).get("/sessions/whoami").set(cookie(here.token)).expect(200);
    await request(h.app).get("/sessions/whoami").set(cookie(there.token)).expect(401);
    await request(h.app).get("/v1/auth").set("Authorization", `Bearer ${api.token}`).expect(401);
    expect((await h.base.getSession(here.id))?.amr).toEqual(["password"]);
    await request(h.app).post("/self-service/login").send({ username: "alice", password: demo.alicePassword }).expect(401);
    await request(h.app).post("/self-service/login").send({ username: "alice", password: "a-new-password-1" }).expect(200);
    const ended = h.events.filter((e) => e.name === "sessions.ended").map((e) => e.event);
    expect(ended).toContainEqual(expect.objectContaining({ userId: "alice", target: "others", count: 2, reason: "password-changed" }));
  });

  it("keeps the other sessions when the user leaves the box unticked", async () => {
    const h = exampleHarness();
    const here = await browserLogin(h, "alice", demo.alicePassword, "Chrome/131.0");
    const there = await browserLogin(h, "alice", demo.alicePassword, "Firefox/133.0");
    await request(h.app).post("/account/password").set(cookie(here.token)).send({ current: demo.alicePassword, next: "a-new-password-2", endOthers: false }).expect(200, { changed: true, sessionsEnded: 0 });
    await request(h.app).get("/sessions/whoami").set(cookie(there.token)).expect(200);
  });

  it.each([
    ["a wrong current password", { current: "wrong", next: "a-new-password-3", endOthers: true }, 400],
    ["a new password that is too short", { current: demo.alicePassword, next: "short", endOthers: true }, 400],
  ])("refuses %s and changes nothing", async (_name, body, status) => {
    const h = exampleHarness();
    const here = await browserLogin(h, "alice", demo.alicePassword, "Chrome/131.0");
    await browserLogin(h, "alice", demo.alicePassword, "Firefox/133.0");
    const before = await h.base.snapshot("alice");
    h.base.reset();
    await request(h.app).post("/account/password").set(cookie(here.token)).send(body).expect(status);
    expect(h.base.mutations).toEqual([]);
    expect(await h.base.snapshot("alice")).toEqual(before);
    await request(h.app).post("/self-service/login").send({ username: "alice", password: demo.alicePassword }).expect(200);
  });

  it("refuses a change sent by a page of another site, and one without a session", async () => {
    const h = exampleHarness();
    const here = await browserLogin(h, "alice", demo.alicePassword, "Chrome/131.0");
    const before = await h.base.snapshot("alice");
    h.base.reset();
    await request(h.app).post("/account/password").set(cookie(here.token)).set("Sec-Fetch-Site", "cross-site").send({ current: demo.alicePassword, next: "a-new-password-4", endOthers: true }).expect(403);
    await request(h.app).post("/account/password").send({ current: demo.alicePassword, next: "a-new-password-4", endOthers: true }).expect(401);
    expect(h.base.mutations).toEqual([]);
    expect(await h.base.snapshot("alice")).toEqual(before);
  });
});
