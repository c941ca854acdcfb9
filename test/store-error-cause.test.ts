import pg from "pg";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresSessionStore } from "../examples/postgres-store.js";
import { failureCause, redactMessage } from "../src/failure-cause.js";
import { LogoutEvents, MemorySessionStore, createLogoutHandler, hashSecret, requireSession, shapes, type LogoutEventMap, type SessionStore } from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { demoUsers, login } from "./helpers/fixture.js";
import { freePort } from "./helpers/redis-server.js";
import { withoutOneCallEnding } from "./helpers/store.js";

type StoreError = LogoutEventMap["store.error"];

/** A store that answers from `base` until `fail` is set, then rejects every call with what `fail` makes. */
function failingStore(base: SessionStore, fail: { make?: (args: unknown[]) => Error }): SessionStore {
  return new Proxy(base, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => (fail.make === undefined ? (value as (...a: unknown[]) => unknown).apply(target, args) : Promise.reject(fail.make(args)));
    },
  });
}

const pools: pg.Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end()));
});

describe.each(expressVersions)("store.error carries what the backend said, never a secret, on $name", ({ express }) => {
  function app(store: SessionStore, events: LogoutEvents) {
    const a = express();
    a.post("/logout", createLogoutHandler({ store, users: demoUsers(), events }));
    a.get("/me", requireSession({ store, users: demoUsers(), events, shape: shapes.endor }), (_req, res) => {
      res.json({ ok: true });
    });
    return a;
  }

  it("a PostgreSQL store whose server is unreachable: the cause is the real connection error", async () => {
    const port = await freePort();
    const pool = new pg.Pool({ host: "127.0.0.1", port, user: "nobody", database: "none", connectionTimeoutMillis: 1_500 });
    pools.push(pool);
    const events = new LogoutEvents();
    const seen: StoreError[] = [];
    events.on("store.error", (e) => seen.push(e));

    const res = await request(app(new PostgresSessionStore(pool), events)).post("/logout").set("Authorization", "Bearer some-token");

    expect(res.status).toBe(503);
    expect(res.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ operation: "findSessionByTokenHash", message: "findSessionByTokenHash failed" });
    expect(seen[0]?.cause).toBeInstanceOf(Error);
    expect(seen[0]?.cause?.message).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(seen[0]?.cause?.code).toBe("ECONNREFUSED");
  });

  it("a backend error that holds the token hash and the command's arguments: the cause keeps neither", async () => {
    const base = new MemorySessionStore();
    const { token, session } = await login(base, "alice");
    const tokenHash = hashSecret(token);
    const fail: { make?: (args: unknown[]) => Error } = {};
    const store = failingStore(base, fail);
    // What ioredis rejects with: the key in the message, the command and its arguments on the error object.
    fail.make = (args) =>
      Object.assign(new Error(`WRONGTYPE Operation against a key holding the wrong kind of value (el:tok:${tokenHash})`), {
        name: "ReplyError",
        command: { name: "evalsha", args: ["sha", "1", `el:tok:${tokenHash}`, ...args.map(String), token] },
        cause: new Error(`while reading ${token}`),
      });
    const events = new LogoutEvents();
    const seen: StoreError[] = [];
    events.on("store.error", (e) => seen.push(e));

    const res = await request(app(store, events)).get("/me").set("Authorization", `Bearer ${token}`);

    expect(res.status).toBe(503);
    expect(seen).toHaveLength(1);
    const cause = seen[0]?.cause;
    expect(cause?.name).toBe("ReplyError");
    expect(cause?.message).toBe("WRONGTYPE Operation against a key holding the wrong kind of value (el:tok:[redacted])");
    expect((cause?.cause as Error | undefined)?.message).toBe("while reading [redacted]");
    expect(Object.keys(cause ?? {})).not.toContain("command");
    const everything = JSON.stringify(seen, (_k, v: unknown) => (v instanceof Error ? { ...Object.fromEntries(Object.entries(v)), name: v.name, message: v.message, stack: v.stack, cause: v.cause } : v));
    expect(everything).not.toContain(tokenHash);
    expect(everything).not.toContain(token);
    // The refusal changed nothing: the session is still live once the backend is back.
    delete fail.make;
    expect(await base.getSession(session.id)).toEqual(session);
    base.close();
  });

  it("a host callback that rejects: the cause is what it said", async () => {
    const base = new MemorySessionStore();
    const { token, session } = await login(base, "alice");
    const events = new LogoutEvents();
    const seen: StoreError[] = [];
    events.on("store.error", (e) => seen.push(e));
    const users = { findUser: () => Promise.reject(new Error("db down")) };
    const a = express();
    // Without the one-call ending the user is read before the revoke, so the failure leaves the session as it was.
    a.post("/logout", createLogoutHandler({ store: withoutOneCallEnding(base), users, events }));

    const res = await request(a).post("/logout").set("Authorization", `Bearer ${token}`);

    expect(res.status).toBe(503);
    expect(seen.map((e) => [e.operation, e.cause?.message])).toEqual([["users.findUser", "db down"]]);
    expect(await base.getSession(session.id)).toEqual(session);
    base.close();
  });

  it("a store that does not answer in time: no cause, the message says how long it waited", async () => {
    const base = new MemorySessionStore();
    const { token, session } = await login(base, "alice");
    const store = failingStore(base, {});
    const hanging = new Proxy(store, {
      // The logout's one call: the lookup and the ending together.
      get: (target, name, receiver) => (name === "endSessionByTokenHash" ? () => new Promise(() => undefined) : Reflect.get(target, name, receiver)),
    });
    const events = new LogoutEvents();
    const seen: StoreError[] = [];
    events.on("store.error", (e) => seen.push(e));
    const a = express();
    a.post("/logout", createLogoutHandler({ store: hanging, events, timeoutMs: 50 }));

    expect((await request(a).post("/logout").set("Authorization", `Bearer ${token}`)).status).toBe(503);
    expect(seen).toEqual([{ operation: "endSessionByTokenHash", message: "endSessionByTokenHash did not answer within 50 ms", at: expect.any(Number) }]);
    expect(await base.getSession(session.id)).toEqual(session);
    base.close();
  });
});

