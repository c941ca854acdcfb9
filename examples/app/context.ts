import type { NextFunction, Request, RequestHandler, Response } from "express";
import { rateLimit, ipKeyGenerator } from "express-rate-limit";
import { issueSession, withDeadline, type LogoutEvents, type CompleteSessionStore } from "../../src/index.js";
import type { DemoDirectory } from "./demo.js";

/** What every product's routes of the example app share. */
export interface ExampleContext {
  readonly store: CompleteSessionStore;
  readonly users: DemoDirectory;
  readonly events: LogoutEvents;
  /** Absolute session lifetime in ms (24 h). */
  readonly sessionTtlMs: number;
  /** Idle timeout of a session in ms (30 min, `SESSION_IDLE_TIMEOUT_MS`): a session nobody uses for this long ends. */
  readonly sessionIdleTimeoutMs: number;
  /** The app's public origin, e.g. `http://127.0.0.1:3000`. */
  readonly publicUrl: string;
  /** Extra `return_to` prefixes the browser logout flow allows besides the app's own origin. */
  readonly returnToAllow: readonly string[];
  /** The failed-login limit every login route shares (`loginRateLimit`). */
  readonly loginLimit: RequestHandler;
}

/**
 * Opens a session for a login: a new session every time, device from the User-Agent, IP from the request. A
 * store that fails or does not answer in time is a `store-unavailable` LogoutError (and a `store.error`
 * event), which the app answers 503 like the library's routes.
 */
export function openSession(ctx: ExampleContext, req: Request, userId: string, authenticationSource: string, extra: { apiKeyId?: string; tenant?: string; tokenPrefix?: string } = {}) {
  // Under the library's deadline, like its own routes: a frozen store answers 503 in 2 s, never hangs the login.
  return withDeadline("createSession", () => issueSession(ctx.store, {
    userId,
    lifetimeMs: ctx.sessionTtlMs,
    idleTimeoutMs: ctx.sessionIdleTimeoutMs,
    authenticationSource,
    // A login with the password records it as the session's first authentication method.
    ...(authenticationSource === "password" ? { method: "password" } : {}),
    ...extra,
    ...(req.ip === undefined ? {} : { ip: req.ip }),
    ...(req.headers["user-agent"] === undefined ? {} : { userAgent: req.headers["user-agent"] }),
  }), { events: ctx.events });
}

/** A store or directory call of the app's own routes, under the library's deadline (2 s, then a 503). */
export function deadline<T>(ctx: ExampleContext, operation: string, call: () => Promise<T>): Promise<T> {
  return withDeadline(operation, call, { events: ctx.events });
}

/**
 * Login answers carry a token: no cache (a browser's, a proxy's) may keep them. Mounted first on every login
 * route, so a refusal is `no-store` too.
 */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader("Cache-Control", "no-store");
  next();
}

/**
 * Failed logins per client address and username, over every login route together: 10 in 15 minutes, then 429
 * with `Retry-After`. Successful
 * logins are not counted, so a user who types the right password is never held up by their own address.
 * Password checks are the one guessing oracle the library cannot throttle for the host.
 */
export function loginRateLimit(): RequestHandler {
  return rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 10,
    skipSuccessfulRequests: true,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? "")}|${loginName(req)}`,
    handler: (_req, res) => {
      res.status(429).type("application/json").send(JSON.stringify({ error: "too many failed logins, try again later" }));
    },
  });
}

/** An async route body as Express 4 and 5 handler: a failure goes to `next`, exactly once. */
export function route(fn: (req: Request, res: Response) => Promise<void>) {
  return function exampleRoute(req: Request, res: Response, next: NextFunction): void {
    fn(req, res).catch(next);
  };
}

/** The name a login tries (`username`, Rocket.Chat's `user`, or an API key id), for the rate limit's key. */
function loginName(req: Request): string {
  const body = (typeof req.body === "object" && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const name = body.username ?? body.user ?? body.key;
  return typeof name === "string" ? name.slice(0, 256) : "";
}
