import { LogoutError } from "../../errors.js";
import { checkKnownOptions, isHttpToken, optionNames, SetupError } from "../../options/index.js";
import { assertSessionStore, assertStoreCapabilities } from "../../store/capabilities.js";
import type { CredentialSource, JwtRevocationStore, PresentedCredential, SessionStore, Shape } from "../../types.js";
import { bearerToken, cookieToken } from "../index.js";
import { COMPACT_JWS, isClaimString, isRecord, type JwtClaims } from "./claims.js";
import { cutOff, deniedUntil, jwtDenyKey, resolveJwt, type JwtStore } from "./revocation.js";
import { jwtVerifier, type JwtVerifierOptions } from "./verifier.js";

/** Where the token travels. */
export type JwtLocation =
  | "authorization"
  | {
      /** The cookie's name. */
      readonly cookie: string;
      /** Read it from `req.signedCookies` (cookie-parser with a secret). */
      readonly signed?: boolean;
    };

export interface JwtBearerOptions extends JwtVerifierOptions {
  /**
   * Where the token is read.
   * @defaultValue `"authorization"` (`Authorization: Bearer <jwt>`); or `{ cookie: name }`
   */
  readonly from?: JwtLocation;
  /**
   * When the value found is not shaped like a JWT, leave it to the next credential source (an opaque session
   * token) instead of refusing it.
   * @defaultValue `false`
   */
  readonly fallThrough?: boolean;
}

const JWT_BEARER_OPTIONS = optionNames<JwtBearerOptions>({
  algorithms: true,
  secret: true,
  publicKey: true,
  key: true,
  issuer: true,
  audience: true,
  clockToleranceSeconds: true,
  maxTokenLifetimeMs: true,
  from: true,
  fallThrough: true,
});

/** A credential source for JWTs, with the token operations that must agree with its verification. */
export interface JwtCredentialSource extends CredentialSource {
  /** The name of the source this one stands in for in a shape's list: `"bearer"` or `"cookie:<name>"`. */
  readonly replaces: string;
  /** Whether a request without a token here is left to the next source (`JwtBearerOptions.fallThrough`). */
  readonly fallThrough: boolean;
  /** The claims of a token that verifies (signature, algorithm, `iss`, `aud`, `exp`, `nbf`, required claims), or `undefined`. No store call. */
  verify(token: string): JwtClaims | undefined;
  /** Refuses this token (by its `jti`) everywhere until it expires. Answers `false` for a token that does not verify. */
  revoke(store: SessionStore & JwtRevocationStore, token: string): Promise<boolean>;
  /** Refuses every token of the user issued up to now (logout everywhere, from an admin tool). */
  revokeUser(store: SessionStore & JwtRevocationStore, userId: string): Promise<void>;
}

/**
 * A credential source for JWTs issued by the host (with `issueJwt` or jsonwebtoken 9). Logout really ends a
 * token: its `jti` is denied in the store until it expires, and "log out everywhere" sets a per-user cut-off.
 *
 * Per request: a synchronous verification (no I/O), then one store call (`jwtRevocation`) for a token that
 * verifies; a token that does not verify costs no store call at all. Pass it to the factories in `credentials`,
 * for example `credentials: credentialsWithJwt(shapes.endor, jwt)`.
 *
 * A token is refused unless it carries `sub`, `jti`, `iat` and `exp`, its `iat` is not in the future, and
 * `exp - iat` is at most `maxTokenLifetimeMs`.
 */
export function jwtBearer(options: Readonly<JwtBearerOptions>): JwtCredentialSource {
  const factory = "jwtBearer";
  checkKnownOptions(factory, options, JWT_BEARER_OPTIONS);
  const { verify, policy } = jwtVerifier(factory, options);
  const fallThrough = options.fallThrough ?? false;
  if (typeof fallThrough !== "boolean") throw new SetupError("option-invalid", `${factory} \`fallThrough\` must be a boolean.`);
  const from = options.from ?? "authorization";
  let inner: CredentialSource;
  if (from === "authorization") {
    inner = bearerToken();
  } else if (isRecord(from) && isHttpToken(from.cookie)) {
    inner = cookieToken(from.cookie, { signed: from.signed === true });
  } else {
    throw new SetupError("option-invalid", `${factory} \`from\` must be "authorization" or \`{ cookie: "<cookie name>" }\`.`);
  }
  const name = `jwt:${inner.name}`;

  const refusal = (): PresentedCredential => ({ kind: "invalid", source: name, error: new LogoutError("unauthenticated", "malformed token") });

  return {
    name,
    // Logout denies the token's `jti` and sets cut-offs; it tells concurrent logouts apart with a marker.
    needs: ["jwt-revocation", "markers"],
    replaces: inner.name,
    fallThrough,
    read(req) {
      const found = inner.read(req);
      if (found === undefined || found.kind === "invalid") return found;
      if (found.kind !== "session-token") return undefined;
      const token = found.token;
      if (!COMPACT_JWS.test(token)) return fallThrough ? undefined : refusal();
      return {
        kind: "resolved",
        source: name,
        resolve: (store: SessionStore) => {
          const claims = verify(token);
          return claims === undefined ? Promise.resolve(undefined) : resolveJwt(store, claims, policy);
        },
      };
    },
    verify,
    async revoke(store, token) {
      assertJwtStore(store, "revoke");
      const claims = verify(token);
      if (claims === undefined) return false;
      await store.denyJwt(claims.sub, jwtDenyKey(claims), deniedUntil(claims, policy.toleranceSeconds));
      return true;
    },
    async revokeUser(store, userId) {
      assertJwtStore(store, "revokeUser");
      if (!isClaimString(userId)) throw new SetupError("option-invalid", "revokeUser needs the user id (a token's `sub`).");
      await cutOff(store, userId, policy);
    },
  };
}

function assertJwtStore(store: unknown, operation: string): asserts store is JwtStore {
  assertSessionStore(store);
  assertStoreCapabilities(store, ["jwt-revocation"], `jwtBearer's \`${operation}\``);
}

/**
 * A shape's credential list with the JWT source in place of the one it stands in for (the bearer header, or the
 * cookie of the same name); with `fallThrough`, the JWT source goes just before it instead. A shape without
 * such a source gets the JWT source first. Nothing here depends on which shape it is.
 */
export function credentialsWithJwt(shape: Shape | readonly CredentialSource[], jwt: JwtCredentialSource): CredentialSource[] {
  const list: readonly CredentialSource[] = "ended" in shape ? shape.credentials : shape;
  const index = list.findIndex((source) => source.name === jwt.replaces);
  if (index === -1) return [jwt, ...list];
  return [...list.slice(0, index), jwt, ...list.slice(jwt.fallThrough ? index : index + 1)];
}
