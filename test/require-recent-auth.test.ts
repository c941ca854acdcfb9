import type { ErrorRequestHandler, Express, Request, RequestHandler } from "express";
import request from "supertest";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  LogoutEvents,
  MemorySessionStore,
  getAuthentication,
  issueSession,
  markAuthenticated,
  requireRecentAuth,
  requireSession,
  requireTotp,
  shapes,
  type LogoutEventMap,
  type RequireRecentAuthOptions,
  type SessionStore,
} from "../src/index.js";
import { expressVersions, type ExpressFactory } from "./helpers/express.js";
import { ADMIN_SECRET, TestDirectory, codeAt } from "./helpers/rocket-chat.js";
import { RecordingStore } from "./helpers/store.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2031, 0, 1, 9, 0, 0);
const clock = (minutes: number) => {
  vi.setSystemTime(T0 + minutes * MINUTE);
};
function startClock(): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  clock(0);
}

/** A sensitive route behind requireSession + requireRecentAuth, and the host's own password re-check. */
function app(express: ExpressFactory, store: SessionStore, recent: Partial<RequireRecentAuthOptions> = {}, events = new LogoutEvents()): Express {
  const a = express();
  const shape = recent.shape ?? shapes.problem;
  a.post("/sensitive", requireSession({ store, shape, events }), requireRecentAuth({ store, maxAgeMs: 5 * MINUTE, events, ...recent }), (req, res) => {
    res.json({ ok: true, authenticatedAt: getAuthentication(req)?.session.authenticatedAt });
  });
  a.post("/reauthenticate", requireSession({ store, shape, events }), (req: Request, res, next) => {
    // The host checked the password here; the library records the proof.
    if (req.headers["x-password"] !== "right") {
      res.status(400).json({ error: "wrong password" });
      return;
    }
    markAuthenticated(req, { method: "password" }).then((session) => res.json({ amr: session.amr }), next);
  });
  return a as Express;
}

