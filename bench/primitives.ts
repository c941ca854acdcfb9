/**
 * Per-call cost of the primitives a logout pipeline is built on, in its own process:
 * `node --expose-gc --import tsx bench/primitives.ts`. Prints one JSON array of `PrimitiveRow`.
 *
 * Each entry of `primitives` is one measurement: adding one is one entry.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import { generate, ScureBase32Plugin, verify } from "otplib";
import type { Request } from "express";
import { constantTimeEqual, generateToken, hashSecret, issueJwt, jwtBearer, MemorySessionStore } from "#bench/library";
import type { PrimitiveRow } from "./lib/report.js";
import { log, median, requireGc } from "./lib/timing.js";

interface Primitive {
  readonly id: string;
  readonly title: string;
  readonly note?: string;
  /** Builds the state once and answers the call to time; the call throws if its answer is wrong. */
  setup(): Promise<() => Promise<void> | void>;
}

/**
 * requireTotp's defaults, the settings the library verifies codes with: SHA-1, 6 digits, 30 s steps, one step
 * of tolerance either side, the secret decoded from base32 on every request (the directory returns a string).
 */
const TOTP = { algorithm: "sha1", digits: 6, period: 30, window: 1 } as const;
const TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/** A store with a real deny-list: 10 000 denied tokens and 1 000 users with a cut-off. */
async function denyListStore(): Promise<MemorySessionStore> {
  const store = new MemorySessionStore();
  const now = Date.now();
  for (let i = 0; i < 10_000; i++) await store.denyJwt(`user-${i % 1000}`, randomUUID(), now + 3_600_000);
  for (let i = 0; i < 1000; i++) await store.revokeJwtsIssuedBefore(`user-${i + 1000}`, now - 60_000, now + 3_600_000);
  return store;
}

const HMAC_SECRET = "a-32-byte-or-longer-hmac-secret-for-benchmarks!!";

/** The library's JWT credential: read the bearer header, verify (key parsed once), one deny-list read. */
async function jwtBearerPrimitive(algorithm: "HS256" | "RS256"): Promise<() => Promise<void>> {
  const store = await denyListStore();
  let source;
  let token;
  if (algorithm === "HS256") {
    source = jwtBearer({ algorithms: ["HS256"], secret: HMAC_SECRET });
    token = issueJwt({ sub: "user-7" }, { algorithm, secret: HMAC_SECRET, expiresIn: "15m" }).token;
  } else {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    source = jwtBearer({ algorithms: ["RS256"], publicKey: pair.publicKey });
    token = issueJwt({ sub: "user-7" }, { algorithm, privateKey: pair.privateKey, expiresIn: "15m" }).token;
  }
  const req = { headers: { authorization: `Bearer ${token}` } } as unknown as Request;
  return async () => {
    const credential = source.read(req);
    if (credential?.kind !== "resolved") throw new Error("not read as a JWT");
    if ((await credential.resolve(store)) === undefined) throw new Error("token refused");
  };
}

const primitives: readonly Primitive[] = [
  {
    id: "totp-verify",
    title: "TOTP verification, a valid code (otplib 13 verify, requireTotp's settings)",
    note: "SHA-1, 6 digits, 30 s, ±1 step, base32 decode included",
    async setup() {
      const base32 = new ScureBase32Plugin();
      const code = await generate({ secret: base32.decode(TOTP_SECRET), algorithm: TOTP.algorithm, digits: TOTP.digits, period: TOTP.period });
      return async () => {
        const result = await verify({
          secret: base32.decode(TOTP_SECRET),
          token: code,
          algorithm: TOTP.algorithm,
          digits: TOTP.digits,
          period: TOTP.period,
          epoch: Math.floor(Date.now() / 1000),
          epochTolerance: TOTP.window * TOTP.period,
        });
        if (!result.valid) throw new Error("valid code refused");
      };
    },
  },
  {
    id: "totp-verify-wrong",
    title: "TOTP verification, a wrong code (all three steps checked)",
    note: "same settings",
    setup() {
      const base32 = new ScureBase32Plugin();
      return Promise.resolve(async () => {
        const result = await verify({
          secret: base32.decode(TOTP_SECRET),
          token: "000000",
          algorithm: TOTP.algorithm,
          digits: TOTP.digits,
          period: TOTP.period,
          epoch: Math.floor(Date.now() / 1000),
          epochTolerance: TOTP.window * TOTP.period,
        });
        // 000000 could be right by chance once in a million steps; only a crash would be wrong here.
        if (typeof result.valid !== "boolean") throw new Error("no answer");
      });
    },
  },
  {
    id: "jwt-hs256-deny-list",
    title: "JWT verification with the deny-list, HS256: jwtBearer read + resolve",
    note: "signature, claims, one MemorySessionStore.jwtRevocation",
    setup: () => jwtBearerPrimitive("HS256"),
  },
  {
    id: "jwt-rs256-deny-list",
    title: "JWT verification with the deny-list, RS256 (2048-bit): jwtBearer read + resolve",
    note: "same, RSA public key",
    setup: () => jwtBearerPrimitive("RS256"),
  },
  {
    id: "jsonwebtoken-string-secret",
    title: "For comparison: jsonwebtoken.verify HS256 with the secret passed as a string",
    note: "jsonwebtoken first tries to parse a string as a public key on every call; jwtBearer parses the key once",
    setup() {
      const token = jwt.sign({ sub: "user-7", jti: randomUUID() }, HMAC_SECRET, { algorithm: "HS256", expiresIn: "15m" });
      return Promise.resolve(() => {
        jwt.verify(token, HMAC_SECRET, { algorithms: ["HS256"] });
      });
    },
  },
  {
    id: "session-token-check",
    title: "Session token check: hashSecret + constantTimeEqual",
    note: "what requireSession does per request besides the store lookup",
    setup() {
      const token = generateToken();
      const stored = hashSecret(token);
      return Promise.resolve(() => {
        if (!constantTimeEqual(hashSecret(token), stored)) throw new Error("mismatch");
      });
    },
  },
];

const gc = requireGc();

/** Median of 5 rounds, each long enough (~0.3 s) that timer resolution does not matter. */
async function measure(call: () => Promise<void> | void): Promise<number> {
  let n = 100;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await call();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms > 100) break;
    n *= 4;
  }
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    gc();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await call();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  return median(samples);
}

const rows: PrimitiveRow[] = [];
for (const primitive of primitives) {
  const call = await primitive.setup();
  const microsecondsPerCall = await measure(call);
  log(`primitive ${primitive.id}: ${microsecondsPerCall.toFixed(2)} µs`);
  rows.push({ id: primitive.id, title: primitive.title, microsecondsPerCall, ...(primitive.note === undefined ? {} : { note: primitive.note }) });
}
process.stdout.write(`${JSON.stringify(rows)}\n`);
