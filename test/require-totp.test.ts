import type { Express, NextFunction, Request, Response } from "express";
import { ScureBase32Plugin, generate } from "otplib";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_TOTP_FAILURE_WINDOW_MS,
  DEFAULT_TOTP_MAX_FAILURES,
  LogoutEvents,
  MemorySessionStore,
  issueSession,
  requireSession,
  requireTotp,
  type LogoutEventMap,
  type RequireTotpOptions,
  type CompleteSessionStore,
} from "../src/index.js";
import { expressVersions, type ExpressFactory } from "./helpers/express.js";
import { ADMIN_SECRET, TestDirectory, codeAt, rcLogin, rocketChatApp, wrongCode } from "./helpers/rocket-chat.js";
import { MarkerPathRecordingStore, RecordingStore } from "./helpers/store.js";

const base32 = new ScureBase32Plugin();
const seed = (ascii: string) => base32.encode(new Uint8Array(Buffer.from(ascii, "ascii")));
/** RFC 6238 Appendix B seeds: 20, 32 and 64 ASCII bytes for SHA-1, SHA-256 and SHA-512. */
const SEED_SHA1 = seed("12345678901234567890");
const SEED_SHA256 = seed("12345678901234567890123456789012");
const SEED_SHA512 = seed("1234567890123456789012345678901234567890123456789012345678901234");

type TotpOptions = Partial<Omit<RequireTotpOptions, "store" | "users" | "events">>;

/** requireSession (bearer token, no user loaded) then requireTotp: the step-up works after any authenticating middleware. */
function stepUpApp(express: ExpressFactory, store: CompleteSessionStore, users: TestDirectory, events: LogoutEvents, totp: TotpOptions = {}): Express {
  const app = express();
  app.post("/step-up", requireSession({ store, events }), requireTotp({ store, users, events, ...totp }), (_req, res) => {
    res.json({ ok: true });
  });
  return app as Express;
}

/** Records what reaches the host's error handler and answers a bare 500. */
function catchErrors(app: { use: Express["use"] }, errors: unknown[]): void {
  app.use(function hostErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction) {
    errors.push(error);
    if (res.headersSent) {
      next(error);
      return;
    }
    res.status(500).end();
  });
}

function at(seconds: number): void {
  vi.setSystemTime(seconds * 1000);
}