describe("failureCause: a copy an operator can log", () => {
  it("keeps name, code and message, and drops everything else the original carried", () => {
    const original = Object.assign(new Error("password authentication failed"), { code: "28P01", detail: "Key (token_hash)=(x)", query: "SELECT 1" });
    const copy = failureCause(original);
    expect(copy).toBeInstanceOf(Error);
    expect(copy).not.toBe(original);
    expect({ name: copy?.name, message: copy?.message, code: copy?.code }).toEqual({ name: "Error", message: "password authentication failed", code: "28P01" });
    expect(Object.keys(copy ?? {}).sort()).toEqual(["code", "name"]);
    expect(copy?.stack).toBe("Error: password authentication failed");
  });

  it("reads an AggregateError with an empty message (a dual-stack connect) from its members", () => {
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: "ECONNREFUSED" });
    const aggregate = Object.assign(new AggregateError([refused("::1:6379"), refused("127.0.0.1:6379")], ""), { code: "ECONNREFUSED" });
    expect(failureCause(aggregate)?.message).toBe("connect ECONNREFUSED ::1:6379; connect ECONNREFUSED 127.0.0.1:6379");
  });

  it("redacts every run long enough to be a token, a hash or a logout token, and nothing shorter", () => {
    const hex = "a".repeat(64);
    expect(redactMessage(`key el:tok:${hashSecret("t")} and ${hex} and ory_st_${"Z9".repeat(20)}`)).toBe("key el:tok:[redacted] and [redacted] and [redacted]");
    expect(redactMessage("connect ECONNREFUSED 127.0.0.1:6379 (findSessionByTokenHash)")).toBe("connect ECONNREFUSED 127.0.0.1:6379 (findSessionByTokenHash)");
    expect(redactMessage("x ".repeat(1_000))).toHaveLength(501);
  });

  it("answers undefined for undefined, and a message for anything else thrown", () => {
    expect(failureCause(undefined)).toBeUndefined();
    expect(failureCause(42)?.message).toBe("42");
    expect(failureCause(null)?.message).toBe("a thrown object");
  });
});
