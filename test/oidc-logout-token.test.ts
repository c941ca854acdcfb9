import { createServer, type Server } from "node:http";
import express from "express";
import { exportSPKI, importJWK, SignJWT, type JWK, type KeyObject } from "jose";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateSigningKey, startDevProvider, type DevProvider } from "./helpers/oidc-provider.js";
import { LogoutEvents, backchannelLogout, issueSession, type LogoutEventMap } from "../src/index.js";
import { BACKCHANNEL_EVENT, CLIENT_ID, logoutClaims, signLogoutToken } from "./helpers/oidc.js";
import { RecordingStore } from "./helpers/store.js";

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const publicJwk = ({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest }: JWK): JWK => rest;

let op: DevProvider;
let signingKey: JWK;
let strangerKey: JWK;

beforeAll(async () => {
  op = await startDevProvider({ port: 0, clients: [] });
  signingKey = op.signingKeys[0]!;
  strangerKey = await generateSigningKey("not-the-providers");
});
afterAll(async () => {
  await op.close();
});

describe("backchannelLogout refuses every invalid logout token with 400 and ends nothing", () => {
  let store: RecordingStore;
  let app: express.Express;
  const refused: LogoutEventMap["backchannel.refused"][] = [];
  const ended: LogoutEventMap["backchannel.logout"][] = [];

  beforeEach(async () => {
    store = new RecordingStore();
    const events = new LogoutEvents();
    events.on("backchannel.refused", (e) => refused.push(e));
    events.on("backchannel.logout", (e) => ended.push(e));
    refused.length = 0;
    ended.length = 0;
    app = express();
    app.post("/bcl", backchannelLogout({ store, issuer: op.issuer, audience: CLIENT_ID, keys: `${op.issuer}/jwks`, events }));
    // The session every token below aims at: alice's, from provider session "sid-1".
    await issueSession(store, { userId: "alice", providerSession: { issuer: op.issuer, subject: "alice", sid: "sid-1" } });
    store.reset();
  });

  const target = { sub: "alice", sid: "sid-1" };
  const send = (token: string) => request(app).post("/bcl").type("form").send({ logout_token: token });

  async function expectRefused(token: string, reason: string, description: RegExp): Promise<void> {
    const res = await send(token);
    expect(res.status).toBe(400);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body).toEqual({ error: "invalid_request", error_description: expect.stringMatching(description) });
    expect(refused.map((e) => e.reason)).toEqual([reason]);
    expect(ended).toEqual([]);
    expect(store.mutations).toEqual([]);
    expect((await store.listSessions("alice")).length).toBe(1);
  }

  it("accepts the valid token these cases start from: 200, no-store, alice's session ended", async () => {
    const res = await send(await signLogoutToken(signingKey, logoutClaims(op.issuer, target)));
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.text).toBe("");
    expect(await store.listSessions("alice")).toEqual([]);
    expect(ended).toEqual([expect.objectContaining({ subject: "alice", sid: "sid-1", count: 1 })]);
  });

  it('a typ other than "logout+jwt" (an ID token, say)', async () => {
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, target), { typ: "JWT" }), "typ", /typ/);
  });

  it("a token without typ", async () => {
    const key = await importJWK(signingKey, "RS256");
    const token = await new SignJWT(logoutClaims(op.issuer, target)).setProtectedHeader({ alg: "RS256", kid: signingKey.kid! }).sign(key);
    await expectRefused(token, "typ", /typ/);
  });

  it("no events claim", async () => {
    const { events: _events, ...claims } = logoutClaims(op.issuer, target);
    await expectRefused(await signLogoutToken(signingKey, claims), "events", /events/);
  });

  it("an events claim without the back-channel logout member, or with a member that is not an object", async () => {
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, { ...target, events: { "http://schemas.openid.net/event/other": {} } })), "events", /events/);
    refused.length = 0;
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, { ...target, events: { [BACKCHANNEL_EVENT]: "yes" } })), "events", /events/);
  });

  it("a nonce (a logout token must never pass for an ID token)", async () => {
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, { ...target, nonce: "n-0S6_WzA2Mj" })), "nonce", /nonce/);
  });

  it("another audience", async () => {
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, { ...target, aud: "another-client" })), "aud", /aud/);
  });

  it("another issuer, even signed with the provider's key", async () => {
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, { ...target, iss: `${op.issuer}/evil` })), "iss", /iss/);
  });

  it("an expired token", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, { ...target, iat: now - 400, exp: now - 200 })), "exp", /expired/);
  });

  it("an iat in the future beyond the allowed skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, { ...target, iat: now + 600, exp: now + 720 })), "iat", /future/);
  });

  it("an iat older than the maximum age, even with an exp still ahead", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, { ...target, iat: now - 3600, exp: now + 120 })), "iat", /too long ago/);
  });

  it("no iat, no exp or no jti", async () => {
    for (const [claim, reason] of [["iat", "iat"], ["exp", "exp"], ["jti", "jti"]] as const) {
      const claims = Object.fromEntries(Object.entries(logoutClaims(op.issuer, target)).filter(([name]) => name !== claim));
      refused.length = 0;
      await expectRefused(await signLogoutToken(signingKey, claims), reason, new RegExp(claim));
    }
  });

  it("alg none", async () => {
    const token = `${b64({ alg: "none", typ: "logout+jwt" })}.${b64(logoutClaims(op.issuer, target))}.`;
    await expectRefused(token, "alg", /algorithm/);
  });

  it("HS256 with the provider's public key as the HMAC secret", async () => {
    const publicKey = (await importJWK(publicJwk(signingKey), "RS256")) as KeyObject;
    for (const secret of [new TextEncoder().encode(await exportSPKI(publicKey)), new TextEncoder().encode(JSON.stringify(publicJwk(signingKey)))]) {
      const token = await new SignJWT(logoutClaims(op.issuer, target)).setProtectedHeader({ alg: "HS256", typ: "logout+jwt", kid: signingKey.kid! }).sign(secret);
      refused.length = 0;
      await expectRefused(token, "alg", /algorithm/);
    }
  });

  it("a key the provider's JWKS does not hold (an unknown kid), the JWKS unchanged", async () => {
    await expectRefused(await signLogoutToken(strangerKey, logoutClaims(op.issuer, target)), "kid", /no key/);
  });

  it("the provider's kid on a token signed with another key", async () => {
    await expectRefused(await signLogoutToken({ ...strangerKey, kid: signingKey.kid! }, logoutClaims(op.issuer, target)), "signature", /signature/);
  });

  it("a tampered payload", async () => {
    const [header, , signature] = (await signLogoutToken(signingKey, logoutClaims(op.issuer, { sub: "alice", sid: "sid-2" }))).split(".");
    await expectRefused(`${header}.${b64(logoutClaims(op.issuer, target))}.${signature}`, "signature", /signature/);
  });

  it("neither sub nor sid", async () => {
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer)), "sub-or-sid", /neither sub nor sid/);
  });

  it("a sid or sub that is not a non-empty string", async () => {
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, { sub: "alice", sid: 42 })), "sid", /sid/);
    refused.length = 0;
    await expectRefused(await signLogoutToken(signingKey, logoutClaims(op.issuer, { sub: "", sid: "sid-1" })), "sub", /sub/);
  });

  it("a request that is not a form POST with exactly one logout_token", async () => {
    const token = await signLogoutToken(signingKey, logoutClaims(op.issuer, target));
    const cases = [
      request(app).post("/bcl").type("json").send({ logout_token: token }),
      request(app).post("/bcl").type("form").send(""),
      request(app).post("/bcl").type("form").send(`logout_token=${token}&logout_token=${token}`),
      request(app).post("/bcl").type("form").send("logout_token="),
      request(app).post("/bcl").type("form").send("x".repeat(40_000)),
    ];
    for (const pending of cases) {
      const res = await pending;
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("invalid_request");
    }
    expect(refused.map((e) => e.reason)).toEqual(["request", "request", "request", "request", "request"]);
    expect(store.mutations).toEqual([]);
    expect((await store.listSessions("alice")).length).toBe(1);
  });

  it("garbage that is not a JWT at all", async () => {
    await expectRefused("not.a.jwt", "malformed", /not a valid signed JWT/);
  });
});

