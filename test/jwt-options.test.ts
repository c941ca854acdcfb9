import { createSecretKey, generateKeyPairSync, randomUUID } from "node:crypto";
import jsonwebtoken from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import {
  MemorySessionStore,
  credentialsWithJwt,
  issueJwt,
  jwtBearer,
  revokeJwt,
  revokeUserJwts,
  shapes,
  type JwtAlgorithm,
  type JwtBearerOptions,
  type PresentedCredential,
} from "../src/index.js";
import { hmacSecret, keyPairs } from "./helpers/jwt.js";
import { RecordingStore } from "./helpers/store.js";

const keys = keyPairs();
const secret = hmacSecret();

/** Calls the factory with options the type system would refuse, as a JavaScript caller could. */
const bearerWith = (options: unknown) => () => jwtBearer(options as JwtBearerOptions);
const issueWith = (claims: unknown, options: unknown) => () => issueJwt(claims as { sub: string }, options as Parameters<typeof issueJwt>[1]);

async function resolve(credential: PresentedCredential | undefined, store: MemorySessionStore) {
  if (credential?.kind !== "resolved") throw new Error(`expected a resolved credential, got ${credential?.kind ?? "none"}`);
  return credential.resolve(store);
}
const requestWith = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as never;

describe("jwtBearer options", () => {
  it.each([
    ["no algorithms", { secret }, /`algorithms` is required/],
    ["an empty algorithms list", { algorithms: [], secret }, /`algorithms` is required/],
    ['"none"', { algorithms: ["none"], secret }, /must not be "none"/],
    ['"none" among others', { algorithms: ["HS256", "none"], secret }, /must not be "none"/],
    ['"NONE" in capitals', { algorithms: ["NONE"], secret }, /must not be "none"/],
    ["an unknown algorithm", { algorithms: ["HS1024"], secret }, /unknown algorithm "HS1024"/],
    ["HS256 mixed with RS256", { algorithms: ["HS256", "RS256"], secret }, /mixes HS\* with RS\/PS\/ES/],
    ["no key at all", { algorithms: ["HS256"] }, /exactly one of `secret` or `key`/],
    ["both secret and key", { algorithms: ["HS256"], secret, key: () => secret }, /received `secret` and `key`/],
    ["a secret for RS256", { algorithms: ["RS256"], secret }, /`secret` is for HS\*/],
    ["a public key for HS256", { algorithms: ["HS256"], publicKey: keys.rsa.publicPem }, /`publicKey` is for RS\/PS\/ES/],
    ["a public key PEM given as the HS256 secret", { algorithms: ["HS256"], secret: keys.rsa.publicPem }, /is a PEM key/],
    ["a 16-byte HS256 secret", { algorithms: ["HS256"], secret: hmacSecret(16) }, /at least 32 bytes/],
    ["a 32-byte secret for HS512", { algorithms: ["HS256", "HS512"], secret: hmacSecret(32) }, /HS512 secret must hold at least 64 bytes/],
    ["a private key as the public key", { algorithms: ["RS256"], publicKey: keys.rsa.privatePem }, /is a private key/],
    ["a private KeyObject as the public key", { algorithms: ["RS256"], publicKey: keys.rsa.privateKey }, /needs a public key, not a private key/],
    ["a secret KeyObject as the public key", { algorithms: ["RS256"], publicKey: createSecretKey(hmacSecret()) }, /needs a public key, not a secret key/],
    ["an RSA key for ES256", { algorithms: ["ES256"], publicKey: keys.rsa.publicKey }, /ES256 needs an EC key on curve prime256v1/],
    ["a P-256 key for ES384", { algorithms: ["ES384"], publicKey: keys.ec.publicKey }, /ES384 needs an EC key on curve secp384r1/],
    ["one RSA key for RS256 and ES256", { algorithms: ["RS256", "ES256"], publicKey: keys.rsa.publicKey }, /cannot verify ES256/],
    ["garbage as the public key", { algorithms: ["RS256"], publicKey: "not a key" }, /is not a public key/],
    ["a key resolver that is not a function", { algorithms: ["RS256"], key: "kid" }, /`key` must be a function/],
    ["an empty issuer", { algorithms: ["HS256"], secret, issuer: "" }, /`issuer` must be a non-empty string/],
    ["an empty audience list", { algorithms: ["HS256"], secret, audience: [] }, /`audience` must be a non-empty string/],
    ["a negative clock tolerance", { algorithms: ["HS256"], secret, clockToleranceSeconds: -1 }, /`clockToleranceSeconds` must be a number of seconds from 0 to 300/],
    ["an hour of clock tolerance", { algorithms: ["HS256"], secret, clockToleranceSeconds: 3600 }, /from 0 to 300/],
    ["a zero token lifetime", { algorithms: ["HS256"], secret, maxTokenLifetimeMs: 0 }, /`maxTokenLifetimeMs` must be a positive number/],
    ["a header name as from", { algorithms: ["HS256"], secret, from: "x-token" }, /`from` must be "authorization" or/],
    ["a cookie name with a semicolon", { algorithms: ["HS256"], secret, from: { cookie: "a;b" } }, /`from` must be/],
    ["a misspelt option", { algorithm: ["HS256"], secret }, /unsupported option `algorithm`\. Did you mean `algorithms`\?/],
    ["options that are not an object", "HS256", /needs an options object/],
  ])("throws a TypeError at setup for %s", (_name, options, message) => {
    expect(bearerWith(options)).toThrow(TypeError);
    expect(bearerWith(options)).toThrow(message);
  });

  it("refuses an RSA key shorter than 2048 bits at setup", () => {
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(bearerWith({ algorithms: ["RS256"], publicKey: weak.publicKey })).toThrow(/at least 2048 bits/);
  });

  it("accepts every supported algorithm family with a matching key", () => {
    const ps = generateKeyPairSync("rsa-pss", { modulusLength: 2048 });
    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    const cases: [JwtAlgorithm[], Partial<JwtBearerOptions>][] = [
      [["HS256", "HS384", "HS512"], { secret: hmacSecret(64) }],
      [["RS256", "RS384", "RS512", "PS256"], { publicKey: keys.rsa.publicPem }],
      [["PS256"], { publicKey: ps.publicKey }],
      [["ES256"], { publicKey: keys.ec.publicKey.export({ type: "spki", format: "der" }) }],
      [["ES384"], { publicKey: p384.publicKey }],
      [["RS256", "ES256"], { key: () => undefined }],
    ];
    for (const [algorithms, key] of cases) expect(() => jwtBearer({ algorithms, ...key })).not.toThrow();
  });

  it("names itself after where it reads, and says which source it stands in for", () => {
    const header = jwtBearer({ algorithms: ["HS256"], secret });
    const cookie = jwtBearer({ algorithms: ["HS256"], secret, from: { cookie: "access_token" } });
    expect([header.name, header.replaces]).toEqual(["jwt:bearer", "bearer"]);
    expect([cookie.name, cookie.replaces]).toEqual(["jwt:cookie:access_token", "cookie:access_token"]);
  });
});

