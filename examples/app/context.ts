import type { NextFunction, Request, Response } from "express";
import { LogoutError, issueSession, type LogoutEvents, type CompleteSessionStore } from "../../src/index.js";
import type { DemoDirectory } from "./demo.js";

/** What every product's routes of the example app share. */
export interface ExampleContext {
  readonly store: CompleteSessionStore;
  readonly users: DemoDirectory;
  readonly events: LogoutEvents;
  /** Session lifetime in ms (24 h). */
  readonly sessionTtlMs: number;
  /** The app's public origin, e.g. `http://127.0.0.1:3000`. */
  readonly publicUrl: string;
  /** Extra `return_to` prefixes the browser logout flow allows besides the app's own origin. */
  readonly returnToAllow: readonly string[];
}

/**
 * Opens a session for a login: a new session every time, device from the User-Agent, IP from the request. A
 * store that fails is a `store-unavailable` LogoutError, which the app answers 503 like the library's routes.
 */
export async function openSession(ctx: ExampleContext, req: Request, userId: string, authenticationSource: string, extra: { apiKeyId?: string; tenant?: string; tokenPrefix?: string } = {}) {
  try {
    return await issueSession(ctx.store, {
      userId,
      ttlMs: ctx.sessionTtlMs,
      authenticationSource,
      ...extra,
      ...(req.ip === undefined ? {} : { ip: req.ip }),
      ...(req.headers["user-agent"] === undefined ? {} : { userAgent: req.headers["user-agent"] }),
    });
  } catch (cause) {
    ctx.events.emit("store.error", { operation: "createSession", message: "createSession failed", at: Date.now() });
    throw new LogoutError("store-unavailable", "createSession failed", { retryAfterSeconds: 5 }, { cause });
  }
}

/** An async route body as Express 4 and 5 handler: a failure goes to `next`, exactly once. */
export function route(fn: (req: Request, res: Response) => Promise<void>) {
  return function exampleRoute(req: Request, res: Response, next: NextFunction): void {
    fn(req, res).catch(next);
  };
}
