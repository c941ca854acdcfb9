import type { Express } from "express";
import { browserLogoutFlow, shapes, whoAmI, type BrowserLogoutFlowOptions, type CompleteSessionStore } from "../../src/index.js";
import type { ExpressFactory } from "./express.js";
import { demoUsers } from "./fixture.js";

export const SECRET = "logout-token-secret-for-tests-0123456789";
export const SESSION_INACTIVE =
  '{"error":{"id":"session_inactive","code":401,"status":"Unauthorized","reason":"No active session was found in this request.","message":"request does not have a valid authentication session"}}';
export const NO_VALID_SESSION_COOKIE =
  '{"error":{"code":401,"status":"Unauthorized","reason":"No valid session cookie found.","message":"The request could not be authorized"}}';
export const TOKEN_MISSING =
  '{"error":{"code":400,"status":"Bad Request","reason":"Please include a token in the URL query.","message":"The request was malformed or contained invalid parameters"}}';
export const TOKEN_MISMATCH =
  '{"error":{"code":403,"status":"Forbidden","reason":"Unable to log out because the logout token in the URL query does not match the session cookie.","message":"The requested action was forbidden"}}';
export const NATIVE_TOKEN_INVALID =
  '{"error":{"code":403,"status":"Forbidden","reason":"The provided Ory Session Token could not be found, is invalid, or otherwise malformed.","message":"The requested action was forbidden"}}';
export const CANNOT_REVOKE_CURRENT = '{"error":{"code":400,"status":"Bad Request","message":"cannot revoke current session"}}';
/** The refusal body for a `return_to`, already JSON-escaped as it appears on the wire (`\"…\"` around it). */
export function returnToForbidden(quoted: string): string {
  return `{"error":{"id":"self_service_flow_return_to_forbidden","code":400,"status":"Bad Request","reason":"Requested return_to URL \\"${quoted}\\" is not allowed.","message":"The request was malformed or contained invalid parameters"}}`;
}
export function badRequest(reason: string): string {
  return JSON.stringify({ error: { code: 400, status: "Bad Request", reason, message: "The request was malformed or contained invalid parameters" } });
}

/** Built once: the directory hashes its demo passwords with scrypt. */
const users = demoUsers();

export const cookieOf = (token: string) => `ory_kratos_session=${token}`;

/** Mounts every Kratos route of the flow on its seed path. */
export function kratosApp(express: ExpressFactory, store: CompleteSessionStore, extra: Partial<BrowserLogoutFlowOptions> = {}, before?: (app: Express) => void) {
  const app = express();
  before?.(app);

  const flow = browserLogoutFlow({
    store,
    users,
    publicUrl: "https://auth.example.com",
    secrets: [SECRET],
    returnTo: { allow: ["https://app.example.com/"] },
    ...extra,
  });
  app.get("/sessions/whoami", whoAmI({ store, users, shape: shapes.kratos, credentials: flow.credentials }));
  app.get("/self-service/logout/browser", flow.create);
  app.get("/self-service/logout", flow.logout);
  app.delete("/self-service/logout/api", flow.native);
  app.get("/sessions", flow.listOtherSessions);
  app.delete("/sessions", flow.endOtherSessions);
  app.delete("/sessions/:id", flow.endSession);
  return { app, flow };
}

