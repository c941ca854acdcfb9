import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { issueJwt, jwtBearer, type JwtAlgorithm } from "../src/index.js";

/*
 * The verifier checks signatures with Node's own crypto. Every algorithm it accepts must accept exactly what
 * jsonwebtoken (behind `issueJwt`) signs, and nothing else: the same token with one signature bit changed, or
 * signed with another key of the same kind, is refused.
 */

const rsa = () => generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = (namedCurve: string) => generateKeyPairSync("ec", { namedCurve });

const cases: readonly { alg: JwtAlgorithm; pair: () => { sign: object; verify: object; other: object } }[] = [
  ...(["HS256", "HS384", "HS512"] as const).map((alg) => ({
    alg,
    pair: () => {
      const secret = randomBytes(64);
      return { sign: { secret }, verify: { secret }, other: { secret: randomBytes(64) } };
    },
  })),
  ...(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] as const).map((alg) => ({
    alg,
    pair: () => {
      const keys = rsa();
      return { sign: { privateKey: keys.privateKey }, verify: { publicKey: keys.publicKey }, other: { publicKey: rsa().publicKey } };
    },
  })),
  ...([["ES256", "prime256v1"], ["ES384", "secp384r1"], ["ES512", "secp521r1"]] as const).map(([alg, curve]) => ({
    alg,
    pair: () => {
      const keys = ec(curve);
      return { sign: { privateKey: keys.privateKey }, verify: { publicKey: keys.publicKey }, other: { publicKey: ec(curve).publicKey } };
    },
  })),
];

/** The token with one bit of its signature's first byte flipped, still canonical base64url. */
function flipSignatureBit(token: string): string {
  const dot = token.lastIndexOf(".");
  const signature = Buffer.from(token.slice(dot + 1), "base64url");
  signature[0] = (signature[0] ?? 0) ^ 0x01;
  return `${token.slice(0, dot + 1)}${signature.toString("base64url")}`;
}

describe.each(cases)("$alg signatures", ({ alg, pair }) => {
  const keys = pair();
  const { token } = issueJwt({ sub: "alice" }, { algorithm: alg, ...keys.sign, expiresIn: "5m" });

  it("verifies a token jsonwebtoken signed", () => {
    const claims = jwtBearer({ algorithms: [alg], ...keys.verify }).verify(token);
    expect(claims?.sub).toBe("alice");
  });

  it("refuses the same token with one signature bit changed", () => {
    expect(jwtBearer({ algorithms: [alg], ...keys.verify }).verify(flipSignatureBit(token))).toBeUndefined();
  });

  it("refuses it under another key of the same kind", () => {
    expect(jwtBearer({ algorithms: [alg], ...keys.other }).verify(token)).toBeUndefined();
  });

  it("refuses it with the signature cut short", () => {
    expect(jwtBearer({ algorithms: [alg], ...keys.verify }).verify(token.slice(0, -4))).toBeUndefined();
  });
});
