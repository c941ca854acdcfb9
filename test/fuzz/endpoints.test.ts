/**
 * Property-based fuzzing of every route of the example app, over raw sockets (so repeated, oversized, non-ASCII
 * and control-character headers go out as written). Two instances share one store, one with Express' extended
 * (qs) query parser. For every request:
 * - never a 5xx, except a 503 with Retry-After while the store is down;
 * - no unhandled rejection, no uncaught exception, and the server keeps answering;
 * - no session ends unless the request was a successful logout on a logout route; sessions of users the fuzzer
 *   holds no credential for (their tokens and ids never leave this file) always survive, byte for byte;
 * - no secret (hidden tokens and their hashes, passwords, the TOTP secret, the API secret, the logout-token key,
 *   the hash of any token) in any answer, and no token at all in any event;
 * - `Object.prototype` and friends untouched.
 *
 * `npm test` runs a fixed seed and a few hundred requests; `npm run fuzz` runs many more (FUZZ_RUNS, FUZZ_SEED).
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExampleApp } from "../../examples/app/index.js";
import { LogoutEvents, encodeSoajsAuth, hashSecret, issueSession, type LogoutEventName, type SessionRecord } from "../../src/index.js";
import { hmac } from "../../src/secrets.js";
import { demo, eventNames, switchableStore } from "../helpers/example.js";
import { listen, sendRaw, type RawResponse } from "../helpers/raw-http.js";
import { codeAt } from "../helpers/rocket-chat.js";
import { RecordingStore } from "../helpers/store.js";
import { SLOTS, fuzzRequest, type FuzzRequest } from "./requests.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
const SEED = Number(process.env.FUZZ_SEED ?? 20_250_921);
const LOGOUT_SECRET = randomBytes(32).toString("base64url");
const HIDDEN_USERS = ["carol", "dave"] as const;
const HIDDEN_PASSWORDS = { carol: `carol-${randomBytes(12).toString("hex")}`, dave: `dave-${randomBytes(12).toString("hex")}` };

const base = new RecordingStore();
const store = switchableStore(base);
const seen: { name: LogoutEventName; event: unknown }[] = [];
const problems: string[] = [];
const onUnhandled = (reason: unknown) => problems.push(`unhandled rejection: ${String(reason)}`);
const onUncaught = (error: unknown) => problems.push(`uncaught exception: ${String(error)}`);

interface Slot {
  token: string;
  session: SessionRecord;
}
const slots: Slot[] = [];
/**
 * 43-character secrets, found by scanning answers for base64url runs (a few hundred characters per answer) rather
 * than searching each of thousands of values: hidden tokens and every token hash must never be in an answer;
 * the fuzzer's own tokens must never be in an event either.
 */
const neverInAnswers = new Set<string>();
const neverInEvents = new Set<string>();
const hidden: { token: string; session: SessionRecord }[] = [];
let servers: Awaited<ReturnType<typeof listen>>[] = [];

/** What the run reached, printed with FUZZ_STATS=1: a fuzzer that never gets past a 401 proves little. */
const stats = {
  byStatus: new Map<string, number>(),
  ended: 0,
  /** Requests Node's HTTP parser refused before the app saw them. */
  refusedByNode: 0,
  record(request: FuzzRequest, status: number, byNode: boolean) {
    if (byNode) {
      this.refusedByNode += 1;
      if (process.env.FUZZ_STATS === "node") console.log(JSON.stringify(request).slice(0, 400));
    }
    const key = `${String(status)} ${request.method} ${request.path.split("?")[0]?.slice(0, 40) ?? ""}`;
    this.byStatus.set(key, (this.byStatus.get(key) ?? 0) + 1);
  },
};

const slotOwner = (n: number) => (n <= 2 ? "alice" : "admin");

async function fillSlot(n: number): Promise<void> {
  const issued = await issueSession(base, { userId: slotOwner(n), authenticationSource: "login", ...(n === 2 ? { apiKeyId: `apikey-${demo.apiKey}` } : {}) });
  slots[n] = issued;
  neverInAnswers.add(issued.session.tokenHash);
  neverInEvents.add(issued.session.tokenHash).add(issued.token);
}

/** What the request being built was given: the slots whose token it holds, and whether it holds a code or the API secret. */
const used = { slots: new Set<number>(), code: false, apiSecret: false };

/** Fills in a template's placeholders with what the fuzzer holds right now (URL-encoded for a query string). */
async function expand(template: string, escape: (value: string) => string = (v) => v): Promise<string> {
  const codes = new Map<number, string>();
  for (const offset of [-2, -1, 0, 1]) codes.set(offset, await codeAt(demo.adminTotpSecret, offset));
  return template.replace(/\{\{(\w+)(?::(-?\w+))?\}\}/g, (whole, kind: string, arg: string | undefined) => {
    if (kind === "token" || kind === "soajs") used.slots.add(Number(arg));
    if (kind === "code") used.code = true;
    if (kind === "apisecret") used.apiSecret = true;
    return escape(fill(whole, kind, arg, codes));
  });
}