describe("credentialsWithJwt", () => {
  const jwt = jwtBearer({ algorithms: ["HS256"], secret });
  const passing = jwtBearer({ algorithms: ["HS256"], secret, fallThrough: true });

  it("puts the JWT source in the place of the shape's bearer source, keeping the others in order", () => {
    expect(credentialsWithJwt(shapes.endor, jwt).map((s) => s.name)).toEqual(["api-key", "jwt:bearer"]);
    expect(credentialsWithJwt(shapes.problem, jwt).map((s) => s.name)).toEqual(["jwt:bearer", "header:x-session-token"]);
  });

  it("puts it just before the bearer source with fallThrough, so opaque tokens still work", () => {
    expect(credentialsWithJwt(shapes.problem, passing).map((s) => s.name)).toEqual(["jwt:bearer", "bearer", "header:x-session-token"]);
  });

  it("puts it first in a list without the source it stands in for", () => {
    expect(credentialsWithJwt(shapes.soajs, jwt).map((s) => s.name)).toEqual(["jwt:bearer", "soajsauth", "cookie:soajsID"]);
  });
});

describe("reading a JWT", () => {
  it("finds nothing without an Authorization header and refuses a malformed one without looking further", () => {
    const jwt = jwtBearer({ algorithms: ["HS256"], secret });
    expect(jwt.read({ headers: {} } as never)).toBeUndefined();
    expect(jwt.read({ headers: { authorization: "Basic YTpi" } } as never)?.kind).toBe("invalid");
    expect(jwt.read(requestWith("opaque-token"))?.kind).toBe("invalid");
    expect(jwt.read(requestWith(`${"a".repeat(3000)}.${"b".repeat(3000)}.c`))?.kind).toBe("invalid");
  });

  it("verifies without any store call and exposes the claims", () => {
    const jwt = jwtBearer({ algorithms: ["HS256"], secret, audience: ["a", "b"] });
    const { token, claims } = issueJwt({ sub: "alice", role: "admin" }, { algorithm: "HS256", secret, expiresIn: 60, audience: ["b", "c"] });
    expect(jwt.verify(token)).toEqual(claims);
    expect(jwt.verify(token)?.role).toBe("admin");
    expect(jwt.verify(`${token}x`)).toBeUndefined();
  });

  it("resolves to a session record synthesized from the claims", async () => {
    const store = new MemorySessionStore();
    const jwt = jwtBearer({ algorithms: ["HS256"], secret });
    const issued = issueJwt({ sub: "alice" }, { algorithm: "HS256", secret, expiresIn: "1h" });
    const principal = await resolve(jwt.read(requestWith(issued.token)), store);
    expect(principal?.session).toEqual({ id: issued.claims.jti, userId: "alice", tokenHash: "", createdAt: issued.session.createdAt, expiresAt: issued.claims.exp * 1000 });
    expect(principal?.session).toEqual(issued.session);
    store.close();
  });
});