describe("backchannelLogout with allowJwtTyp, for providers that type logout tokens JWT", () => {
  it("accepts typ JWT and no typ, still refuses another typ, a nonce and a token without the event", async () => {
    const store = new RecordingStore();
    const app = express().post("/bcl", backchannelLogout({ store, issuer: op.issuer, audience: CLIENT_ID, keys: `${op.issuer}/jwks`, allowJwtTyp: true }));
    const send = async (token: string) => (await request(app).post("/bcl").type("form").send({ logout_token: token })).status;
    const key = await importJWK(signingKey, "RS256");
    expect(await send(await signLogoutToken(signingKey, logoutClaims(op.issuer, { sub: "alice" }), { typ: "JWT" }))).toBe(200);
    expect(await send(await new SignJWT(logoutClaims(op.issuer, { sub: "alice" })).setProtectedHeader({ alg: "RS256", kid: signingKey.kid! }).sign(key))).toBe(200);
    expect(await send(await signLogoutToken(signingKey, logoutClaims(op.issuer, { sub: "alice" }), { typ: "at+jwt" }))).toBe(400);
    expect(await send(await signLogoutToken(signingKey, logoutClaims(op.issuer, { sub: "alice", nonce: "n" }), { typ: "JWT" }))).toBe(400);
    const { events: _events, ...idTokenLike } = logoutClaims(op.issuer, { sub: "alice" });
    expect(await send(await signLogoutToken(signingKey, idTokenLike, { typ: "JWT" }))).toBe(400);
  });
});