describe.each(expressVersions)("requireRecentAuth ($name)", ({ express }) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lets a freshly logged-in session through and refuses it in problem+json once its login is older than maxAgeMs, changing nothing", async () => {
    startClock();
    const store = new RecordingStore();
    const a = app(express, store);
    const { token, session } = await issueSession(store, { userId: "alice", method: "password" });
    await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(200, { ok: true, authenticatedAt: T0 });
    clock(5.5);
    store.reset();
    const before = await store.snapshot("alice");
    const res = await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(401);
    expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.text).toBe(JSON.stringify({
      type: "https://express-logout.dev/errors/reauthentication-required",
      title: "Re-authentication required",
      status: 401,
      detail: "the last authentication of this session is older than 300 s",
      code: "reauthentication-required",
      availableMethods: ["password"],
      maxAgeSeconds: 300,
    }));
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("alice")).toEqual(before);
    expect((await store.getSession(session.id))?.authenticatedAt).toBe(T0);
    store.close();
  });

  it("judges freshness by authenticatedAt, never by creation: a host's password re-check makes a day-old session fresh", async () => {
    startClock();
    const store = new MemorySessionStore();
    const events = new LogoutEvents();
    const seen: LogoutEventMap["session.authenticated"][] = [];
    events.on("session.authenticated", (e) => seen.push(e));
    const a = app(express, store, {}, events);
    const { token, session } = await issueSession(store, { userId: "alice", method: "password", lifetimeMs: 48 * 60 * MINUTE });
    clock(24 * 60);
    await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(401);
    await request(a).post("/reauthenticate").set("Authorization", `Bearer ${token}`).set("X-Password", "wrong").expect(400);
    await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(401);
    await request(a).post("/reauthenticate").set("Authorization", `Bearer ${token}`).set("X-Password", "right").expect(200, { amr: ["password"] });
    await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(200, { ok: true, authenticatedAt: T0 + 24 * 60 * MINUTE });
    expect(await store.getSession(session.id)).toMatchObject({ createdAt: T0, authenticatedAt: T0 + 24 * 60 * MINUTE });
    expect(seen).toEqual([{ sessionId: session.id, userId: "alice", method: "password", at: T0 + 24 * 60 * MINUTE }]);
    clock(24 * 60 + 6);
    await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(401);
    store.close();
  });

  it("steps up with requireTotp: a stale request without a code is asked for one, a right code passes and keeps the session fresh", async () => {
    startClock();
    const store = new RecordingStore();
    const users = new TestDirectory();
    const stepUp = requireTotp({ store, users });
    const a = app(express, store, { stepUp });
    const { token, session } = await issueSession(store, { userId: "admin", method: "password" });
    clock(10);
    store.reset();
    const asked = await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(400);
    expect(asked.body).toMatchObject({ code: "totp-required", availableMethods: ["totp"] });
    expect(store.mutations).toEqual([]);
    const code = await codeAt(ADMIN_SECRET);
    await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).set("x-2fa-code", code).expect(200, { ok: true, authenticatedAt: T0 + 10 * MINUTE });
    expect(await store.getSession(session.id)).toMatchObject({ authenticatedAt: T0 + 10 * MINUTE, amr: ["password", "totp"] });
    clock(14);
    await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(200);
    store.close();
  });

  it("with methods, counts only a proof by one of them: a password re-check does not satisfy a route that asks for TOTP", async () => {
    startClock();
    const store = new MemorySessionStore();
    const a = app(express, store, { methods: ["totp"] });
    const { token, session } = await issueSession(store, { userId: "alice", method: "password" });
    await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(401);
    await request(a).post("/reauthenticate").set("Authorization", `Bearer ${token}`).set("X-Password", "right").expect(200);
    await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(401);
    await store.recordAuthentication(session.id, Date.now(), "totp");
    await request(a).post("/sensitive").set("Authorization", `Bearer ${token}`).expect(200);
    store.close();
  });

  describe("in the Kratos shape", () => {
    const refreshUrl = (req: Request) => `https://auth.example/self-service/login/browser?refresh=true&return_to=${encodeURIComponent(`https://app.example${req.originalUrl}`)}`;

    it("answers an API client 403 session_refresh_required with redirect_browser_to, byte for byte", async () => {
      startClock();
      const store = new RecordingStore();
      const a = app(express, store, { shape: shapes.kratos, reauthenticateUrl: refreshUrl });
      const { token } = await issueSession(store, { userId: "alice", method: "password" });
      clock(6);
      store.reset();
      const res = await request(a).post("/sensitive?x=1").set("X-Session-Token", token).set("Accept", "application/json").expect(403);
      expect(res.headers["content-type"]).toBe("application/json");
      expect(res.headers["ory-error-id"]).toBe("session_refresh_required");
      expect(res.text).toBe(JSON.stringify({
        error: {
          id: "session_refresh_required",
          code: 403,
          status: "Forbidden",
          reason: "The login session is too old and thus not allowed to update these fields. Please re-authenticate.",
          message: "The requested action was forbidden",
        },
        redirect_browser_to: "https://auth.example/self-service/login/browser?refresh=true&return_to=https%3A%2F%2Fapp.example%2Fsensitive%3Fx%3D1",
      }));
      expect(store.mutations).toEqual([]);
      store.close();
    });

    it("sends a browser to the refresh login with a 303, and falls back to Kratos' own path on this host", async () => {
      startClock();
      const store = new MemorySessionStore();
      const withUrl = app(express, store, { shape: shapes.kratos, reauthenticateUrl: refreshUrl });
      const fallback = app(express, store, { shape: shapes.kratos });
      const { token } = await issueSession(store, { userId: "alice" });
      clock(6);
      const browser = await request(withUrl).post("/sensitive").set("X-Session-Token", token).set("Accept", "text/html").expect(303);
      expect(browser.headers.location).toBe("https://auth.example/self-service/login/browser?refresh=true&return_to=https%3A%2F%2Fapp.example%2Fsensitive");
      const local = await request(fallback).post("/sensitive").set("X-Session-Token", token).set("Accept", "application/json").expect(403);
      expect((local.body as { redirect_browser_to: string }).redirect_browser_to).toBe("/self-service/login/browser?refresh=true&return_to=%2Fsensitive");
      store.close();
    });
  });

  describe("in the Rocket.Chat shape", () => {
    it("answers a stale session with its totp-required flow, and passes once the code is sent", async () => {
      startClock();
      const store = new RecordingStore();
      const users = new TestDirectory();
      const stepUp = requireTotp({ store, users, shape: shapes.rocketChat });
      const a = app(express, store, { shape: shapes.rocketChat, stepUp });
      const { token } = await issueSession(store, { userId: "admin" });
      clock(6);
      store.reset();
      const headers = { "X-User-Id": "admin", "X-Auth-Token": token };
      const asked = await request(a).post("/sensitive").set(headers).expect(400);
      expect(asked.text).toBe(JSON.stringify({
        success: false,
        error: "TOTP Required [totp-required]",
        errorType: "totp-required",
        details: { method: "totp", codeGenerated: false, availableMethods: ["totp"] },
      }));
      expect(store.mutations).toEqual([]);
      await request(a).post("/sensitive").set(headers).set("x-2fa-code", await codeAt(ADMIN_SECRET)).expect(200);
      await request(a).post("/sensitive").set(headers).expect(200);
      store.close();
    });

    it("asks a user without TOTP for the password, in the same flow", async () => {
      startClock();
      const store = new MemorySessionStore();
      const a = app(express, store, { shape: shapes.rocketChat });
      const { token } = await issueSession(store, { userId: "alice" });
      clock(6);
      const asked = await request(a).post("/sensitive").set({ "X-User-Id": "alice", "X-Auth-Token": token }).expect(400);
      expect(asked.text).toBe(JSON.stringify({
        success: false,
        error: "TOTP Required [totp-required]",
        errorType: "totp-required",
        details: { method: "password", codeGenerated: false, availableMethods: ["password"] },
      }));
      store.close();
    });
  });

  it("refuses a request with no session in the shape, before any freshness question", async () => {
    const store = new RecordingStore();
    const a = express();
    a.post("/sensitive", requireRecentAuth({ store }), (_req, res) => res.json({ ok: true }));
    const res = await request(a).post("/sensitive").expect(401);
    expect((res.body as { code: string }).code).toBe("unauthenticated");
    expect(store.mutations).toEqual([]);
    store.close();
  });
});