describe("issueJwt", () => {
  it("adds a random jti, iat to the millisecond, a whole-second exp and sub, and signs with the given algorithm only", () => {
    const before = Date.now();
    const { token, claims } = issueJwt({ sub: "alice", tenant: "t1" }, { algorithm: "HS256", secret, expiresIn: "15m", issuer: "https://app.test", audience: "api", keyId: "k-2024" });
    const after = Date.now();
    const decoded = jsonwebtoken.decode(token, { complete: true });
    expect(decoded?.header).toEqual({ alg: "HS256", typ: "JWT", kid: "k-2024" });
    expect(decoded?.payload).toEqual(claims);
    expect(claims).toMatchObject({ sub: "alice", tenant: "t1", iss: "https://app.test", aud: "api" });
    expect(claims.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(claims.iat * 1000).toBeGreaterThanOrEqual(before);
    expect(claims.iat * 1000).toBeLessThanOrEqual(after);
    expect(Number.isInteger(claims.exp)).toBe(true);
    expect(claims.exp - Math.floor(claims.iat)).toBe(900);
    expect(issueJwt({ sub: "alice" }, { algorithm: "HS256", secret, expiresIn: 60 }).claims.jti).not.toBe(claims.jti);
    expect(() => jsonwebtoken.verify(token, secret, { algorithms: ["HS256"] })).not.toThrow();
  });

  it("writes a whole-second iat when asked", () => {
    const { claims } = issueJwt({ sub: "alice" }, { algorithm: "HS256", secret, expiresIn: 60, wholeSecondIat: true });
    expect(Number.isInteger(claims.iat)).toBe(true);
  });

  it("signs with RSA and EC private keys, and the matching verifier accepts the tokens", () => {
    const rs = issueJwt({ sub: "alice" }, { algorithm: "RS256", privateKey: keys.rsa.privatePem, expiresIn: "1h" });
    const es = issueJwt({ sub: "alice" }, { algorithm: "ES256", privateKey: keys.ec.privateKey, expiresIn: "1h" });
    expect(jwtBearer({ algorithms: ["RS256"], publicKey: keys.rsa.publicKey }).verify(rs.token)?.sub).toBe("alice");
    expect(jwtBearer({ algorithms: ["ES256"], publicKey: keys.ec.publicKey }).verify(es.token)?.sub).toBe("alice");
  });

  it.each([
    ["no sub", {}, { algorithm: "HS256", secret, expiresIn: 60 }, /needs claims with `sub`/],
    ["its own jti", { sub: "a", jti: "x" }, { algorithm: "HS256", secret, expiresIn: 60 }, /sets `jti` itself/],
    ["its own exp", { sub: "a", exp: 1 }, { algorithm: "HS256", secret, expiresIn: 60 }, /sets `exp` itself/],
    ["iss among the claims", { sub: "a", iss: "x" }, { algorithm: "HS256", secret, expiresIn: 60 }, /pass `issuer` in the options/],
    ["alg none", { sub: "a" }, { algorithm: "none", secret, expiresIn: 60 }, /must not be "none"/],
    ["no expiresIn", { sub: "a" }, { algorithm: "HS256", secret }, /`expiresIn` is required/],
    ["an expiresIn in words", { sub: "a" }, { algorithm: "HS256", secret, expiresIn: "two hours" }, /`expiresIn` is required/],
    ["a fractional expiresIn", { sub: "a" }, { algorithm: "HS256", secret, expiresIn: 1.5 }, /`expiresIn` is required/],
    ["an expiresIn beyond maxTokenLifetimeMs", { sub: "a" }, { algorithm: "HS256", secret, expiresIn: "7d" }, /longer than `maxTokenLifetimeMs`/],
    ["a private key for HS256", { sub: "a" }, { algorithm: "HS256", privateKey: keys.rsa.privatePem, expiresIn: 60 }, /`privateKey` does not go with HS256/],
    ["a public key as the RS256 private key", { sub: "a" }, { algorithm: "RS256", privateKey: keys.rsa.publicPem, expiresIn: 60 }, /is not a private key/],
    ["a short HS256 secret", { sub: "a" }, { algorithm: "HS256", secret: "short", expiresIn: 60 }, /at least 32 bytes/],
    ["a misspelt option", { sub: "a" }, { algorithm: "HS256", secret, expiresIn: 60, audiance: "x" }, /Did you mean `audience`\?/],
  ])("throws a TypeError for %s", (_name, claims, options, message) => {
    expect(issueWith(claims, options)).toThrow(TypeError);
    expect(issueWith(claims, options)).toThrow(message);
  });

  it("issues a long-lived token when maxTokenLifetimeMs is raised, and the verifier raised alike accepts it", () => {
    const week = 7 * 24 * 3600 * 1000;
    const { token } = issueJwt({ sub: "alice" }, { algorithm: "HS256", secret, expiresIn: "7d", maxTokenLifetimeMs: week });
    expect(jwtBearer({ algorithms: ["HS256"], secret }).verify(token)).toBeUndefined();
    expect(jwtBearer({ algorithms: ["HS256"], secret, maxTokenLifetimeMs: week }).verify(token)?.sub).toBe("alice");
  });
});

describe("revokeJwt and revokeUserJwts", () => {
  const jwt = jwtBearer({ algorithms: ["HS256"], secret });

  it("denies one token by its claims, for its issuer only", async () => {
    const store = new MemorySessionStore();
    const issued = issueJwt({ sub: `u-${randomUUID()}` }, { algorithm: "HS256", secret, expiresIn: 60 });
    await revokeJwt(store, issued.claims);
    expect(await resolve(jwt.read(requestWith(issued.token)), store)).toBeUndefined();
    store.close();
  });

  it("ends every token of a user issued so far", async () => {
    const store = new MemorySessionStore();
    const sub = `u-${randomUUID()}`;
    const old = issueJwt({ sub }, { algorithm: "HS256", secret, expiresIn: 60 });
    await revokeUserJwts(store, sub);
    expect(await resolve(jwt.read(requestWith(old.token)), store)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 2));
    const fresh = issueJwt({ sub }, { algorithm: "HS256", secret, expiresIn: 60 });
    expect((await resolve(jwt.read(requestWith(fresh.token)), store))?.session.userId).toBe(sub);
    store.close();
  });

  it("changes nothing when asked to revoke a token that does not verify", async () => {
    const store = new RecordingStore();
    const forged = issueJwt({ sub: "alice" }, { algorithm: "HS256", secret: hmacSecret(), expiresIn: 60 });
    expect(await jwt.revoke(store, forged.token)).toBe(false);
    expect(await jwt.revoke(store, "not a token")).toBe(false);
    expect(store.mutations).toEqual([]);
    store.close();
  });

  it("refuses bad input with a TypeError", async () => {
    const store = new MemorySessionStore();
    await expect(revokeJwt(store, { sub: "a" } as never)).rejects.toThrow(TypeError);
    await expect(revokeUserJwts(store, "")).rejects.toThrow(TypeError);
    await expect(revokeUserJwts({} as never, "a")).rejects.toThrow(/is not a SessionStore/);
    await expect(jwt.revokeUser(store, "")).rejects.toThrow(TypeError);
    store.close();
  });
});
