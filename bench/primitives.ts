/**
 * Per-call cost of the primitives a logout pipeline is built on, in its own process:
 * `node --expose-gc --import tsx bench/primitives.ts`. Prints one JSON array of `PrimitiveRow`.
 *
 * Each entry of `primitives` is one measurement; when the JWT credential lands, its entry becomes the
 * library's own `jwtBearer` resolve instead of jsonwebtoken + the store called directly.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import { generate, ScureBase32Plugin, verify } from "otplib";
import { constantTimeEqual, generateToken, hashSecret, MemorySessionStore } from "../src/index.js";
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

async function jwtPrimitive(algorithm: "HS256" | "RS256"): Promise<() => Promise<void>> {
  const store = new MemorySessionStore();
  const now = Date.now();
  // A deny-list with real content: 10 000 denied tokens and 1 000 users with a cut-off.
  for (let i = 0; i < 10_000; i++) await store.denyJwt(`user-${i % 1000}`, randomUUID(), now + 3_600_000);
  for (let i = 0; i < 1000; i++) await store.revokeJwtsIssuedBefore(`user-${i}`, now - 60_000, now + 3_600_000);
  const keys =
    algorithm === "HS256"
      ? { sign: "a-32-byte-or-longer-hmac-secret-for-benchmarks!!", verify: "a-32-byte-or-longer-hmac-secret-for-benchmarks!!" }
      : (() => {
          const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
          return { sign: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), verify: pair.publicKey.export({ type: "spki", format: "pem" }).toString() };
        })();
  const token = jwt.sign({ sub: "user-7", jti: randomUUID() }, keys.sign, { algorithm, expiresIn: "15m", issuer: "https://bench.example" });
  return async () => {
    const claims = jwt.verify(token, keys.verify, { algorithms: [algorithm], issuer: "https://bench.example" }) as jwt.JwtPayload;
    const revocation = await store.jwtRevocation(claims.sub ?? "", claims.jti ?? "");
    if (revocation.denied || (revocation.issuedBefore !== undefined && (claims.iat ?? 0) * 1000 < revocation.issuedBefore)) throw new Error("token refused");
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
    title: "JWT verification with the deny-list, HS256",
    note: "jsonwebtoken verify + MemorySessionStore.jwtRevocation, the two steps jwtBearer takes",
    setup: () => jwtPrimitive("HS256"),
  },
  {
    id: "jwt-rs256-deny-list",
    title: "JWT verification with the deny-list, RS256 (2048-bit)",
    note: "jsonwebtoken verify + MemorySessionStore.jwtRevocation called directly",
    setup: () => jwtPrimitive("RS256"),
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
