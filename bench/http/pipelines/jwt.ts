import { credentialsWithJwt, issueJwt, jwtBearer, requireSession, shapes } from "#bench/library";
import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import { benchUserId } from "../sessions.js";
import type { FloorSession } from "../floor/sessions.js";
import type { FloorRoute, FloorEnv, Pipeline } from "../types.js";
import { floorGuard, listThings, requireSessionPipeline } from "./require-session.js";

const secret = "bench-jwt-secret-that-is-long-enough-for-hs256";
const jwt = jwtBearer({ algorithms: ["HS256"], secret });

const TOKENS = 1_000;

function jwtRows(): string[][] {
  return Array.from({ length: TOKENS }, (_, i) => [issueJwt({ sub: benchUserId(i) }, { algorithm: "HS256", secret, expiresIn: "1h" }).token]);
}

function base64urlJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The least an HS256 guard with a deny-list does: the header's algorithm read, the HMAC recomputed and compared
 * in constant time, the claims parsed and `exp` checked, the token's `jti` and its user's cut-off looked up.
 */
function jwtFloor({ users }: FloorEnv): FloorRoute {
  const key = createSecretKey(Buffer.from(secret));
  const deniedJtis = new Set<string>();
  const issuedBefore = new Map<string, number>();
  function verify(token: string): FloorSession | undefined {
    const [header, payload, signature, extra] = token.split(".");
    if (header === undefined || payload === undefined || signature === undefined || extra !== undefined) return undefined;
    const alg = (base64urlJson(header) as { alg?: unknown } | undefined)?.alg;
    if (alg !== "HS256") return undefined;
    const expected = createHmac("sha256", key).update(`${header}.${payload}`, "latin1").digest();
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = base64urlJson(payload) as { sub?: unknown; jti?: unknown; iat?: unknown; exp?: unknown } | undefined;
    const { sub, jti, iat, exp } = claims ?? {};
    if (typeof sub !== "string" || typeof jti !== "string" || typeof iat !== "number" || typeof exp !== "number" || exp * 1000 <= Date.now()) return undefined;
    if (deniedJtis.has(jti) || iat * 1000 < (issuedBefore.get(sub) ?? 0)) return undefined;
    return { id: jti, userId: sub, expiresAt: exp * 1000, tokenHash: "" };
  }
  const rows = jwtRows();
  return { handlers: [floorGuard(users, verify), listThings], feed: () => ({ rows, cycle: true }) };
}

/** `requireSession` with the `jwtBearer` credential: verify the signature, then one deny-list read in the store. */
export const jwtGuardPipeline: Pipeline = {
  ...requireSessionPipeline,
  id: "require-session-jwt",
  title: "requireSession with a JWT (verify + deny-list)",
  handlers: ({ store, users }) => [requireSession({ store, users, credentials: credentialsWithJwt(shapes.problem, jwt) }), listThings],
  floor: { does: "verify the HS256 signature and claims, look up the deny-list and the user, next()", start: jwtFloor },
  feed() {
    return Promise.resolve({ rows: jwtRows(), cycle: true });
  },
};
