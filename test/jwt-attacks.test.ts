import fs from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import jsonwebtoken from "jsonwebtoken";
import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createLogoutHandler,
  credentialsWithJwt,
  getJwtClaims,
  jwtBearer,
  requireSession,
  shapes,
  type JwtCredentialSource,
  type JwtKeyRequest,
  type CompleteSessionStore,
} from "../src/index.js";
import { expressVersions, type ExpressFactory } from "./helpers/express.js";
import { asymmetricJws, b64, claimsFor, hmacJws, hmacSecret, keyPairs, nowSeconds, respellSignature } from "./helpers/jwt.js";
import { RecordingStore } from "./helpers/store.js";

const ISSUER = "https://issuer.test";
const AUDIENCE = "api.test";

const keys = keyPairs();
const secret = hmacSecret();

/** Claims that pass every check of the verifiers below; override one to break exactly that one. */
const good = (overrides: Record<string, unknown> = {}) => claimsFor("alice", { iss: ISSUER, aud: AUDIENCE, ...overrides });
const hs = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => hmacJws("HS256", secret, header, claims);

const verifiers = {
  hs: () => jwtBearer({ algorithms: ["HS256"], secret, issuer: ISSUER, audience: AUDIENCE }),
  rs: () => jwtBearer({ algorithms: ["RS256"], publicKey: keys.rsa.publicPem, issuer: ISSUER, audience: AUDIENCE }),
  es: () => jwtBearer({ algorithms: ["ES256"], publicKey: keys.ec.publicKey, issuer: ISSUER, audience: AUDIENCE }),
} as const;
type VerifierName = keyof typeof verifiers;

function mountApp(express: ExpressFactory, store: CompleteSessionStore, jwt: JwtCredentialSource) {
  const app = express();
  const common = { store, credentials: credentialsWithJwt(shapes.problem, jwt) };
  app.get("/me", requireSession(common), (req, res) => {
    res.json({ sub: getJwtClaims(req)?.sub ?? null });
  });
  app.post("/logout", createLogoutHandler(common));
  app.post("/logout/all", createLogoutHandler({ ...common, target: "all" }));
  return app;
}

/** A server that must never be asked anything: a token naming it as the place of its key records any request. */
let keyServer: Server;
let keyServerUrl = "";
const keyServerRequests: string[] = [];

beforeAll(async () => {
  keyServer = createServer((req: IncomingMessage, res) => {
    keyServerRequests.push(`${req.method ?? ""} ${req.url ?? ""}`);
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ keys: [keys.attackerRsa.publicKey.export({ format: "jwk" })] }));
  });
  await new Promise<void>((resolve) => keyServer.listen(0, "127.0.0.1", resolve));
  keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => keyServer.close(() => { resolve(); }));
});

interface Attack {
  readonly name: string;
  readonly verifier: VerifierName;
  readonly token: () => string;
}