function fill(whole: string, kind: string, arg: string | undefined, codes: ReadonlyMap<number, string>): string {
  const s = slots[Number(arg)];
  switch (kind) {
    case "token":
      return s?.token ?? whole;
    case "sid":
      return s?.session.id ?? whole;
    case "uid":
      return s?.session.userId ?? whole;
    case "soajs":
      return s === undefined ? whole : encodeSoajsAuth(s.token);
    case "logout":
      return s === undefined ? whole : `ory_lo_${hmac(LOGOUT_SECRET, `logout:${s.session.id}`)}`;
    case "code":
      return codes.get(Number(arg ?? 0)) ?? whole;
    case "apikey":
      return demo.apiKey;
    case "apisecret":
      return demo.apiSecret;
    case "tenant":
      return demo.tenantKey;
    case "password":
      return arg === "alice" ? demo.alicePassword : arg === "admin" ? demo.adminPassword : "not-a-password";
    default:
      return whole;
  }
}

async function encode(request: FuzzRequest): Promise<Buffer> {
  used.slots.clear();
  used.code = false;
  used.apiSecret = false;
  const parts: Buffer[] = [];
  const target = `${await expand(request.path)}${request.query === "" ? "" : `?${await expand(request.query, encodeURIComponent)}`}`;
  parts.push(Buffer.from(`${request.method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`, "latin1"));
  for (const header of request.headers) {
    const value = typeof header.value === "string" ? Buffer.from(await expand(header.value), "utf8") : Buffer.from(header.value);
    parts.push(Buffer.from(`${header.name}: `, "latin1"), value, Buffer.from("\r\n", "latin1"));
  }
  const body = request.body === undefined ? undefined : typeof request.body === "string" ? Buffer.from(await expand(request.body), "utf8") : Buffer.from(request.body);
  if (body !== undefined) parts.push(Buffer.from(`Content-Length: ${String(body.length)}\r\n`, "latin1"));
  parts.push(Buffer.from("\r\n", "latin1"));
  if (body !== undefined) parts.push(body);
  return Buffer.concat(parts);
}

/** Whether Express would route this method and path to a handler that may end a session. */
function isLogoutRoute(method: string, rawPath: string): boolean {
  // Express matches case-insensitively and takes one trailing slash (non-strict routing); HEAD runs GET routes.
  const path = rawPath.toLowerCase().replace(/(.)\/$/, "$1");
  const m = method === "HEAD" ? "GET" : method;
  if (m === "GET") return /^\/v1\/auth\/[^/]+\/logout$/.test(path) || path === "/urac/logout" || path === "/self-service/logout";
  if (m === "POST") return ["/api/v1/logout", "/api/v1/sessions/logout", "/api/v1/sessions/logout.me"].includes(path);
  if (m === "DELETE") return path === "/self-service/logout/api" || path === "/sessions" || /^\/sessions\/[^/]+$/.test(path);
  return false;
}

const prototypes = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype, Boolean.prototype, Promise.prototype];
const prototypeShape = () => prototypes.map((p) => Reflect.ownKeys(p).map((k) => [String(k), (Object.getOwnPropertyDescriptor(p, k) as { value?: unknown }).value] as const));
let prototypesBefore: ReturnType<typeof prototypeShape>;

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  process.on("uncaughtException", onUncaught);
  prototypesBefore = prototypeShape();
  const previous = process.env.KRATOS_LOGOUT_SECRET;
  process.env.KRATOS_LOGOUT_SECRET = LOGOUT_SECRET;
  try {
    servers = await Promise.all(
      [0, 1].map(async (n) => {
        const events = new LogoutEvents();
        for (const name of eventNames) events.on(name, (event) => seen.push({ name, event }));
        const { app, ctx } = createExampleApp({ store, config: demo, events, publicUrl: "http://127.0.0.1:3000" });
        for (const user of HIDDEN_USERS) ctx.users.addUser({ id: user, username: user, email: `${user}@example.com` }, HIDDEN_PASSWORDS[user]);
        if (n === 1) app.set("query parser", "extended");
        return listen(app);
      }),
    );
  } finally {
    if (previous === undefined) delete process.env.KRATOS_LOGOUT_SECRET;
    else process.env.KRATOS_LOGOUT_SECRET = previous;
  }
  for (let n = 0; n < SLOTS; n++) await fillSlot(n);
  for (const user of HIDDEN_USERS) {
    for (let i = 0; i < 3; i++) hidden.push(await issueSession(base, { userId: user, authenticationSource: "login", ...(i === 0 ? { apiKeyId: `apikey-${demo.apiKey}` } : {}) }));
  }
  for (const h of hidden) for (const set of [neverInAnswers, neverInEvents]) set.add(h.token).add(h.session.tokenHash);
  for (const set of [neverInAnswers, neverInEvents]) set.add(hashSecret(demo.apiSecret));
});

afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  process.off("uncaughtException", onUncaught);
  await Promise.all(servers.map((s) => s.close()));
  base.close();
});

