export { credentialsWithJwt, jwtBearer, type JwtBearerOptions, type JwtCredentialSource, type JwtLocation } from "./bearer.js";
export { DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS, DEFAULT_MAX_JWT_LIFETIME_MS, issuedAtMs, type JwtClaims } from "./claims.js";
export { issueJwt, type IssueJwtOptions, type IssuedJwt } from "./issue.js";
export { jwtAlgorithms, type JwtAlgorithm, type JwtKeyMaterial, type JwtKeyRequest, type JwtKeyResolver } from "./keys.js";
export { revokeJwt, revokeUserJwts, type JwtRevocationOptions } from "./revoke.js";
export { getJwtClaims, jwtDenyKey, type JwtPrincipal } from "./revocation.js";
export type { JwtVerifierOptions } from "./verifier.js";
