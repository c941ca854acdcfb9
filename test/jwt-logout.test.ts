import { randomUUID } from "node:crypto";
import cookieParser from "cookie-parser";
import jsonwebtoken from "jsonwebtoken";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  LogoutEvents,
  bearerToken,
  createLogoutHandler,
  credentialsWithJwt,
  getJwtClaims,
  issueJwt,
  issueSession,
  jwtBearer,
  requireSession,
  shapes,
  whoAmI,
  type JwtCredentialSource,
  type CompleteSessionStore,
  type Shape,
} from "../src/index.js";
import { jwtDenyKey } from "../src/credentials/jwt/index.js";
import { expressVersions, type ExpressFactory } from "./helpers/express.js";
import { hmacJws, hmacSecret, keyPairs, malleateEs256 } from "./helpers/jwt.js";
import { RecordingStore, brokenStore } from "./helpers/store.js";
import { storeFactories } from "./helpers/store-factories.js";

const ISSUER = "https://issuer.test";
const AUDIENCE = "api.test";
const secret = hmacSecret();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function mountApp(express: ExpressFactory, store: CompleteSessionStore, jwt: JwtCredentialSource, shape: Shape = shapes.problem) {
  const app = express();
  app.use(cookieParser());
  const common = { store, shape, credentials: credentialsWithJwt(shape, jwt) };
  app.get("/me", requireSession(common), (req, res) => {
    res.json({ sub: getJwtClaims(req)?.sub ?? null });
  });
  app.post("/logout", createLogoutHandler(common));
  app.post("/logout/all", createLogoutHandler({ ...common, target: "all" }));
  app.post("/logout/others", createLogoutHandler({ ...common, target: "others" }));
  return app;
}

const hsVerifier = (extra: { clockToleranceSeconds?: number; fallThrough?: boolean } = {}) =>
  jwtBearer({ algorithms: ["HS256"], secret, issuer: ISSUER, audience: AUDIENCE, ...extra });
const issue = (sub: string, expiresIn: number | string = "10m", wholeSecondIat = false) =>
  issueJwt({ sub }, { algorithm: "HS256", secret, expiresIn, issuer: ISSUER, audience: AUDIENCE, wholeSecondIat });
const bearer = (token: string) => `Bearer ${token}`;