describe.each(expressVersions)("requireTotp on $name", ({ express }) => {
  let store: RecordingStore;
  let users: TestDirectory;
  let events: LogoutEvents;
  let failed: LogoutEventMap["totp.failed"][];
  let replayed: LogoutEventMap["totp.replayed"][];

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    store = new RecordingStore();
    users = new TestDirectory();
    events = new LogoutEvents();
    failed = [];
    replayed = [];
    events.on("totp.failed", (e) => failed.push(e));
    events.on("totp.replayed", (e) => replayed.push(e));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  async function bearer(userId = "admin") {
    const { token, session } = await issueSession(store, { userId });
    return { session, auth: { Authorization: `Bearer ${token}` } };
  }

  describe("RFC 6238 Appendix B", () => {
    const sha1Vectors: [number, string][] = [
      [59, "94287082"],
      [1111111109, "07081804"],
      [1111111111, "14050471"],
      [1234567890, "89005924"],
      [2000000000, "69279037"],
      [20000000000, "65353130"],
    ];

    it.each(sha1Vectors)("accepts the SHA-1 8-digit vector at T = %i: %s", async (time, code) => {
      users.add({ id: "rfc", username: "rfc" }, [], SEED_SHA1);
      at(time);
      const { auth } = await bearer("rfc");
      const app = stepUpApp(express, store, users, events, { digits: 8, window: 0 });
      const res = await request(app).post("/step-up").set(auth).set("x-2fa-code", code);
      expect(res.status).toBe(200);
    });

    it.each([
      ["sha256", SEED_SHA256, "46119246"],
      ["sha512", SEED_SHA512, "90693936"],
    ] as const)("accepts the %s vector at T = 59", async (algorithm, secret, code) => {
      users.add({ id: "rfc", username: "rfc" }, [], secret);
      at(59);
      const { auth } = await bearer("rfc");
      const app = stepUpApp(express, store, users, events, { digits: 8, window: 0, algorithm });
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", code)).status).toBe(200);
    });

    it("refuses a vector's code at another vector's time", async () => {
      users.add({ id: "rfc", username: "rfc" }, [], SEED_SHA1);
      at(1111111109);
      const { auth } = await bearer("rfc");
      const app = stepUpApp(express, store, users, events, { digits: 8 });
      const res = await request(app).post("/step-up").set(auth).set("x-2fa-code", "94287082");
      expect(res.status).toBe(400);
      expect((res.body as { code: string }).code).toBe("totp-invalid");
    });
  });

  describe("time window, on the server's clock", () => {
    const cases: [number, number, boolean][] = [];
    for (const time of [29, 30, 31, 59, 60]) {
      const current = Math.floor(time / 30);
      for (const offset of [-2, -1, 0, 1, 2]) {
        if (current + offset >= 0) cases.push([time, offset, Math.abs(offset) <= 1]);
      }
    }

    it.each(cases)("at t = %is the code of step T%+i is accepted: %s", async (time, offset, accepted) => {
      at(time);
      const { auth } = await bearer();
      const code = await generate({ secret: ADMIN_SECRET, epoch: (Math.floor(time / 30) + offset) * 30 });
      const res = await request(stepUpApp(express, store, users, events)).post("/step-up").set(auth).set("x-2fa-code", code);
      expect(res.status).toBe(accepted ? 200 : 400);
    });

    it("accepts only the current step with window 0, and T-2 with window 2", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const strict = stepUpApp(express, store, users, events, { window: 0 });
      expect((await request(strict).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET, -1))).status).toBe(400);
      expect((await request(strict).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET, 0))).status).toBe(200);
      at(1_700_000_000 + 90);
      const wide = stepUpApp(express, store, users, events, { window: 2 });
      expect((await request(wide).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET, 2))).status).toBe(200);
    });

    it("ignores any time the client sends", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const stale = await generate({ secret: ADMIN_SECRET, epoch: 1_600_000_000 });
      const res = await request(stepUpApp(express, store, users, events))
        .post("/step-up")
        .set(auth)
        .set({ "x-2fa-code": stale, "x-2fa-time": "1600000000", Date: new Date(1_600_000_000_000).toUTCString() })
        .send({ timestamp: 1_600_000_000 });
      expect(res.status).toBe(400);
    });
  });

  describe("single use (RFC 6238 §5.2)", () => {
    it("refuses a code the second time, emitting totp.replayed without the code", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events);
      const code = await codeAt(ADMIN_SECRET);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", code)).status).toBe(200);
      const again = await request(app).post("/step-up").set(auth).set("x-2fa-code", code);
      expect(again.status).toBe(400);
      expect((again.body as { code: string }).code).toBe("totp-invalid");
      expect(replayed).toEqual([{ userId: "admin", at: 1_700_000_000_000 }]);
      expect(JSON.stringify([replayed, failed])).not.toContain(code);
    });

    it("refuses the replay from another session of the same user", async () => {
      at(1_700_000_000);
      const first = await bearer();
      const second = await bearer();
      const app = stepUpApp(express, store, users, events);
      const code = await codeAt(ADMIN_SECRET);
      expect((await request(app).post("/step-up").set(first.auth).set("x-2fa-code", code)).status).toBe(200);
      expect((await request(app).post("/step-up").set(second.auth).set("x-2fa-code", code)).status).toBe(400);
    });

    it("refuses a code accepted through the forward window when it is replayed in its own step", async () => {
      at(1_700_000_010);
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events);
      const next = await codeAt(ADMIN_SECRET, 1);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", next)).status).toBe(200);
      at(1_700_000_040);
      expect(await codeAt(ADMIN_SECRET, 0)).toBe(next);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", next)).status).toBe(400);
    });

    it("refuses a still-valid code of a step older than one already accepted", async () => {
      at(1_700_000_010);
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events);
      const previous = await codeAt(ADMIN_SECRET, -1);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET, 0))).status).toBe(200);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", previous)).status).toBe(400);
    });

    it("accepts a code again in a later step once its step is over (the marker is per step)", async () => {
      at(1_700_000_010);
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(200);
      at(1_700_000_040);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(200);
    });

    it("lets exactly one of two concurrent requests with the same code through", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events);
      const code = await codeAt(ADMIN_SECRET);
      const results = await Promise.all([0, 1].map(() => request(app).post("/step-up").set(auth).set("x-2fa-code", code)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    });

    it("lets exactly one of two app instances sharing the store accept the same code", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const one = stepUpApp(express, store, users, events);
      const two = stepUpApp(express, store, users, new LogoutEvents());
      const code = await codeAt(ADMIN_SECRET);
      const results = await Promise.all([one, two, one, two].map((app) => request(app).post("/step-up").set(auth).set("x-2fa-code", code)));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 400)).toHaveLength(3);
    });
  });

  describe("throttling (RFC 4226 §7.3)", () => {
    it(`refuses every attempt with 429 after ${String(DEFAULT_TOTP_MAX_FAILURES)} wrong codes, a right one too, for failureWindowMs from the last failure`, async () => {
      const windowStart = Math.ceil(1_700_000_000_000 / DEFAULT_TOTP_FAILURE_WINDOW_MS) * DEFAULT_TOTP_FAILURE_WINDOW_MS;
      vi.setSystemTime(windowStart + 60_000);
      // A store of markers alone, so every claim the throttle makes is one recorded call (the memory store's own
      // attemptTotp runs the same rules in one call: the conformance kit's "totp-attempt" checks it).
      store = new MarkerPathRecordingStore();
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events);
      const wrong = await wrongCode(ADMIN_SECRET);
      for (let i = 0; i < DEFAULT_TOTP_MAX_FAILURES; i++) {
        expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", wrong)).status).toBe(400);
      }
      expect(failed.map((e) => e.failures)).toEqual([1, 2, 3, 4, 5]);
      const locked = await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET));
      expect(locked.status).toBe(429);
      // The lock-out lasts the whole failureWindowMs from the fifth failure, not what was left of the window.
      expect(locked.headers["retry-after"]).toBe(String(DEFAULT_TOTP_FAILURE_WINDOW_MS / 1000));
      expect((locked.body as { code: string }).code).toBe("throttled");
      // The right code was not spent: no time step was claimed (the only claims are the lock-out's own markers).
      const claimed = store.log.filter((c) => c.method === "claim").map((c) => String(c.args[0]));
      expect(claimed.filter((key) => key.startsWith("totp:step:"))).toEqual([]);
      expect(claimed.map((key) => key.split(":")[1])).toEqual(["lock", "punished"]);

      vi.setSystemTime(windowStart + DEFAULT_TOTP_FAILURE_WINDOW_MS);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(429);
      vi.setSystemTime(windowStart + 60_000 + DEFAULT_TOTP_FAILURE_WINDOW_MS - 1_000);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(429);
      vi.setSystemTime(windowStart + 60_000 + DEFAULT_TOTP_FAILURE_WINDOW_MS);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(200);
    });

    it("counts wrong codes per user across sessions and app instances, and only that user's", async () => {
      at(1_700_000_000);
      const first = await bearer();
      const second = await bearer();
      const alice = await bearer("alice");
      users.secrets.set("alice", ADMIN_SECRET);
      const one = stepUpApp(express, store, users, events, { maxFailures: 2 });
      const two = stepUpApp(express, store, users, events, { maxFailures: 2 });
      const wrong = await wrongCode(ADMIN_SECRET);
      expect((await request(one).post("/step-up").set(first.auth).set("x-2fa-code", wrong)).status).toBe(400);
      expect((await request(two).post("/step-up").set(second.auth).set("x-2fa-code", wrong)).status).toBe(400);
      expect((await request(one).post("/step-up").set(second.auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(429);
      expect((await request(two).post("/step-up").set(alice.auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(200);
    });

    it("lets no more than maxFailures codes of a parallel burst be checked", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events);
      const wrong = await wrongCode(ADMIN_SECRET);
      const results = await Promise.all(Array.from({ length: 20 }, () => request(app).post("/step-up").set(auth).set("x-2fa-code", wrong)));
      expect(results.filter((r) => r.status === 400)).toHaveLength(DEFAULT_TOTP_MAX_FAILURES);
      expect(results.filter((r) => r.status === 429)).toHaveLength(20 - DEFAULT_TOTP_MAX_FAILURES);
    });

    it("does not count right codes as failures", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events, { maxFailures: 1 });
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(200);
      at(1_700_000_030);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await wrongCode(ADMIN_SECRET))).status).toBe(400);
      at(1_700_000_060);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(429);
    });

    it("does not count a request without a code", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events, { maxFailures: 1 });
      store.reset();
      for (let i = 0; i < 3; i++) {
        const res = await request(app).post("/step-up").set(auth);
        expect((res.body as { code: string }).code).toBe("totp-required");
      }
      expect(store.mutations).toEqual([]);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(200);
    });
  });

  describe("malformed input", () => {
    it("answers totp-invalid, never a 500 and never a split-and-try, for malformed codes", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events, { maxFailures: 100 });
      const code = await codeAt(ADMIN_SECRET);
      const fullWidth = Buffer.from("１２３４５６", "utf8").toString("latin1");
      const malformed: (string | string[])[] = [
        code.slice(0, 5),
        `${code}7`,
        `${code.slice(0, 2)} ${code.slice(2)}`,
        fullWidth,
        "1".repeat(10_000),
        `${code}, ${code}`,
        [code, code],
        "abcdef",
        "-12345",
        `${code.slice(0, 5)}a`,
      ];
      for (const value of malformed) {
        // An array sends the header twice; Node joins the two values with ", ".
        const res = await request(app).post("/step-up").set(auth).set("x-2fa-code", value as string);
        expect(res.status).toBe(400);
        expect((res.body as { code: string }).code).toBe("totp-invalid");
      }
      expect(failed).toHaveLength(malformed.length);
      // None of them spent the real code.
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", code)).status).toBe(200);
    });

    it.each(["email", "password", "TOTP", "totp, totp"])("answers totp-invalid for x-2fa-method %s, even with the right code", async (method) => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events);
      const res = await request(app).post("/step-up").set(auth).set({ "x-2fa-code": await codeAt(ADMIN_SECRET), "x-2fa-method": method });
      expect(res.status).toBe(400);
      expect((res.body as { code: string }).code).toBe("totp-invalid");
    });

    it("accepts x-2fa-method totp", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      const res = await request(stepUpApp(express, store, users, events)).post("/step-up").set(auth).set({ "x-2fa-code": await codeAt(ADMIN_SECRET), "x-2fa-method": "totp" });
      expect(res.status).toBe(200);
    });

    it("answers totp-required with availableMethods [] for a user with no secret, never a pass", async () => {
      at(1_700_000_000);
      const { auth } = await bearer("alice");
      const res = await request(stepUpApp(express, store, users, events)).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: "totp-required", availableMethods: [] });
    });
  });

  describe("host mistakes and failures", () => {
    it("hands a mounting mistake (no authenticating middleware before it) to the error handler, consuming nothing", async () => {
      at(1_700_000_000);
      const app = express();
      app.post("/step-up", requireTotp({ store, users }), (_req, res) => { res.json({ ok: true }); });
      const errors: unknown[] = [];
      catchErrors(app, errors);
      store.reset();
      const res = await request(app).post("/step-up").set("x-2fa-code", await codeAt(ADMIN_SECRET));
      expect(res.status).toBe(500);
      expect(String(errors[0])).toMatch(/must be mounted after requirePermission/);
      expect(store.mutations).toEqual([]);
    });

    it("reports a secret shorter than 128 bits as the host's error before any TOTP state moves, without the secret", async () => {
      at(1_700_000_000);
      users.secrets.set("admin", "JBSWY3DPEHPK3PXP");
      const { auth } = await bearer();
      const app = stepUpApp(express, store, users, events);
      const errors: unknown[] = [];
      catchErrors(app, errors);
      store.reset();
      const res = await request(app).post("/step-up").set(auth).set("x-2fa-code", "123456");
      expect(res.status).toBe(500);
      expect(String(errors[0])).toMatch(/not base32 of 16 to 64 bytes/);
      expect(String(errors[0])).not.toContain("JBSWY3DPEHPK3PXP");
      expect(store.mutations).toEqual([]);
    });

    it("answers 503 with Retry-After when users.totpSecret fails or hangs", async () => {
      at(1_700_000_000);
      const { auth } = await bearer();
      for (const secretOf of [() => Promise.reject(new Error("vault down")), () => new Promise<string>(() => undefined)]) {
        const directory = Object.assign(new TestDirectory(), { totpSecret: secretOf });
        const app = express();
        app.post("/step-up", requireSession({ store }), requireTotp({ store, users: directory, timeoutMs: 30, retryAfterSeconds: 3 }), (_req, res) => { res.json({ ok: true }); });
        const res = await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET));
        expect(res.status).toBe(503);
        expect(res.headers["retry-after"]).toBe("3");
      }
    });
  });
});

