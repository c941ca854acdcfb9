/**
 * Security test matrix, group D: `return_to` open redirects. The corpus of cases 36–48 is pinned value by value in
 * test/return-to.test.ts (the check) and test/browser-logout-flow.test.ts (over HTTP, at issue and at logout).
 * This file adds what those do not: random values over HTTP through the real `res` path, and a body copy of
 * `return_to` (case 45).
 */
import fc from "fast-check";
import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { credentials, exampleHarness, kratosLogoutToken, type Harness } from "../helpers/example.js";

let h: Harness;

beforeAll(() => {
  h = exampleHarness({ publicUrl: "https://auth.example.com" });
});

/** Where a browser may land: the app's own origin, or https://app.example.com (the example's allow-list). */
function allowedLocation(location: string): boolean {
  if (location.startsWith("/") && !location.startsWith("//") && !location.includes("\\")) return true;
  const url = new URL(location);
  return (url.origin === "https://auth.example.com" || url.origin === "https://app.example.com") && url.username === "" && url.password === "";
}

const suspicious = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc
    .tuple(
      fc.constantFrom("", "/", "//", "\\", "/\\", "https://", "http://", "javascript:", " ", "\t", "%2F", "%5C", "/./", "/../"),
      fc.constantFrom("app.example.com", "evil.example", "app.example.com.evil.example", "app.example.com@evil.example", "APP.EXAMPLE.COM", "auth.example.com:8443"),
      fc.constantFrom("", "/", "/x", "/%2e%2e/", "#@app.example.com", "?next=//evil", "/\u0000", "/\u00e9"),
    )
    .map(([a, b, c]) => a + b + c),
);

describe("D36–D48 (property): whatever return_to a browser sends, the logout redirects to that exact allowed string or refuses and keeps the session", () => {
  it("holds for random values at logout", async () => {
    await fc.assert(
      fc.asyncProperty(suspicious, async (value) => {
        const caller = await h.login("alice");
        const token = await kratosLogoutToken(h.app, caller.token);
        const res = await request(h.app).get("/self-service/logout").query({ token, return_to: value }).set(credentials.kratosCookie(caller.token));
        expect(res.status).toBeLessThan(500);
        if (res.status === 303) {
          const location = res.headers.location as string;
          // An empty return_to means "the default", which is "/".
          expect(location).toBe(value === "" ? "/" : value);
          expect(allowedLocation(location)).toBe(true);
          expect(await h.base.getSession(caller.session.id)).toBeUndefined();
        } else {
          expect(res.status).toBe(400);
          expect(res.headers.location).toBeUndefined();
          expect(await h.base.getSession(caller.session.id)).toEqual(caller.session);
        }
      }),
      { seed: 20_240_914, numRuns: 150 },
    );
  });

  it("holds for random values when the logout URL is made: a refused value issues no URL", async () => {
    const caller = await h.login("alice");
    await fc.assert(
      fc.asyncProperty(suspicious, async (value) => {
        const res = await request(h.app).get("/self-service/logout/browser").query({ return_to: value }).set(credentials.kratosCookie(caller.token));
        expect([200, 400]).toContain(res.status);
        if (res.status === 200) {
          const url = new URL((res.body as { logout_url: string }).logout_url);
          const carried = url.searchParams.get("return_to");
          if (value !== "") expect(carried).toBe(value);
          if (carried !== null) expect(allowedLocation(carried)).toBe(true);
        } else {
          expect(res.text).not.toContain("logout_token");
        }
      }),
      { seed: 20_240_915, numRuns: 150 },
    );
    expect(await h.base.getSession(caller.session.id)).toEqual(caller.session);
  });
});

describe("D45: return_to sent twice", () => {
  it("twice in the query is a 400 and the session lives", async () => {
    const caller = await h.login("alice");
    const token = await kratosLogoutToken(h.app, caller.token);
    const res = await request(h.app)
      .get(`/self-service/logout?token=${token}&return_to=%2Fa&return_to=https%3A%2F%2Fevil.example%2F`)
      .set(credentials.kratosCookie(caller.token));
    expect(res.status).toBe(400);
    expect(await h.base.getSession(caller.session.id)).toEqual(caller.session);
  });

  it("a copy in a request body is never read: only the query's return_to decides", async () => {
    const caller = await h.login("alice");
    const token = await kratosLogoutToken(h.app, caller.token);
    const res = await request(h.app)
      .get(`/self-service/logout?token=${token}&return_to=%2Fdashboard`)
      .set({ ...credentials.kratosCookie(caller.token), "Content-Type": "application/x-www-form-urlencoded" })
      .send("return_to=https%3A%2F%2Fevil.example%2F");
    expect([res.status, res.headers.location]).toEqual([303, "/dashboard"]);
  });
});
