/**
 * requireTotp trusted the store's answers by truthiness. A store whose `claim` answered `1` or `"OK"` (what Redis
 * commands answer) instead of `true`/`false` made every claim a first use, so a TOTP code could be replayed; a
 * counter store answering `undefined`, `NaN` or a string made `attempts - passes` NaN, and `NaN > maxFailures` is
 * false, so wrong codes were never throttled. Now anything but a boolean claim and a whole, non-negative count is
 * a broken store: 503 with a `store.error` event, and the code is neither accepted nor spent.
 */
import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { LogoutEvents, MemorySessionStore, issueSession, requireSession, requireTotp, allStoreMethods, type CompleteSessionStore } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";
import { ADMIN_SECRET, TestDirectory, codeAt, wrongCode } from "../helpers/rocket-chat.js";

async function appWith(express: (typeof expressVersions)[number]["express"], method: keyof CompleteSessionStore, answer: unknown) {
  const base = new MemorySessionStore();
  const { token } = await issueSession(base, { userId: "admin" });
  const store = {} as Record<string, unknown>;
  for (const name of allStoreMethods) store[name] = (base as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!.bind(base);
  store[method] = () => Promise.resolve(answer);
  const users = new TestDirectory();
  const events = new LogoutEvents();
  const errors: string[] = [];
  events.on("store.error", (e) => errors.push(e.operation));
  const app = express();
  const common = { store: store as unknown as CompleteSessionStore, users, events };
  app.post("/step-up", requireSession(common), requireTotp({ ...common, maxFailures: 2 }), (_req, res) => { res.send("passed"); });
  const send = (code: string) => request(app).post("/step-up").set("Authorization", `Bearer ${token}`).set("x-2fa-code", code);
  return { send, errors, base };
}

describe.each(expressVersions)("requireTotp with a store that answers the wrong types, on $name", ({ express }) => {
  it.each([1, "OK", 0, null, undefined])("never accepts a code when claim answers %j", async (answer) => {
    const { send, errors, base } = await appWith(express, "claim", answer);
    const code = await codeAt(ADMIN_SECRET);
    const first = await send(code);
    const replay = await send(code);
    expect([first.status, replay.status]).toEqual([503, 503]);
    expect(first.text + replay.text).not.toContain("passed");
    expect(errors).toEqual(["claim", "claim"]);
    base.close();
  });

  it.each([
    ["incrementCounter", undefined],
    ["incrementCounter", Number.NaN],
    ["incrementCounter", "3"],
    ["incrementCounter", -1],
    ["incrementCounter", 1.5],
    ["readCounter", undefined],
    ["readCounter", Number.NaN],
    ["readCounter", "0"],
  ] as const)("refuses every code, never guessing without a limit, when %s answers %j", async (method, answer) => {
    const { send, errors, base } = await appWith(express, method, answer);
    const wrong = await wrongCode(ADMIN_SECRET);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(wrong)).status);
    statuses.push((await send(await codeAt(ADMIN_SECRET))).status);
    expect(statuses).toEqual([503, 503, 503, 503, 503, 503]);
    expect(errors.every((operation) => operation === method)).toBe(true);
    base.close();
  });
});

describe("requireTotp with a one-call attempt that records the step-up", () => {
  /** The memory store with a one-call `attemptTotp` answering `answer`, every other method the store's own. */
  async function withAttempt(answer: unknown) {
    const base = new MemorySessionStore();
    const { token, session } = await issueSession(base, { userId: "admin" });
    const store = {} as Record<string, unknown>;
    for (const name of allStoreMethods) store[name] = (base as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!.bind(base);
    const attempts: unknown[] = [];
    const stepUps: string[] = [];
    store.attemptTotp = (attempt: unknown) => { attempts.push(attempt); return Promise.resolve(answer); };
    store.recordAuthentication = (id: string, at: number, method: string) => { stepUps.push(id); return base.recordAuthentication(id, at, method); };
    const events = new LogoutEvents();
    const errors: string[] = [];
    events.on("store.error", (e) => errors.push(e.operation));
    const common = { store: store as unknown as CompleteSessionStore, users: new TestDirectory(), events };
    const app = express();
    app.post("/step-up", requireSession(common), requireTotp(common), (_req, res) => { res.send("passed"); });
    const res = await request(app).post("/step-up").set("Authorization", `Bearer ${token}`).set("x-2fa-code", await codeAt(ADMIN_SECRET));
    return { res, errors, attempts, stepUps, session, base };
  }

  it("asks the store to record the step-up of the caller's session with the attempt", async () => {
    const { res, attempts, stepUps, session, base } = await withAttempt({ outcome: "passed", failures: 0, steppedUp: true });
    expect(res.status).toBe(200);
    expect(attempts).toMatchObject([{ userId: "admin", stepUp: { sessionId: session.id, method: "totp" } }]);
    // The store said it recorded the step-up: no call of its own.
    expect(stepUps).toEqual([]);
    base.close();
  });

  it("records the step-up by a call of its own when the store answers without steppedUp (one that ignores stepUp)", async () => {
    const { res, stepUps, session, base } = await withAttempt({ outcome: "passed", failures: 0 });
    expect(res.status).toBe(200);
    expect(stepUps).toEqual([session.id]);
    expect((await base.getSession(session.id))?.amr).toEqual(["totp"]);
    base.close();
  });

  it("answers 401 when the store says the session had ended, and lets nothing through", async () => {
    const { res, stepUps, base } = await withAttempt({ outcome: "passed", failures: 0, steppedUp: false });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain("passed");
    expect(stepUps).toEqual([]);
    base.close();
  });

  it.each([1, "true", null])("refuses with a 503 a steppedUp of %j, and records nothing", async (steppedUp) => {
    const { res, errors, stepUps, session, base } = await withAttempt({ outcome: "passed", failures: 0, steppedUp });
    expect(res.status).toBe(503);
    expect(errors).toEqual(["attemptTotp"]);
    expect(stepUps).toEqual([]);
    expect((await base.getSession(session.id))?.amr).toBeUndefined();
    base.close();
  });
});