describe("backchannelLogout refuses a replayed jti", () => {
  it("once a token was accepted, the same token is refused with 400 and ends the session opened since", async () => {
    const store = new RecordingStore();
    const app = express().post("/bcl", backchannelLogout({ store, issuer: op.issuer, audience: CLIENT_ID, keys: `${op.issuer}/jwks` }));
    const providerSession = { issuer: op.issuer, subject: "alice", sid: "sid-1" };
    await issueSession(store, { userId: "alice", providerSession });
    const token = await signLogoutToken(signingKey, logoutClaims(op.issuer, { sub: "alice", sid: "sid-1" }));
    expect((await request(app).post("/bcl").type("form").send({ logout_token: token })).status).toBe(200);
    // The same provider session signs in again; a captured token must not end it.
    const again = await issueSession(store, { userId: "alice", providerSession });
    store.reset();
    const replay = await request(app).post("/bcl").type("form").send({ logout_token: token });
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({ error: "invalid_request", error_description: "this logout token was already received" });
    expect(store.mutations).toEqual(["claim"]);
    expect((await store.listSessions("alice")).map((s) => s.id)).toEqual([again.session.id]);
  });
});

describe("backchannelLogout with the provider's JWKS endpoint down", () => {
  let jwksServer: Server;
  let jwksUrl: string;
  let up = true;
  let fetches = 0;

  beforeAll(async () => {
    jwksServer = createServer((_req, res) => {
      fetches += 1;
      if (!up) {
        res.statusCode = 502;
        res.end();
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [publicJwk(signingKey)] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
    const address = jwksServer.address();
    jwksUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/jwks`;
  });
  afterAll(() => {
    jwksServer.close();
  });

  it("fetches the JWKS once for many tokens of a known key", async () => {
    up = true;
    fetches = 0;
    const store = new RecordingStore();
    const app = express().post("/bcl", backchannelLogout({ store, issuer: op.issuer, audience: CLIENT_ID, keys: jwksUrl }));
    for (let i = 0; i < 5; i++) {
      const res = await request(app).post("/bcl").type("form").send({ logout_token: await signLogoutToken(signingKey, logoutClaims(op.issuer, { sub: "alice" })) });
      expect(res.status).toBe(200);
    }
    expect(fetches).toBe(1);
  });

  it("keeps accepting the known key, and refuses an unknown kid with 503 without ending anything", async () => {
    up = true;
    // maxAgeMs 0: every token finds the cache stale and tries the JWKS again, so the outage is met on each one.
    const store = new RecordingStore();
    const events = new LogoutEvents();
    const refused: string[] = [];
    events.on("backchannel.refused", (e) => refused.push(e.reason));
    const app = express().post("/bcl", backchannelLogout({ store, issuer: op.issuer, audience: CLIENT_ID, keys: { jwksUri: jwksUrl, maxAgeMs: 0, cooldownMs: 0 }, events }));
    await issueSession(store, { userId: "alice", providerSession: { issuer: op.issuer, subject: "alice", sid: "sid-1" } });
    await issueSession(store, { userId: "alice", providerSession: { issuer: op.issuer, subject: "alice", sid: "sid-2" } });
    const warm = await request(app).post("/bcl").type("form").send({ logout_token: await signLogoutToken(signingKey, logoutClaims(op.issuer, { sub: "nobody" })) });
    expect(warm.status).toBe(200);

    up = false;
    fetches = 0;
    const known = await request(app).post("/bcl").type("form").send({ logout_token: await signLogoutToken(signingKey, logoutClaims(op.issuer, { sub: "alice", sid: "sid-1" })) });
    expect(known.status).toBe(200);
    expect(fetches).toBeGreaterThan(0);
    expect((await store.listSessions("alice")).length).toBe(1);

    store.reset();
    const unknown = await request(app).post("/bcl").type("form").send({ logout_token: await signLogoutToken(strangerKey, logoutClaims(op.issuer, { sub: "alice", sid: "sid-2" })) });
    expect(unknown.status).toBe(503);
    expect(unknown.headers["retry-after"]).toBe("5");
    expect(unknown.body).toEqual({ error: "temporarily_unavailable", error_description: expect.any(String) });
    expect(refused).toEqual(["keys-unavailable"]);
    expect(store.mutations).toEqual([]);
    expect((await store.listSessions("alice")).length).toBe(1);
  });
});