describe.each(expressVersions)("requireTotp behind requirePermission (Rocket.Chat) on $name", ({ express }) => {
  let store: RecordingStore;
  let users: TestDirectory;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_700_000_000_000);
    store = new RecordingStore();
    users = new TestDirectory();
    users.secrets.set("alice", ADMIN_SECRET);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("never lets a caller without the permission consume a code: the same code works once the permission is granted", async () => {
    const alice = await rcLogin(store, "alice");
    const bob = await rcLogin(store, "bob");
    const app = rocketChatApp(express, { store, users });
    const code = await codeAt(ADMIN_SECRET);
    store.reset();
    const refused = await request(app).post("/api/v1/sessions/logout").set({ ...alice.headers, "x-2fa-code": code }).send({ sessionId: bob.session.id });
    expect(refused.status).toBe(403);
    expect(store.mutations).toEqual([]);
    expect(users.secretReads).toEqual([]);
    users.grant("alice", "logout-device-management");
    const res = await request(app).post("/api/v1/sessions/logout").set({ ...alice.headers, "x-2fa-code": code }).send({ sessionId: bob.session.id });
    expect(res.status).toBe(200);
  });

  it("never lets a caller without the permission move the failure counter", async () => {
    const alice = await rcLogin(store, "alice");
    const bob = await rcLogin(store, "bob");
    const app = rocketChatApp(express, { store, users, totp: { maxFailures: 2 } });
    const wrong = await wrongCode(ADMIN_SECRET);
    store.reset();
    for (let i = 0; i < 10; i++) {
      const res = await request(app).post("/api/v1/sessions/logout").set({ ...alice.headers, "x-2fa-code": wrong }).send({ sessionId: bob.session.id });
      expect(res.status).toBe(403);
    }
    expect(store.mutations).toEqual([]);
    users.grant("alice", "logout-device-management");
    const res = await request(app).post("/api/v1/sessions/logout").set({ ...alice.headers, "x-2fa-code": await codeAt(ADMIN_SECRET) }).send({ sessionId: bob.session.id });
    expect(res.status).toBe(200);
  });

  it("keeps the target's sessions when the code is wrong, replayed or throttled", async () => {
    const admin = await rcLogin(store, "admin");
    const alice = await rcLogin(store, "alice");
    const app = rocketChatApp(express, { store, users, totp: { maxFailures: 1 } });
    const before = await store.snapshot("alice");
    const send = async (code: string) => request(app).post("/api/v1/sessions/logout").set({ ...admin.headers, "x-2fa-code": code }).send({ sessionId: "unknown" });
    const code = await codeAt(ADMIN_SECRET);
    expect((await send(code)).status).toBe(404);
    expect((await send(code)).status).toBe(400);
    expect((await send(await wrongCode(ADMIN_SECRET))).status).toBe(429);
    expect(await store.snapshot("alice")).toEqual(before);
    expect(await store.getSession(alice.session.id)).toBeDefined();
  });
});

describe("requireTotp options", () => {
  const store = new MemorySessionStore();
  const users = new TestDirectory();

  it("refuses a directory without totpSecret at setup", () => {
    expect(() => requireTotp({ store, users: { findUser: users.findUser.bind(users) } })).toThrow(/needs `users` with `totpSecret\(user\)`/);
  });

  it.each([
    [{ window: 11 }, /window/],
    [{ window: -1 }, /window/],
    [{ window: 1.5 }, /window/],
    [{ period: 0 }, /period/],
    [{ digits: 5 }, /digits/],
    [{ algorithm: "md5" }, /algorithm/],
    [{ maxFailures: 0 }, /maxFailures/],
    [{ maxFailures: 2.5 }, /maxFailures/],
    [{ failureWindowMs: -1 }, /failureWindowMs/],
    [{ codeHeader: "x 2fa" }, /codeHeader/],
    [{ windw: 1 }, /Did you mean `window`\?/],
  ])("refuses %o at setup", (extra, message) => {
    expect(() => requireTotp({ store, users, ...(extra as object) })).toThrow(message);
  });

  it("explains requireTotp mounted without being called", () => {
    expect(() => requireTotp({ method: "POST", headers: {}, url: "/" } as never)).toThrow(/is a factory/);
  });
});