describe("requireRecentAuth and markAuthenticated setup", () => {
  const store = new MemorySessionStore();
  it.each([
    [{ maxAgeMs: 0 }, /maxAgeMs/],
    [{ methods: [] }, /methods/],
    [{ methods: ["TOTP code"] }, /methods/],
    [{ stepUp: "requireTotp" }, /stepUp/],
    [{ reauthenticateUrl: 42 }, /reauthenticateUrl/],
    [{ maxAge: 1000 }, /Did you mean `maxAgeMs`/],
  ])("refuses %o with a TypeError that says what to do", (options, message) => {
    expect(() => requireRecentAuth({ store, ...(options as object) })).toThrow(message);
  });

  it("refuses a store that cannot record a step-up, since no session could become fresh again", () => {
    const { recordAuthentication: _drop, ...rest } = Object.fromEntries(
      Object.getOwnPropertyNames(MemorySessionStore.prototype).map((name) => [name, (store as unknown as Record<string, unknown>)[name]]),
    ) as Record<string, unknown>;
    const bound = Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v === "function").map(([k, v]) => [k, (v as (...a: unknown[]) => unknown).bind(store)]));
    expect(() => requireRecentAuth({ store: bound as unknown as SessionStore })).toThrow(/recordAuthentication/);
  });

  it("markAuthenticated refuses a request nobody authenticated, and a method that is not a plain name without writing it", async () => {
    const recording = new RecordingStore();
    const { token, session } = await issueSession(recording, { userId: "alice" });
    recording.reset();
    const errors: unknown[] = [];
    const a = expressVersions[0].express();
    a.post("/reauthenticate", requireSession({ store: recording }), ((req, res, next) => {
      markAuthenticated(req, { method: "Pass, Word" }).then(() => res.json({ ok: true }), next);
    }) as RequestHandler);
    a.post("/unauthenticated", ((req, res, next) => {
      markAuthenticated(req, { method: "password" }).then(() => res.json({ ok: true }), next);
    }) as RequestHandler);
    a.use(((error: unknown, _req, res, _next) => {
      errors.push(error);
      res.status(500).end();
    }) as ErrorRequestHandler);
    await request(a).post("/reauthenticate").set("Authorization", `Bearer ${token}`).expect(500);
    expect(String(errors[0])).toMatch(/method/);
    await request(a).post("/unauthenticated").set("Authorization", `Bearer ${token}`).expect(500);
    expect(String(errors[1])).toMatch(/requireSession/);
    expect(recording.mutations).toEqual([]);
    expect((await recording.getSession(session.id))?.amr).toBeUndefined();
    recording.close();
  });
});
