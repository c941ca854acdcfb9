import request from "supertest";
import { describe, expect, it } from "vitest";
import { credentials, demo, exampleHarness } from "./helpers/example.js";
import { codeAt, wrongCode } from "./helpers/rocket-chat.js";

const cookie = credentials.kratosCookie;
const ownPage = { "Sec-Fetch-Site": "same-origin", Accept: "application/json" };

/** The example app's admin page and its two routes, over HTTP. */
describe("the example app's admin page", () => {
  it("is the admin's: 401 signed out, 403 for alice, and lists a searched user's sessions with device and last seen", async () => {
    const h = exampleHarness();
    const admin = await h.login("admin");
    await h.login("alice", {});
    const signedOut = await request(h.app).get("/admin?user=alice");
    expect(signedOut.status).toBe(401);
    const alice = await h.login("alice");
    const denied = await request(h.app).get("/admin?user=alice").set(cookie(alice.token));
    expect(denied.status).toBe(403);
    expect(denied.text).toContain("Not an administrator");
    expect(denied.text).not.toContain(alice.session.id);
    const page = await request(h.app).get("/admin?user=alice").set(cookie(admin.token));
    expect(page.status).toBe(200);
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.headers["content-security-policy"]).toMatch(/script-src 'nonce-/);
    expect(page.text).toContain(`data-session-id="${alice.session.id}"`);
    expect(page.text).toContain("Sessions of alice");
    expect((page.text.match(/<tr data-session-id=/g) ?? []).length).toBe(2);
    const missing = await request(h.app).get("/admin?user=nobody").set(cookie(admin.token));
    expect(missing.text).toContain("No user named “nobody”.");
  });

  it("ends all of a user's sessions with the admin's TOTP code, and refuses a missing, wrong or replayed code, or another site, changing nothing", async () => {
    const h = exampleHarness();
    const admin = await h.login("admin");
    await h.login("alice");
    await h.login("alice");
    const url = "/admin/page/users/alice/sessions";
    const before = await h.base.snapshot("alice", "admin");
    h.base.reset();
    const refusals = [
      request(h.app).delete(url).set({ ...cookie(admin.token), ...ownPage }),
      request(h.app).delete(url).set({ ...cookie(admin.token), ...ownPage, "x-2fa-code": await wrongCode(demo.adminTotpSecret) }),
      request(h.app).delete(url).set({ ...cookie(admin.token), "Sec-Fetch-Site": "cross-site", "x-2fa-code": await codeAt(demo.adminTotpSecret) }),
    ];
    const answers: [number, string][] = [];
    for (const refusal of refusals) {
      const res = await refusal;
      answers.push([res.status, (res.body as { code?: string }).code ?? ""]);
    }
    expect(answers).toEqual([[400, "totp-required"], [400, "totp-invalid"], [403, "forbidden"]]);
    expect(await h.base.snapshot("alice", "admin")).toEqual(before);
    expect(h.base.mutations.filter((m) => m === "revokeSession" || m === "revokeUserSessions")).toEqual([]);

    const code = await codeAt(demo.adminTotpSecret);
    const ended = await request(h.app).delete(url).set({ ...cookie(admin.token), ...ownPage, "x-2fa-code": code });
    expect([ended.status, ended.body]).toEqual([200, { ended: 2 }]);
    expect(await h.base.listSessions("alice")).toEqual([]);
    expect(await h.base.listSessions("admin")).toHaveLength(1);

    await h.login("alice");
    const kept = await h.base.snapshot("alice", "admin");
    const replay = await request(h.app).delete(url).set({ ...cookie(admin.token), ...ownPage, "x-2fa-code": code });
    expect([replay.status, (replay.body as { code: string }).code]).toEqual([400, "totp-invalid"]);
    expect(await h.base.snapshot("alice", "admin")).toEqual(kept);
  });

  it("refuses alice the routes, whatever code she sends, and ends nothing", async () => {
    const h = exampleHarness();
    const alice = await h.login("alice");
    const other = await h.login("alice");
    const before = await h.base.snapshot("alice");
    const one = await request(h.app).delete(`/admin/page/sessions/${other.session.id}`).set({ ...cookie(alice.token), ...ownPage, "x-2fa-code": await codeAt(demo.adminTotpSecret) });
    expect([one.status, (one.body as { code: string }).code]).toEqual([403, "forbidden"]);
    expect(await h.base.snapshot("alice")).toEqual(before);
  });

  it("limits failed Kratos admin API key attempts per address: 429 after 20 in 15 minutes", async () => {
    const h = exampleHarness();
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await request(h.app).get("/admin/sessions").set("Authorization", `Bearer guess-${String(i)}`)).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});