/** Other secrets that must never appear in an answer or an event, searched for one by one. */
function secrets(): string[] {
  return [
    ...hidden.map((h) => encodeSoajsAuth(h.token).slice("Basic ".length)),
    ...Object.values(HIDDEN_PASSWORDS),
    demo.alicePassword,
    demo.adminPassword,
    demo.adminTotpSecret,
    demo.apiSecret,
    LOGOUT_SECRET,
  ];
}

/** The first 43-character value of `set` found in `text`, or `undefined`. */
function findToken(text: string, set: ReadonlySet<string>): string | undefined {
  for (const [run] of text.matchAll(/[A-Za-z0-9_-]{43,}/g)) {
    for (let i = 0; i + 43 <= run.length; i++) {
      const window = run.slice(i, i + 43);
      if (set.has(window)) return window;
    }
  }
  return undefined;
}

async function check(request: FuzzRequest): Promise<void> {
  const eventsBefore = seen.length;
  const hiddenBefore = await base.snapshot(...HIDDEN_USERS);
  const knownBefore = await base.snapshot("alice", "admin");
  if (request.storeDown) store.fail("throw");
  let res: RawResponse;
  try {
    res = await sendRaw(servers[request.server]!.port, await encode(request), request.method);
  } finally {
    store.heal();
  }
  const where = `${request.method} ${request.path} → ${String(res.status)}`;
  stats.record(request, res.status, res.raw.startsWith("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n") || res.header("content-length") === undefined && res.status === 431);

  // Never a 5xx, but a deliberate 503 (with Retry-After) while the store is down.
  if (res.status >= 500) {
    expect(request.storeDown, `${where}: ${res.body.toString("latin1").slice(0, 300)}`).toBe(true);
    expect(res.status, where).toBe(503);
    expect(res.header("retry-after"), where).toMatch(/^\d+$/);
  }
  expect(problems, where).toEqual([]);

  // Sessions of users the fuzzer knows nothing of never change.
  expect(await base.snapshot(...HIDDEN_USERS), where).toEqual(hiddenBefore);
  // A known session ends only through a successful logout on a logout route.
  const after = new Set((await base.snapshot("alice", "admin")).map((s) => s.id));
  const ended = knownBefore.filter((s) => !after.has(s.id));
  if (ended.length > 0) {
    stats.ended += ended.length;
    expect(request.storeDown, where).toBe(false);
    expect([200, 204, 303], where).toContain(res.status);
    const path = request.path.replace(/\{\{sid:\d\}\}/g, "x");
    expect(isLogoutRoute(request.method, path), where).toBe(true);
    // ...and only with a credential of the session's own user, or the administrator's with a TOTP code.
    const heldBy = new Set<string>([...used.slots].map(slotOwner));
    const admin = heldBy.has("admin") && used.code && /^\/api\/v1\/sessions\/logout\/?$/i.test(path);
    for (const session of ended) {
      const own = heldBy.has(session.userId) || (used.apiSecret && session.userId === "alice" && session.apiKeyId !== undefined);
      expect(own || admin, `${where} ended a session of ${session.userId} holding ${[...heldBy].join(",") || "nothing"}`).toBe(true);
    }
  }

  // No secret in the answer; no token, hash or secret in an event.
  const events = JSON.stringify(seen.slice(eventsBefore));
  for (const secret of secrets()) {
    expect(res.raw.includes(secret), `${where} shows a secret`).toBe(false);
    expect(events.includes(secret), `${where} put a secret in an event`).toBe(false);
  }
  expect(findToken(res.raw, neverInAnswers), `${where} shows a token or a token hash`).toBeUndefined();
  expect(findToken(events, neverInEvents), `${where} put a token or a token hash in an event`).toBeUndefined();

  // No prototype pollution.
  expect(prototypeShape()).toEqual(prototypesBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();

  // Keep the fuzzer's sessions alive for the next request.
  for (let n = 0; n < SLOTS; n++) if ((await base.getSession(slots[n]!.session.id)) === undefined) await fillSlot(n);
}

describe("fuzzing every route of the example app", () => {
  it(`holds its properties for ${String(RUNS)} random requests (seed ${String(SEED)})`, { timeout: Math.max(60_000, RUNS * 500) }, async () => {
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (request) => {
        await check(request);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // The server still answers an ordinary request, and the hidden sessions all still work.
    for (const { port } of servers) {
      const res = await sendRaw(port, Buffer.from(`GET /v1/auth HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${hidden[0]!.token}\r\n\r\n`, "latin1"));
      expect(res.status).toBe(200);
    }
    for (const h of hidden) expect(await base.getSession(h.session.id)).toEqual(h.session);
    if (process.env.FUZZ_STATS !== undefined) {
      console.log(`sessions ended: ${String(stats.ended)}; refused by Node's parser: ${String(stats.refusedByNode)} of ${String(RUNS)}`);
      console.log([...stats.byStatus].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${String(v).padStart(5)} ${k}`).join("\n"));
    }
  });
});
