import { credentialsWithJwt, issueJwt, jwtBearer, requireSession, shapes } from "#bench/library";
import { benchUserId } from "../sessions.js";
import type { Pipeline } from "../types.js";
import { listThings, requireSessionPipeline } from "./require-session.js";

const secret = "bench-jwt-secret-that-is-long-enough-for-hs256";
const jwt = jwtBearer({ algorithms: ["HS256"], secret });

/** `requireSession` with the `jwtBearer` credential: verify the signature, then one deny-list read in the store. */
export const jwtGuardPipeline: Pipeline = {
  ...requireSessionPipeline,
  id: "require-session-jwt",
  title: "requireSession with a JWT (verify + deny-list)",
  handlers: ({ store, users }) => [requireSession({ store, users, credentials: credentialsWithJwt(shapes.problem, jwt) }), listThings],
  feed() {
    const rows = Array.from({ length: 1_000 }, (_, i) => [issueJwt({ sub: benchUserId(i) }, { algorithm: "HS256", secret, expiresIn: "1h" }).token]);
    return Promise.resolve({ rows, cycle: true });
  },
};
