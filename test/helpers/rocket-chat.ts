import { generate } from "otplib";
import {
  LogoutEvents,
  bodySessionId,
  createLogoutHandler,
  issueSession,
  listSessions,
  querySessionId,
  requirePermission,
  requireTotp,
  sessionInfo,
  shapes,
  whoAmI,
  type RequireTotpOptions,
  type CompleteSessionStore,
  type UserDirectory,
  type UserRecord,
} from "../../src/index.js";
import type { ExpressFactory } from "./express.js";

/** The demo administrator's TOTP secret (base32, 20 bytes). */
export const ADMIN_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/** A directory whose permissions and secrets a test can change between requests, and that counts its calls. */
export class TestDirectory implements UserDirectory {
  readonly users = new Map<string, UserRecord>();
  readonly permissions = new Map<string, Set<string>>();
  readonly secrets = new Map<string, string>();
  readonly permissionChecks: { userId: string; permission: string }[] = [];
  readonly secretReads: string[] = [];

  constructor() {
    this.add({ id: "admin", username: "admin", email: "admin@example.com", firstName: "Ada", lastName: "Admin", groups: ["admin"] }, ["logout-device-management"], ADMIN_SECRET);
    this.add({ id: "alice", username: "alice", email: "alice@example.com", firstName: "Alice", lastName: "Liddell", groups: ["user"] });
    this.add({ id: "bob", username: "bob", groups: ["user"] });
  }

  add(user: UserRecord, permissions: readonly string[] = [], secret?: string): void {
    this.users.set(user.id, user);
    this.permissions.set(user.id, new Set(permissions));
    if (secret === undefined) this.secrets.delete(user.id);
    else this.secrets.set(user.id, secret);
  }

  grant(userId: string, permission: string): void {
    this.permissions.get(userId)?.add(permission);
  }

  revoke(userId: string, permission: string): void {
    this.permissions.get(userId)?.delete(permission);
  }

  findUser(userId: string): Promise<UserRecord | undefined> {
    return Promise.resolve(this.users.get(userId));
  }

  hasPermission(user: UserRecord, permission: string): Promise<boolean> {
    this.permissionChecks.push({ userId: user.id, permission });
    return Promise.resolve(this.permissions.get(user.id)?.has(permission) ?? false);
  }

  totpSecret(user: UserRecord): Promise<string | undefined> {
    this.secretReads.push(user.id);
    return Promise.resolve(this.secrets.get(user.id));
  }
}

/** The TOTP code of `secret` for a time step relative to the current one (server clock, 30 s steps). */
export function codeAt(secret: string, stepOffset = 0, nowMs = Date.now()): Promise<string> {
  const step = Math.floor(nowMs / 30_000) + stepOffset;
  return generate({ secret, epoch: step * 30 });
}

/** A code that is certainly wrong now: not the code of any step in the ±1 window. */
export async function wrongCode(secret: string, nowMs = Date.now()): Promise<string> {
  const valid = new Set(await Promise.all([-1, 0, 1].map((d) => codeAt(secret, d, nowMs))));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, "0");
    if (!valid.has(candidate)) return candidate;
  }
}

export interface RocketChatAppOptions {
  readonly store: CompleteSessionStore;
  readonly users: UserDirectory;
  readonly events?: LogoutEvents;
  readonly totp?: Partial<Pick<RequireTotpOptions, "window" | "maxFailures" | "failureWindowMs" | "digits" | "period" | "algorithm">>;
  readonly timeoutMs?: number;
}

/** Every Rocket.Chat route, mounted the way the README shows, on the given Express major. */
export function rocketChatApp(express: ExpressFactory, options: RocketChatAppOptions) {
  const app = express();
  const common = {
    store: options.store,
    users: options.users,
    events: options.events ?? new LogoutEvents(),
    shape: shapes.rocketChat,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs, retryAfterSeconds: 7 }),
  };
  const sessionId = bodySessionId("sessionId");
  app.post(
    "/api/v1/sessions/logout",
    express.json(),
    requirePermission("logout-device-management", { ...common, validate: sessionId }),
    requireTotp({ ...common, ...options.totp }),
    createLogoutHandler({ ...common, target: sessionId }),
  );
  app.post("/api/v1/sessions/logout.me", express.json(), createLogoutHandler({ ...common, target: sessionId, ownSessionsOnly: true }));
  app.get("/api/v1/sessions/list", listSessions(common));
  app.get("/api/v1/sessions/info", sessionInfo({ ...common, sessionId: querySessionId("sessionId") }));
  app.post("/api/v1/logout", createLogoutHandler(common));
  app.get("/api/v1/me", whoAmI(common));
  return app;
}

/** Logs a user in: a real session, its token handed back once, with the headers Rocket.Chat clients send. */
export async function rcLogin(store: CompleteSessionStore, userId: string, userAgent?: string) {
  const issued = await issueSession(store, { userId, authenticationSource: "rocket.chat", ip: "203.0.113.7", ...(userAgent === undefined ? {} : { userAgent }) });
  return { ...issued, headers: { "X-User-Id": userId, "X-Auth-Token": issued.token } };
}