describe.each(storeFactories)("JWT logout on $name", (factory) => {
  describe.each(expressVersions)("$name", ({ express }) => {
    let store: CompleteSessionStore;
    beforeEach(async () => {
      store = await factory.create();
    });
    afterEach(async () => {
      await factory.close(store);
    });

    it("refuses the logged-out JWT at once in requireSession, and keeps the user's other tokens working", async () => {
      const app = mountApp(express, store, hsVerifier());
      const alice = `alice-${randomUUID()}`;
      const laptop = issue(alice).token;
      const phone = issue(alice).token;
      expect((await request(app).get("/me").set("Authorization", bearer(laptop))).body).toEqual({ sub: alice });

      const out = await request(app).post("/logout").set("Authorization", bearer(laptop));
      expect(out.status).toBe(200);
      expect(out.body).toEqual({ ended: 1, sessionId: jsonwebtoken.decode(laptop, { json: true })?.jti });
      expect(out.headers["cache-control"]).toBe("no-store");

      expect((await request(app).get("/me").set("Authorization", bearer(laptop))).status).toBe(401);
      expect((await request(app).get("/me").set("Authorization", bearer(phone))).status).toBe(200);
      // A second logout with the ended token is a refusal, not a second success.
      expect((await request(app).post("/logout").set("Authorization", bearer(laptop))).status).toBe(401);
    });

    it("answers exactly one of many concurrent logouts of the same token with success", async () => {
      const events = new LogoutEvents();
      const ended: string[] = [];
      events.on("session.ended", (event) => ended.push(event.sessionId));
      const app = express();
      app.post("/logout", createLogoutHandler({ store, events, credentials: credentialsWithJwt(shapes.problem, hsVerifier()) }));
      const { token, claims } = issue(`alice-${randomUUID()}`);
      const answers = await Promise.all(Array.from({ length: 8 }, () => request(app).post("/logout").set("Authorization", bearer(token))));
      expect(answers.map((res) => res.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
      expect(ended).toEqual([claims.jti]);
    });

    it("reports ended to exactly one of two logouts that both resolved the token before either ended it", async () => {
      const jwt = hsVerifier();
      const { token } = issue(`alice-${randomUUID()}`);
      const read = () => {
        const credential = jwt.read({ headers: { authorization: bearer(token) } } as never);
        if (credential?.kind !== "resolved") throw new Error("expected a JWT credential");
        return credential.resolve(store);
      };
      const [first, second] = await Promise.all([read(), read()]);
      if (first === undefined || second === undefined) throw new Error("both must resolve before the logout");
      const results = await Promise.all([first.end(store), second.end(store)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await read()).toBeUndefined();
    });

    it("refuses a copy of the logged-out token signed again with the same jti: the deny-list is by jti, not by bytes", async () => {
      const app = mountApp(express, store, hsVerifier());
      const { token, claims } = issue(`alice-${randomUUID()}`);
      // The same claims in another order, under another header: different bytes, same token identity.
      const { sub, exp, jti, iat, iss, aud } = claims;
      const copy = jsonwebtoken.sign({ exp, aud, jti, iss, iat, sub }, secret, { algorithm: "HS256", header: { alg: "HS256", kid: "again" } });
      expect(copy).not.toBe(token);
      expect((await request(app).get("/me").set("Authorization", bearer(copy))).status).toBe(200);

      expect((await request(app).post("/logout").set("Authorization", bearer(token))).status).toBe(200);
      expect((await request(app).get("/me").set("Authorization", bearer(copy))).status).toBe(401);
      expect((await request(app).get("/me").set("Authorization", bearer(token))).status).toBe(401);
    });

    it("refuses an ECDSA-malleated copy of the logged-out token (same claims, other signature bytes)", async () => {
      const { ec } = keyPairs();
      const jwt = jwtBearer({ algorithms: ["ES256"], publicKey: ec.publicKey, issuer: ISSUER });
      const app = mountApp(express, store, jwt);
      const { token } = issueJwt({ sub: `alice-${randomUUID()}` }, { algorithm: "ES256", privateKey: ec.privateKey, expiresIn: "10m", issuer: ISSUER });
      const malleated = malleateEs256(token);
      expect(malleated).not.toBe(token);
      expect(() => jsonwebtoken.verify(malleated, ec.publicKey, { algorithms: ["ES256"] })).not.toThrow();
      expect((await request(app).get("/me").set("Authorization", bearer(malleated))).status).toBe(200);

      expect((await request(app).post("/logout").set("Authorization", bearer(token))).status).toBe(200);
      expect((await request(app).get("/me").set("Authorization", bearer(malleated))).status).toBe(401);
    });

    it("namespaces the deny-list by issuer: another issuer's token with the same sub and jti keeps working", async () => {
      const jwt = jwtBearer({ algorithms: ["HS256"], secret, issuer: ["https://a.test", "https://b.test"] });
      const app = mountApp(express, store, jwt);
      const now = Math.floor(Date.now() / 1000);
      const shared = { sub: `alice-${randomUUID()}`, jti: randomUUID(), iat: now, exp: now + 600 };
      const fromA = hmacJws("HS256", secret, {}, { ...shared, iss: "https://a.test" });
      const fromB = hmacJws("HS256", secret, {}, { ...shared, iss: "https://b.test" });
      expect((await request(app).post("/logout").set("Authorization", bearer(fromA))).status).toBe(200);
      expect((await request(app).get("/me").set("Authorization", bearer(fromA))).status).toBe(401);
      expect((await request(app).get("/me").set("Authorization", bearer(fromB))).status).toBe(200);
    });

    it("ends every older token of the user with logout everywhere, leaves other users alone, and accepts tokens issued after", async () => {
      const app = mountApp(express, store, hsVerifier());
      const alice = `alice-${randomUUID()}`;
      const bob = `bob-${randomUUID()}`;
      const laptop = issue(alice).token;
      const phone = issue(alice).token;
      const bobs = issue(bob).token;

      const out = await request(app).post("/logout/all").set("Authorization", bearer(laptop));
      expect(out.status).toBe(200);
      expect(out.body.ended).toBeGreaterThanOrEqual(1);

      expect((await request(app).get("/me").set("Authorization", bearer(laptop))).status).toBe(401);
      expect((await request(app).get("/me").set("Authorization", bearer(phone))).status).toBe(401);
      expect((await request(app).get("/me").set("Authorization", bearer(bobs))).status).toBe(200);
      // Tokens issued in the millisecond of the logout count as older; the round trip alone takes longer, but
      // do not lean on it.
      await sleep(2);
      const fresh = issue(alice).token;
      expect((await request(app).get("/me").set("Authorization", bearer(fresh))).status).toBe(200);
    });

    it("ends the user's other tokens with logout of the other devices and keeps the caller's, until a later logout everywhere", async () => {
      const app = mountApp(express, store, hsVerifier());
      const alice = `alice-${randomUUID()}`;
      const [mine, other, third] = [issue(alice).token, issue(alice).token, issue(alice).token];

      expect((await request(app).post("/logout/others").set("Authorization", bearer(mine))).status).toBe(200);
      expect((await request(app).get("/me").set("Authorization", bearer(mine))).status).toBe(200);
      expect((await request(app).get("/me").set("Authorization", bearer(other))).status).toBe(401);
      expect((await request(app).get("/me").set("Authorization", bearer(third))).status).toBe(401);

      await sleep(2);
      const later = issue(alice).token;
      expect((await request(app).get("/me").set("Authorization", bearer(later))).status).toBe(200);
      // A logout everywhere from the newer token moves the cut-off: the kept token is not kept any more.
      await sleep(2);
      expect((await request(app).post("/logout/all").set("Authorization", bearer(later))).status).toBe(200);
      expect((await request(app).get("/me").set("Authorization", bearer(mine))).status).toBe(401);
      expect((await request(app).get("/me").set("Authorization", bearer(later))).status).toBe(401);
    });

    it("still ends the kept token by its own logout after a logout of the other devices", async () => {
      const app = mountApp(express, store, hsVerifier());
      const mine = issue(`alice-${randomUUID()}`).token;
      expect((await request(app).post("/logout/others").set("Authorization", bearer(mine))).status).toBe(200);
      expect((await request(app).post("/logout").set("Authorization", bearer(mine))).status).toBe(200);
      expect((await request(app).get("/me").set("Authorization", bearer(mine))).status).toBe(401);
    });

    it("ends the user's stored sessions as well when a JWT caller logs out everywhere", async () => {
      const app = mountApp(express, store, hsVerifier({ fallThrough: true }));
      const alice = `alice-${randomUUID()}`;
      const opaque = await issueSession(store, { userId: alice });
      const jwt = issue(alice).token;
      expect((await request(app).get("/me").set("Authorization", bearer(opaque.token))).body).toEqual({ sub: null });

      expect((await request(app).post("/logout/all").set("Authorization", bearer(jwt))).body).toEqual({ ended: 2 });
      expect((await request(app).get("/me").set("Authorization", bearer(opaque.token))).status).toBe(401);
      expect((await request(app).get("/me").set("Authorization", bearer(jwt))).status).toBe(401);
    });

    it("forgets a deny-list entry once its token has expired (the entry lives until exp plus the clock tolerance)", async () => {
      const jwt = hsVerifier({ clockToleranceSeconds: 0 });
      const app = mountApp(express, store, jwt);
      const { token, claims } = issue(`alice-${randomUUID()}`, 2);
      expect((await request(app).post("/logout").set("Authorization", bearer(token))).status).toBe(200);
      expect(await store.jwtRevocation(claims.sub, jwtDenyKey(claims))).toEqual({ denied: true, issuedBefore: undefined });
      await sleep(Math.max(0, claims.exp * 1000 - Date.now()) + 100);
      expect(await store.jwtRevocation(claims.sub, jwtDenyKey(claims))).toEqual({ denied: false, issuedBefore: undefined });
    });

    it("revokes programmatically: revoke(token) denies one token, revokeUser(sub) sets the cut-off", async () => {
      const jwt = hsVerifier();
      const app = mountApp(express, store, jwt);
      const alice = `alice-${randomUUID()}`;
      const first = issue(alice).token;
      const second = issue(alice).token;
      expect(await jwt.revoke(store, first)).toBe(true);
      expect((await request(app).get("/me").set("Authorization", bearer(first))).status).toBe(401);
      expect((await request(app).get("/me").set("Authorization", bearer(second))).status).toBe(200);
      await jwt.revokeUser(store, alice);
      expect((await request(app).get("/me").set("Authorization", bearer(second))).status).toBe(401);
    });
  });
});

describe.each(storeFactories.filter((f) => f.followsFakeTimers))("JWT revocation in time on $name", (factory) => {
  let store: CompleteSessionStore;
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    store = await factory.create();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await factory.close(store);
  });
  const express = expressVersions[0].express;

  it("keeps refusing a logged-out token while the clock tolerance would still accept it after exp", async () => {
    const app = mountApp(express, store, hsVerifier({ clockToleranceSeconds: 5 }));
    vi.setSystemTime(1_800_000_000_000);
    const alice = `alice-${randomUUID()}`;
    const ended = issue(alice, 60);
    const kept = issue(alice, 60).token;
    expect((await request(app).post("/logout").set("Authorization", bearer(ended.token))).status).toBe(200);

    vi.setSystemTime(ended.claims.exp * 1000 + 3_000);
    // Three seconds past exp: the tolerance still accepts a token...
    expect((await request(app).get("/me").set("Authorization", bearer(kept))).status).toBe(200);
    // ...so the deny-list entry must still be there.
    expect((await request(app).get("/me").set("Authorization", bearer(ended.token))).status).toBe(401);
    expect((await store.jwtRevocation(alice, jwtDenyKey(ended.claims))).denied).toBe(true);

    vi.setSystemTime(ended.claims.exp * 1000 + 5_001);
    expect((await store.jwtRevocation(alice, jwtDenyKey(ended.claims))).denied).toBe(false);
  });

  it("keeps the logout-everywhere cut-off until the longest token it ends has expired, then forgets it", async () => {
    const app = mountApp(express, store, hsVerifier({ clockToleranceSeconds: 5 }));
    const start = 1_800_000_000_000;
    vi.setSystemTime(start);
    const alice = `alice-${randomUUID()}`;
    const longest = issue(alice, "24h");
    const caller = issue(alice, 60).token;
    vi.setSystemTime(start + 1_000);
    expect((await request(app).post("/logout/all").set("Authorization", bearer(caller))).status).toBe(200);

    // Just before the longest possible token ends (exp + tolerance), it is still refused by the cut-off.
    vi.setSystemTime(longest.claims.exp * 1000 + 4_000);
    expect((await request(app).get("/me").set("Authorization", bearer(longest.token))).status).toBe(401);
    expect((await store.jwtRevocation(alice, "any")).issuedBefore).toBe(start + 1_001);
    // Once every token issued before the cut-off has expired, the cut-off goes too.
    vi.setSystemTime(start + 1_001 + 24 * 3600 * 1000 + 5_000);
    expect((await store.jwtRevocation(alice, "any")).issuedBefore).toBeUndefined();
  });

  it("orders tokens and a logout everywhere to the millisecond, and whole-second iat tokens from the next second", async () => {
    const app = mountApp(express, store, hsVerifier());
    const second = 1_800_000_000_000;
    const alice = `alice-${randomUUID()}`;
    vi.setSystemTime(second + 300);
    const caller = issue(alice).token;
    const beforeMs = issue(alice).token;
    const beforeWhole = issue(alice, "10m", true).token;

    vi.setSystemTime(second + 400);
    const sameMs = issue(alice).token;
    expect((await request(app).post("/logout/all").set("Authorization", bearer(caller))).status).toBe(200);

    vi.setSystemTime(second + 500);
    const afterMs = issue(alice);
    const afterWhole = issue(alice, "10m", true);
    expect(afterMs.claims.iat).toBe(1_800_000_000.5);
    expect(afterWhole.claims.iat).toBe(1_800_000_000);
    const status = async (token: string) => (await request(app).get("/me").set("Authorization", bearer(token))).status;
    expect(await status(beforeMs)).toBe(401);
    expect(await status(beforeWhole)).toBe(401);
    expect(await status(afterMs.token)).toBe(200);
    // Issued in the very millisecond of the logout: counted as before it.
    expect(await status(sameMs)).toBe(401);
    // Whole-second iat cannot say it came after the logout within the same second: refused, on purpose.
    expect(await status(afterWhole.token)).toBe(401);

    vi.setSystemTime(second + 1_000);
    expect(await status(issue(alice, "10m", true).token)).toBe(200);
  });
});

describe.each(expressVersions)("JWT through the shapes on $name", ({ express }) => {
  it("logs a JWT out through shapes.endor (GET /v1/auth/:authentication_source/logout) and answers 401 code 16 after", async () => {
    const store = new RecordingStore();
    const jwt = hsVerifier();
    const common = { store, shape: shapes.endor, credentials: credentialsWithJwt(shapes.endor, jwt) };
    const app = express();
    app.get("/v1/auth", whoAmI(common));
    app.get("/v1/auth/:authentication_source/logout", createLogoutHandler(common));
    app.get("/v1/projects", requireSession(common), (_req, res) => { res.json({ list: [] }); });
    const alice = `alice-${randomUUID()}`;
    const { token } = issue(alice);

    expect((await request(app).get("/v1/projects").set("Authorization", bearer(token))).status).toBe(200);
    const out = await request(app).get("/v1/auth/login/logout").set("Authorization", bearer(token));
    expect(out.status).toBe(200);
    expect(out.body).toMatchObject({ authentication_source: "login", token: "", user: { uuid: alice, spec: { token_hash: "" } } });

    const unauthenticated = {
      code: 16,
      message: "Invalid authorization header: Bearer",
      details: [{ "@type": "type.googleapis.com/internal.endor.ai.rpc.v1.HTTPErrorInfo", status_code: 401 }],
    };
    for (const path of ["/v1/auth", "/v1/projects", "/v1/auth/login/logout"]) {
      const res = await request(app).get(path).set("Authorization", bearer(token));
      expect(res.status, path).toBe(401);
      expect(res.body).toEqual(unauthenticated);
    }
    store.reset();
    const forged = await request(app).get("/v1/auth/login/logout").set("Authorization", bearer(hmacJws("HS256", hmacSecret(), {}, { sub: alice })));
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual(unauthenticated);
    expect(store.calls).toEqual([]);
    // The shape's API-key source is still there for the api-key path.
    const apiKey = await request(app).get("/v1/auth/api-key/logout");
    expect(apiKey.status).toBe(400);
    expect(apiKey.body.code).toBe(3);
    store.close();
  });

  it("answers problem+json through shapes.problem, and 503 (never a pass) when the store is down", async () => {
    const down = brokenStore("throw");
    const events = new LogoutEvents();
    const errors: string[] = [];
    events.on("store.error", (event) => errors.push(event.operation));
    const app = express();
    const common = { store: down, events, credentials: credentialsWithJwt(shapes.problem, hsVerifier()) };
    app.get("/me", requireSession(common), (_req, res) => { res.json({ ok: true }); });
    app.post("/logout", createLogoutHandler(common));
    const { token } = issue(`alice-${randomUUID()}`);

    for (const res of [await request(app).get("/me").set("Authorization", bearer(token)), await request(app).post("/logout").set("Authorization", bearer(token))]) {
      expect(res.status).toBe(503);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(res.headers["retry-after"]).toBe("5");
      expect(res.body).toMatchObject({ type: "https://express-logout.dev/errors/store-unavailable", code: "store-unavailable" });
    }
    expect(errors.length).toBe(2);
    // A token that does not verify never reaches the store: 401 even while it is down.
    const forged = await request(app).get("/me").set("Authorization", bearer(hmacJws("HS256", hmacSecret(), {}, { sub: "alice" })));
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ type: "https://express-logout.dev/errors/unauthenticated", status: 401 });
    expect(errors.length).toBe(2);
  });

  it("reads a JWT from a cookie when told to, and logout ends it", async () => {
    const store = new RecordingStore();
    const jwt = jwtBearer({ algorithms: ["HS256"], secret, issuer: ISSUER, from: { cookie: "access_token" } });
    const app = mountApp(express, store, jwt);
    const { token } = issue(`alice-${randomUUID()}`);
    const cookie = `access_token=${token}`;
    expect((await request(app).get("/me").set("Cookie", cookie)).status).toBe(200);
    expect((await request(app).post("/logout").set("Cookie", cookie)).status).toBe(200);
    expect((await request(app).get("/me").set("Cookie", cookie)).status).toBe(401);
    store.close();
  });

  it("leaves an opaque bearer token to the next source with fallThrough, and refuses it without", async () => {
    const store = new RecordingStore();
    const { token } = await issueSession(store, { userId: "alice" });
    const passing = mountApp(express, store, hsVerifier({ fallThrough: true }));
    const strict = express();
    strict.get("/me", requireSession({ store, credentials: [hsVerifier(), bearerToken()] }), (_req, res) => { res.json({}); });
    expect((await request(passing).get("/me").set("Authorization", bearer(token))).status).toBe(200);
    expect((await request(strict).get("/me").set("Authorization", bearer(token))).status).toBe(401);
    store.close();
  });
});
