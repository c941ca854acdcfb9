import { describe, expect, it } from "vitest";
import { jwtDenyKey } from "../src/credentials/jwt/revocation.js";
import { jwtVerifier } from "../src/credentials/jwt/verifier.js";
import { b64, claimsFor, hmacJws, hmacSecret } from "./helpers/jwt.js";

const secret = hmacSecret();
const verifier = () => jwtVerifier("test", { algorithms: ["HS256"], secret });

describe("the verifier's reading of a token's header, kept per header text", () => {
  it("refuses a header it refused before, the second time as the first", () => {
    const { verify } = verifier();
    for (const header of [{ jku: "https://evil.test/keys" }, { alg: "none" }, { crit: ["b64"] }, { kid: 7 }]) {
      const token = hmacJws("HS256", secret, header, claimsFor("alice"));
      expect(verify(token)).toBeUndefined();
      expect(verify(token)).toBeUndefined();
    }
  });

  it("keeps nothing of a token but its header's reading: a known header with a forged signature or a tampered payload is refused", () => {
    const { verify } = verifier();
    const good = hmacJws("HS256", secret, {}, claimsFor("alice"));
    expect(verify(good)?.sub).toBe("alice");
    const [header, payload] = good.split(".");
    const forged = `${header}.${payload}.${b64("not the signature")}`;
    expect(verify(forged)).toBeUndefined();
    const tampered = `${header}.${b64(claimsFor("mallory"))}.${good.split(".")[2]}`;
    expect(verify(tampered)).toBeUndefined();
    const other = hmacJws("HS256", hmacSecret(), {}, claimsFor("alice"));
    expect(other.split(".")[0]).toBe(header);
    expect(verify(other)).toBeUndefined();
    expect(verify(good)?.sub).toBe("alice");
  });

  it("refuses a header spelled in a second base64url form even after its canonical form was read", () => {
    const { verify } = verifier();
    // A header whose text ends in spare bits (its length is not a multiple of 4), so a second spelling exists.
    let kid = "k";
    while (b64({ alg: "HS256", typ: "JWT", kid }).length % 4 === 0) kid += "k";
    const good = hmacJws("HS256", secret, { kid }, claimsFor("alice"));
    expect(verify(good)?.sub).toBe("alice");
    const dot = good.indexOf(".");
    const header = good.slice(0, dot);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const respelled = header.slice(0, -1) + (alphabet[alphabet.indexOf(header.at(-1) ?? "A") + 1] ?? "");
    expect(Buffer.from(respelled, "base64url").equals(Buffer.from(header, "base64url"))).toBe(true);
    expect(verify(respelled + good.slice(dot))).toBeUndefined();
  });

  it("still verifies after a flood of made-up headers has turned its memory over", () => {
    const { verify } = verifier();
    for (let i = 0; i < 500; i++) expect(verify(hmacJws("HS256", secret, { kid: `k${String(i)}`, x: i }, claimsFor(`u${String(i)}`)))?.sub).toBe(`u${String(i)}`);
    expect(verify(hmacJws("HS256", secret, {}, claimsFor("alice")))?.sub).toBe("alice");
    expect(verify(hmacJws("HS256", secret, { jwk: {} }, claimsFor("alice")))).toBeUndefined();
  });

  it("answers claims that cannot be changed", () => {
    const claims = verifier().verify(hmacJws("HS256", secret, {}, claimsFor("alice")));
    expect(Object.isFrozen(claims)).toBe(true);
  });
});

describe("a token's deny-list key", () => {
  it("is JSON of [iss or null, jti], the key stores already hold, for every spelling of the claims", () => {
    const odd = ["", "a", '"', "\\", "\u0000", "\u001f", "\u2028", "\ud800", "😀", "https://issuer.test/", "tenant:{a}"];
    for (const jti of odd) {
      for (const iss of [undefined, null, ...odd]) {
        expect(jwtDenyKey({ jti, iss: iss as string | undefined })).toBe(JSON.stringify([iss ?? null, jti]));
      }
    }
  });
});
