import type { Express } from "express";
import request from "supertest";
import { createExampleApp } from "../../examples/app/index.js";
import { demoConfig } from "../../examples/app/demo.js";
import type { ExampleContext } from "../../examples/app/context.js";
import { LogoutEvents, encodeSoajsAuth, issueSession, allStoreMethods, type LogoutEventMap, type LogoutEventName, type SessionRecord, type CompleteSessionStore } from "../../src/index.js";
import { RecordingStore } from "./store.js";

export const eventNames = ["session.ended", "sessions.ended", "logout.refused", "totp.failed", "totp.replayed", "store.error"] as const satisfies readonly LogoutEventName[];

/** The demo data, never taken from the environment. */
export const demo = demoConfig({});
export const TENANT_KEY = demo.tenantKey;

export interface SeenEvent {
  readonly name: LogoutEventName;
  readonly event: LogoutEventMap[LogoutEventName];
}

export interface Harness {
  readonly app: Express;
  readonly ctx: ExampleContext;
  /** Where the sessions really live (a RecordingStore unless a store was given). */
  readonly base: RecordingStore;
  readonly events: SeenEvent[];
  /** Opens a session straight in the store: `{ token, session }`. */
  login(userId: string, extra?: { apiKeyId?: string; ttlMs?: number }): Promise<{ token: string; session: SessionRecord; userId: string }>;
  ended(): LogoutEventMap["session.ended"][];
}

/**
 * The example app (every product's routes, one store) on a RecordingStore, with every event kept. `wrap` puts a
 * store in front of the recording one (a faulty or slow store), the app sees the wrapper.
 */
export function exampleHarness(options: { wrap?: (base: RecordingStore) => CompleteSessionStore; publicUrl?: string } = {}): Harness {
  const base = new RecordingStore();
  const store = options.wrap === undefined ? base : options.wrap(base);
  const events = new LogoutEvents();
  const seen: SeenEvent[] = [];
  for (const name of eventNames) events.on(name, (event) => seen.push({ name, event }));
  const { app, ctx } = createExampleApp({ store, config: demo, events, publicUrl: options.publicUrl ?? "http://127.0.0.1:3000" });
  return {
    app,
    ctx,
    base,
    events: seen,
    async login(userId, extra = {}) {
      const { token, session } = await issueSession(base, { userId, authenticationSource: "login", ...extra });
      return { token, session, userId };
    },
    ended: () => seen.filter((e) => e.name === "session.ended").map((e) => e.event as LogoutEventMap["session.ended"]),
  };
}

/** The credential headers of each product for a token. */
export const credentials = {
  endor: (token: string) => ({ Authorization: `Bearer ${token}` }),
  soajs: (token: string) => ({ key: TENANT_KEY, soajsauth: encodeSoajsAuth(token) }),
  rocketChat: (userId: string, token: string) => ({ "X-User-Id": userId, "X-Auth-Token": token }),
  kratosCookie: (token: string) => ({ Cookie: `ory_kratos_session=${token}` }),
  kratosHeader: (token: string) => ({ "X-Session-Token": token }),
};

export interface Caller {
  readonly token: string;
  readonly userId: string;
}

/** One way of ending one's own session in the example app, with the who-am-I route of the same product. */
export interface SelfLogout {
  readonly name: string;
  /** The status of a successful logout. */
  readonly success: number;
  /** Sends the logout as `caller`, or with no credential at all. */
  send(app: Express, caller: Caller | undefined): Promise<request.Response>;
  /** Asks the product's who-am-I route as `caller`. */
  whoAmI(app: Express, caller: Caller): Promise<request.Response>;
}

/** The logout token of a Kratos session, asked of the flow the way a browser app does. */
export async function kratosLogoutToken(app: Express, token: string): Promise<string> {
  const res = await request(app).get("/self-service/logout/browser").set(credentials.kratosCookie(token));
  return (res.body as { logout_token?: string }).logout_token as string;
}

export const selfLogouts: readonly SelfLogout[] = [
  {
    name: "Endor GET /v1/auth/:source/logout",
    success: 200,
    send: (app, caller) => request(app).get("/v1/auth/login/logout").set(caller === undefined ? {} : credentials.endor(caller.token)),
    whoAmI: (app, caller) => request(app).get("/v1/auth").set(credentials.endor(caller.token)),
  },
  {
    name: "SOAJS GET /urac/logout",
    success: 200,
    send: (app, caller) => request(app).get("/urac/logout").set(caller === undefined ? { key: TENANT_KEY } : credentials.soajs(caller.token)),
    whoAmI: (app, caller) => request(app).get("/urac/account").set(credentials.soajs(caller.token)),
  },
  {
    name: "Rocket.Chat POST /api/v1/logout",
    success: 200,
    send: (app, caller) => request(app).post("/api/v1/logout").set(caller === undefined ? {} : credentials.rocketChat(caller.userId, caller.token)),
    whoAmI: (app, caller) => request(app).get("/api/v1/me").set(credentials.rocketChat(caller.userId, caller.token)),
  },
  {
    name: "Kratos browser GET /self-service/logout",
    success: 303,
    async send(app, caller) {
      // Without a caller (or for a token the flow does not know), a token of the right form that belongs to no session.
      const token = (caller === undefined ? undefined : await kratosLogoutToken(app, caller.token)) ?? `ory_lo_${"A".repeat(43)}`;
      return request(app).get("/self-service/logout").query({ token }).set(caller === undefined ? {} : credentials.kratosCookie(caller.token));
    },
    whoAmI: (app, caller) => request(app).get("/sessions/whoami").set(credentials.kratosCookie(caller.token)),
  },
  {
    name: "Kratos native DELETE /self-service/logout/api",
    success: 204,
    send: (app, caller) =>
      request(app).delete("/self-service/logout/api").set("Content-Type", "application/json").send(JSON.stringify(caller === undefined ? {} : { session_token: caller.token })),
    whoAmI: (app, caller) => request(app).get("/sessions/whoami").set(credentials.kratosHeader(caller.token)),
  },
];

/** A store in front of `base` whose named methods fail (`throw` rejects, `hang` never settles) until healed. */
export interface SwitchableStore extends CompleteSessionStore {
  fail(mode: "throw" | "hang", ...methods: (keyof CompleteSessionStore)[]): void;
  heal(): void;
}

export function switchableStore(base: CompleteSessionStore): SwitchableStore {
  const failing = new Map<keyof CompleteSessionStore, "throw" | "hang">();
  const store = {
    fail(mode: "throw" | "hang", ...methods: (keyof CompleteSessionStore)[]) {
      for (const name of methods.length === 0 ? allStoreMethods : methods) failing.set(name, mode);
    },
    heal() {
      failing.clear();
    },
  } as SwitchableStore;
  for (const name of allStoreMethods) {
    const original = (base as unknown as Record<string, (...args: unknown[]) => unknown>)[name]!;
    (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const mode = failing.get(name);
      if (mode === "throw") return Promise.reject(new Error("ECONNREFUSED 127.0.0.1:6379"));
      if (mode === "hang") return new Promise(() => undefined);
      return original.apply(base, args);
    };
  }
  return store;
}
