import express, { type Express } from "express";
import cookieParser from "cookie-parser";
import { LogoutEvents, isLogoutError, type CompleteSessionStore, type SessionWatcher } from "../../src/index.js";
import { loginRateLimit, type ExampleContext } from "./context.js";
import { DemoDirectory, demoConfig, type DemoConfig } from "./demo.js";
import { mountEndor } from "./endor.js";
import { mountRocketChat } from "./rocket-chat.js";
import { mountKratos } from "./kratos.js";
import { mountKratosAdmin } from "./kratos-admin.js";
import { mountAccount } from "./account.js";
import { mountLive } from "./live.js";
import { mountPage } from "./page.js";
import { mountAdminPage } from "./admin-page.js";
import { mountSoajs } from "./soajs.js";

export interface ExampleAppOptions {
  readonly store: CompleteSessionStore;
  readonly publicUrl: string;
  readonly config?: DemoConfig;
  readonly returnToAllow?: readonly string[];
  readonly events?: LogoutEvents;
  /** Idle timeout of every session, in ms. Default 30 minutes. */
  readonly sessionIdleTimeoutMs?: number;
}

/**
 * The example app: every product's routes on their seed paths, on one store. `live` watches the sessions behind
 * the page's live streams (close it when the server stops); it is `undefined` for a store without the
 * revocation feed.
 */
export function createExampleApp(options: ExampleAppOptions): { app: Express; ctx: ExampleContext; live: SessionWatcher | undefined } {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");
  app.use(cookieParser());
  const ctx: ExampleContext = {
    store: options.store,
    users: new DemoDirectory(options.config ?? demoConfig()),
    events: options.events ?? new LogoutEvents(),
    sessionTtlMs: 24 * 60 * 60 * 1000,
    sessionIdleTimeoutMs: options.sessionIdleTimeoutMs ?? 30 * 60 * 1000,
    publicUrl: options.publicUrl,
    returnToAllow: options.returnToAllow ?? ["https://app.example.com/"],
    loginLimit: loginRateLimit(),
  };
  mountEndor(app, ctx);
  mountSoajs(app, ctx);
  mountRocketChat(app, ctx);
  const flow = mountKratos(app, ctx);
  mountKratosAdmin(app, ctx);
  mountAccount(app, ctx, flow);
  const live = mountLive(app, ctx, flow);
  mountPage(app, ctx, flow, live !== undefined);
  mountAdminPage(app, ctx, flow);
  // A malformed body (bad JSON, too large) is a client error, never a 500 with a stack trace; a store that fails
  // during a login is a 503 with Retry-After, as the library answers it.
  app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (isLogoutError(error) && error.code === "store-unavailable") {
      res.status(503).set({ "Retry-After": String(error.details.retryAfterSeconds ?? 5), "Cache-Control": "no-store" }).type("application/json").send(JSON.stringify({ error: "service unavailable" }));
      return;
    }
    const status = typeof error === "object" && error !== null && "status" in error && typeof error.status === "number" && error.status < 500 ? error.status : 500;
    res.status(status).type("application/json").send(JSON.stringify({ error: status === 500 ? "internal error" : "bad request" }));
  });
  return { app, ctx, live };
}
