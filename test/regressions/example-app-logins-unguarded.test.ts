/**
 * The example app, which people copy, did not guard its own routes the way the library guards its own: with a
 * frozen store, the logins and `GET /` hung for as long as the store did while every library route answered 503
 * in about 2 s; the Endor, API-key, SOAJS and Rocket.Chat login answers carried tokens without
 * `Cache-Control: no-store`; the Kratos form login took a cross-site POST (login CSRF: a page of another site
 * signs the victim in as the attacker); and no login was rate-limited. Now the logins and the page run their
 * store calls under the library's deadline (`withDeadline`), every login answer is `no-store`, the form login
 * refuses a request another site made, and failed logins are limited per address and username.
 */
import request from "supertest";
import { describe, expect, it } from "vitest";
import { brokenStore } from "../helpers/store.js";
import { TENANT_KEY, demo, exampleHarness } from "../helpers/example.js";

const json = { "Content-Type": "application/json" };
const logins = [
  ["Endor", "/v1/auth/login", {}, { username: "alice", password: demo.alicePassword }],
  ["Endor API key", "/v1/auth/api-key", {}, { key: demo.apiKey, secret: demo.apiSecret }],
  ["SOAJS", "/urac/login", { key: TENANT_KEY }, { username: "alice", password: demo.alicePassword }],
  ["Rocket.Chat", "/api/v1/login", {}, { user: "alice", password: demo.alicePassword }],
  ["Kratos", "/self-service/login", {}, { username: "alice", password: demo.alicePassword }],
] as const;

describe("the example app's own routes", () => {
  it("answers every login and GET / with a 503 and Retry-After within the deadline when the store hangs", async () => {
    const h = exampleHarness({ wrap: (base) => brokenStore("hang", base) });
    const { token } = await h.login("alice");
    const started = Date.now();
    const answers = await Promise.all([
      ...logins.map(([, path, headers, body]) => request(h.app).post(path).set({ ...json, ...headers }).send(body).timeout(6_000)),
      request(h.app).get("/").set("Cookie", `ory_kratos_session=${token}`).timeout(6_000),
    ]);
    const elapsed = Date.now() - started;
    expect(answers.map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 503]);
    for (const res of answers) expect(res.headers["retry-after"]).toBe("5");
    expect(elapsed).toBeLessThan(5_000);
    expect(h.events.filter((e) => e.name === "store.error").length).toBeGreaterThanOrEqual(6);
    h.base.close();
  });

  it.each(logins)("answers the %s login, which carries a token, with Cache-Control: no-store", async (_name, path, headers, body) => {
    const h = exampleHarness();
    const res = await request(h.app).post(path).set({ ...json, ...headers }).send(body);
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    h.base.close();
  });

  it.each([
    ["a cross-site page", { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.example" }],
    ["a sibling subdomain", { "Sec-Fetch-Site": "same-site", Origin: "http://evil.127.0.0.1:3000" }],
    ["another origin, no Fetch Metadata", { Origin: "https://evil.example" }],
  ])("refuses the Kratos form login posted by %s (login CSRF): 403, no session opened", async (_name, headers) => {
    const h = exampleHarness();
    h.base.reset();
    const res = await request(h.app).post("/self-service/login").type("form").set(headers).send({ username: "alice", password: demo.alicePassword });
    expect(res.status).toBe(403);
    expect((res.body as { error: { id: string } }).error.id).toBe("security_csrf_violation");
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(h.base.mutations).toEqual([]);
    h.base.close();
  });

  it("still takes the form login from the app's own page and from a client that sends no Fetch Metadata", async () => {
    const h = exampleHarness();
    const own = await request(h.app).post("/self-service/login").type("form").set({ "Sec-Fetch-Site": "same-origin", Origin: "http://127.0.0.1:3000", Host: "127.0.0.1:3000" }).send({ username: "alice", password: demo.alicePassword });
    expect(own.status).toBe(303);
    const curl = await request(h.app).post("/self-service/login").type("form").send({ username: "alice", password: demo.alicePassword });
    expect(curl.status).toBe(303);
    h.base.close();
  });

  it("limits failed logins per address and username with 429 and Retry-After; right passwords are not counted", async () => {
    const h = exampleHarness();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await request(h.app).post("/v1/auth/login").set(json).send({ username: "alice", password: "wrong" })).status);
    expect(statuses.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => 401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    const limited = await request(h.app).post("/v1/auth/login").set(json).send({ username: "alice", password: demo.alicePassword });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    // Another username from the same address is its own count; successful logins never use one up.
    for (let i = 0; i < 15; i++) expect((await request(h.app).post("/api/v1/login").set(json).send({ user: "admin", password: demo.adminPassword })).status).toBe(200);
    h.base.close();
  });
});