const attacks: Attack[] = [
  { name: 'alg "none" with an empty signature (CVE-2022-23540)', verifier: "hs", token: () => `${b64({ alg: "none", typ: "JWT" })}.${b64(good())}.` },
  { name: 'alg "none" with a made-up signature', verifier: "hs", token: () => `${b64({ alg: "none", typ: "JWT" })}.${b64(good())}.c2lnbmF0dXJl` },
  {
    name: "HS256 signed with the RS256 public key PEM as the HMAC secret (CVE-2022-23541)",
    verifier: "rs",
    token: () => hmacJws("HS256", keys.rsa.publicPem, {}, good()),
  },
  { name: "HS512 with the right secret when only HS256 is allowed", verifier: "hs", token: () => hmacJws("HS512", secret, {}, good()) },
  {
    name: "RS512 with the right key when only RS256 is allowed",
    verifier: "rs",
    token: () => jsonwebtoken.sign(good(), keys.rsa.privateKey, { algorithm: "RS512" }),
  },
  { name: "ES256 when only RS256 is allowed", verifier: "rs", token: () => asymmetricJws("ES256", keys.ec.privateKey, {}, good()) },
  { name: "expired beyond the clock tolerance", verifier: "hs", token: () => hs(good({ iat: nowSeconds() - 600, exp: nowSeconds() - 60 })) },
  { name: "not yet valid (nbf ten minutes ahead)", verifier: "hs", token: () => hs(good({ nbf: nowSeconds() + 600 })) },
  { name: "for another audience", verifier: "hs", token: () => hs(good({ aud: "other-api.test" })) },
  { name: "from another issuer", verifier: "hs", token: () => hs(good({ iss: "https://evil.test" })) },
  { name: "without an issuer while one is required", verifier: "hs", token: () => hs(good({ iss: undefined })) },
  { name: "without jti", verifier: "hs", token: () => hs(good({ jti: undefined })) },
  { name: "without exp", verifier: "hs", token: () => hs(good({ exp: undefined })) },
  { name: "without sub", verifier: "hs", token: () => hs(good({ sub: undefined })) },
  { name: "without iat", verifier: "hs", token: () => hs(good({ iat: undefined })) },
  { name: "with a sub that is not a string", verifier: "hs", token: () => hs(good({ sub: 42 })) },
  { name: "with an empty jti", verifier: "hs", token: () => hs(good({ jti: "" })) },
  { name: "issued in the future (iat an hour ahead)", verifier: "hs", token: () => hs(good({ iat: nowSeconds() + 3600, exp: nowSeconds() + 4000 })) },
  {
    name: "living longer than maxTokenLifetimeMs (it would outlive a logout-everywhere cut-off)",
    verifier: "hs",
    token: () => hs(good({ exp: nowSeconds() + 2 * 24 * 3600 })),
  },
  {
    name: "whose payload was changed (sub: admin) under the original signature",
    verifier: "hs",
    token: () => {
      const [header, , signature] = hs(good()).split(".") as [string, string, string];
      return `${header}.${b64(good({ sub: "admin" }))}.${signature}`;
    },
  },
  {
    name: "whose header was changed (a kid added) under the original signature",
    verifier: "hs",
    token: () => {
      const [, payload, signature] = hs(good()).split(".") as [string, string, string];
      return `${b64({ alg: "HS256", typ: "JWT", kid: "x" })}.${payload}.${signature}`;
    },
  },
  {
    name: "signed by an attacker key that a jku header points to",
    verifier: "rs",
    token: () => asymmetricJws("RS256", keys.attackerRsa.privateKey, { jku: `${keyServerUrl}/jwks.json`, kid: "attacker" }, good()),
  },
  {
    name: "signed by an attacker key that an x5u header points to",
    verifier: "rs",
    token: () => asymmetricJws("RS256", keys.attackerRsa.privateKey, { x5u: `${keyServerUrl}/cert.pem` }, good()),
  },
  {
    name: "signed by an attacker key embedded in a jwk header",
    verifier: "rs",
    token: () => asymmetricJws("RS256", keys.attackerRsa.privateKey, { jwk: keys.attackerRsa.publicKey.export({ format: "jwk" }) }, good()),
  },
  {
    name: "signed by the right key but naming a key URL (jku): a token never chooses its key",
    verifier: "rs",
    token: () => asymmetricJws("RS256", keys.rsa.privateKey, { jku: `${keyServerUrl}/jwks.json` }, good()),
  },
  {
    name: "signed by the right key but carrying an x5c chain",
    verifier: "rs",
    token: () => asymmetricJws("RS256", keys.rsa.privateKey, { x5c: ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"] }, good()),
  },
  { name: "with a crit header the library does not understand (RFC 7515 §4.1.11)", verifier: "hs", token: () => hs(good(), { crit: ["exp"] }) },
  {
    name: "whose signature is spelled differently in base64url (same bytes, jsonwebtoken alone would accept it)",
    verifier: "rs",
    token: () => {
      const variant = respellSignature(asymmetricJws("RS256", keys.rsa.privateKey, {}, good()));
      if (variant === undefined) throw new Error("an RSA-2048 signature always has unused bits");
      // Proof that this is a real variant: the verifier underneath accepts it.
      jsonwebtoken.verify(variant, keys.rsa.publicKey, { algorithms: ["RS256"] });
      return variant;
    },
  },
  { name: "with base64 padding", verifier: "hs", token: () => `${hs(good())}=` },
  { name: "with a non-JSON header", verifier: "hs", token: () => `${b64("not json")}.${b64(good())}.c2ln` },
  { name: "that is not a JWT at all (an opaque token)", verifier: "hs", token: () => "NbQ3c4kYbO2zPpZ7d3g2Q9Hk5sV0m1xW8tR6yU4iE2o" },
  { name: "with an empty payload segment", verifier: "hs", token: () => `${b64({ alg: "HS256" })}..c2ln` },
];

describe.each(expressVersions)("JWT attacks on $name", ({ express }) => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(["hs", "rs", "es"] as const)("accepts a well-formed token signed with the configured key (%s): the refusals below are not blanket ones", async (name) => {
    const store = new RecordingStore();
    const app = mountApp(express, store, verifiers[name]());
    const claims = good();
    const token =
      name === "hs" ? hs(claims) : name === "rs" ? asymmetricJws("RS256", keys.rsa.privateKey, {}, claims) : asymmetricJws("ES256", keys.ec.privateKey, {}, claims);
    const res = await request(app).get("/me").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: "alice" });
    expect(store.calls).toEqual(["jwtRevocation"]);
    store.close();
  });

  it.each(attacks)("refuses a token $name with 401, without a store call, on every route", async ({ verifier, token }) => {
    const store = new RecordingStore();
    const app = mountApp(express, store, verifiers[verifier]());
    const bearer = `Bearer ${token()}`;
    for (const [method, path] of [["get", "/me"], ["post", "/logout"], ["post", "/logout/all"]] as const) {
      const res = await request(app)[method](path).set("Authorization", bearer);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, code: "unauthenticated" });
    }
    expect(store.mutations).toEqual([]);
    expect(store.calls).toEqual([]);
    expect(keyServerRequests).toEqual([]);
    store.close();
  });

  it("never asks a jku or x5u server anything, even for a well-signed token that names one", async () => {
    const store = new RecordingStore();
    const app = mountApp(express, store, verifiers.rs());
    for (const header of [{ jku: `${keyServerUrl}/jwks.json` }, { x5u: `${keyServerUrl}/cert.pem` }]) {
      for (const key of [keys.rsa.privateKey, keys.attackerRsa.privateKey]) {
        const res = await request(app).get("/me").set("Authorization", `Bearer ${asymmetricJws("RS256", key, header, good())}`);
        expect(res.status).toBe(401);
      }
    }
    // Give a stray fetch the time to arrive before asserting none did.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(keyServerRequests).toEqual([]);
    expect(store.calls).toEqual([]);
    store.close();
  });

  it("hands a key resolver only alg and kid, and reads no file for kid ../../../../etc/passwd", async () => {
    const seen: JwtKeyRequest[] = [];
    const known = new Map([["2024-key", secret]]);
    const jwt = jwtBearer({
      algorithms: ["HS256"],
      issuer: ISSUER,
      key: (header) => {
        seen.push(header);
        return known.get(header.kid ?? "");
      },
    });
    const store = new RecordingStore();
    const app = mountApp(express, store, jwt);
    const spies = [
      vi.spyOn(fs, "readFileSync"),
      vi.spyOn(fs, "readFile"),
      vi.spyOn(fs, "openSync"),
      vi.spyOn(fs, "open"),
      vi.spyOn(fs.promises, "readFile"),
      vi.spyOn(fs.promises, "open"),
    ];
    const traversal = hs(good(), { kid: "../../../../etc/passwd" });
    const res = await request(app).get("/me").set("Authorization", `Bearer ${traversal}`);
    expect(res.status).toBe(401);
    const touched = spies.flatMap((spy) => spy.mock.calls.flat().map(String));
    expect(touched.filter((arg) => arg.includes("passwd"))).toEqual([]);
    expect(seen).toEqual([{ alg: "HS256", kid: "../../../../etc/passwd" }]);
    expect(Object.keys(seen[0] ?? {}).sort()).toEqual(["alg", "kid"]);
    expect(store.calls).toEqual([]);
    // The same resolver finds a real key by its kid.
    const ok = await request(app).get("/me").set("Authorization", `Bearer ${hs(good(), { kid: "2024-key" })}`);
    expect(ok.status).toBe(200);
    store.close();
  });

  it("never calls a key resolver for an algorithm outside the list", async () => {
    const seen: JwtKeyRequest[] = [];
    const jwt = jwtBearer({ algorithms: ["RS256"], key: (header) => { seen.push(header); return keys.rsa.publicKey; } });
    const store = new RecordingStore();
    const app = mountApp(express, store, jwt);
    for (const token of [hmacJws("HS256", keys.rsa.publicPem, { kid: "k" }, good()), `${b64({ alg: "none", kid: "k" })}.${b64(good())}.`]) {
      expect((await request(app).get("/me").set("Authorization", `Bearer ${token}`)).status).toBe(401);
    }
    expect(seen).toEqual([]);
    store.close();
  });

  it("refuses a key that a careless resolver returns when it is too weak for the algorithm (kid ../../dev/null)", async () => {
    // A resolver that would answer with a file's content: a one-byte "secret" that jsonwebtoken alone accepts.
    const careless = jwtBearer({ algorithms: ["HS256"], key: () => "\n" });
    const token = hmacJws("HS256", "\n", { kid: "../../dev/null" }, good());
    expect(() => jsonwebtoken.verify(token, "\n", { algorithms: ["HS256"] })).not.toThrow();
    const store = new RecordingStore();
    const res = await request(mountApp(express, store, careless)).get("/me").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(store.calls).toEqual([]);
    store.close();
  });

  it("refuses a public key PEM that a resolver returns for an HS256 verifier (key confusion through the resolver)", async () => {
    const confused = jwtBearer({ algorithms: ["HS256"], key: () => keys.rsa.publicPem });
    const token = hmacJws("HS256", keys.rsa.publicPem, {}, good());
    const store = new RecordingStore();
    const res = await request(mountApp(express, store, confused)).get("/me").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(store.calls).toEqual([]);
    store.close();
  });

  it("counts a resolver that throws as an unknown key: 401, not a 500 or 503", async () => {
    const throwing = jwtBearer({
      algorithms: ["HS256"],
      key: ({ kid }) => {
        throw new Error(`no key ${String(kid)}`);
      },
    });
    const store = new RecordingStore();
    const res = await request(mountApp(express, store, throwing)).get("/me").set("Authorization", `Bearer ${hs(good(), { kid: "gone" })}`);
    expect(res.status).toBe(401);
    store.close();
  });
});
