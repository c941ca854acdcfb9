import { EventEmitter } from "node:events";
import { sign } from "cookie-signature";
import session, { MemoryStore, Store } from "express-session";
import { describe, expect, it } from "vitest";
import { MemorySessionStore, SetupError, defaultSessionUserId, expressSession, readSessionCookie, sessionStoreMethods, sessionStoreUnavailable, trackSessions } from "../src/index.js";

const SECRET = "current-session-secret-0123456789abcdef";
const OLD_SECRET = "previous-session-secret-0123456789abcdef";

function cookieFor(sid: string, secret: string, name = "connect.sid"): string {
  return `theme=dark; ${name}=${encodeURIComponent(`s:${sign(sid, secret)}`)}; other=1`;
}

describe("readSessionCookie", () => {
  it("answers the session id of a cookie signed with the app's secret", () => {
    expect(readSessionCookie(cookieFor("abc123", SECRET), { secret: SECRET })).toBe("abc123");
  });

  it("tries every secret of a rotation list, as express-session does", () => {
    expect(readSessionCookie(cookieFor("abc123", OLD_SECRET), { secret: [SECRET, OLD_SECRET] })).toBe("abc123");
    expect(readSessionCookie(cookieFor("abc123", OLD_SECRET), { secret: [SECRET] })).toBeUndefined();
  });

  it("reads a cookie of another name", () => {
    expect(readSessionCookie(cookieFor("abc123", SECRET, "app.sid"), { secret: SECRET, name: "app.sid" })).toBe("abc123");
    expect(readSessionCookie(cookieFor("abc123", SECRET, "app.sid"), { secret: SECRET })).toBeUndefined();
  });

  it.each([
    ["a tampered signature", `connect.sid=${encodeURIComponent(`s:${sign("abc123", SECRET).slice(0, -2)}xx`)}`],
    ["a tampered id", `connect.sid=${encodeURIComponent(`s:${sign("abc123", SECRET).replace("abc123", "abc124")}`)}`],
    ["an unsigned id", "connect.sid=abc123"],
    ["a foreign secret", cookieFor("abc123", "someone-elses-secret-0123456789abcdef")],
    ["no session cookie", "theme=dark"],
    ["an empty header", ""],
  ])("answers undefined for %s", (_name, header) => {
    expect(readSessionCookie(header, { secret: [SECRET, OLD_SECRET] })).toBeUndefined();
  });

  it("answers undefined without a Cookie header", () => {
    expect(readSessionCookie(undefined, { secret: SECRET })).toBeUndefined();
  });

  it("refuses a missing or empty secret at the call, with what to pass", () => {
    expect(() => readSessionCookie("x=1", { secret: [] })).toThrow(/express-session secret/);
    expect(() => readSessionCookie("x=1", { secret: "" })).toThrow(/express-session secret/);
    expect(() => readSessionCookie("x=1", {} as never)).toThrow(/secret/);
  });
});

describe("trackSessions setup", () => {
  const store = new MemorySessionStore();

  it("answers an express-session Store that express-session accepts, and re-emits connect and disconnect", () => {
    const inner = new MemoryStore();
    const tracked = trackSessions(inner, { store });
    expect(tracked).toBeInstanceOf(Store);
    expect(() => session({ store: tracked, secret: SECRET, resave: false, saveUninitialized: false })).not.toThrow();
    const seen: string[] = [];
    tracked.on("disconnect", () => seen.push("disconnect"));
    tracked.on("connect", () => seen.push("connect"));
    inner.emit("disconnect");
    inner.emit("connect");
    expect(seen).toEqual(["disconnect", "connect"]);
  });

  it("refuses a store that is not an express-session store", () => {
    const notAStore = Object.assign(new EventEmitter(), { get() {}, set() {}, destroy() {} });
    expect(() => trackSessions(notAStore as never, { store })).toThrow(/subclass of `session.Store`/);
    expect(() => trackSessions(undefined as never, { store })).toThrow(/first argument/);
  });

  it("refuses a missing or wrong express-logout store", () => {
    expect(() => trackSessions(new MemoryStore(), {} as never)).toThrow(/store/);
    expect(() => trackSessions(new MemoryStore(), { store: {} as never })).toThrow(/not a SessionStore/);
  });

  it("says which capability a store of only the core methods lacks: markers, for the tombstones", () => {
    const core = Object.fromEntries(sessionStoreMethods.map((name) => [name, (store[name] as (...a: unknown[]) => unknown).bind(store)]));
    const attempt = () => trackSessions(new MemoryStore(), { store: core as never });
    expect(attempt).toThrow(SetupError);
    expect(attempt).toThrow(/trackSessions needs the markers and counters capability \(MarkerStore\).*`claim`, `isClaimed`/);
  });

  it("refuses an unknown option with a suggestion", () => {
    expect(() => trackSessions(new MemoryStore(), { store, userid: () => "x" } as never)).toThrow(/`userid`.*Did you mean `userId`/);
  });

  it.each([
    ["timeoutMs", 0],
    ["touchEveryMs", -1],
    ["maxLifetimeMs", Number.NaN],
    ["retryAfterSeconds", "5"],
  ])("refuses %s = %s", (name, value) => {
    expect(() => trackSessions(new MemoryStore(), { store, [name]: value })).toThrow(new RegExp(`\`${name}\` must be a positive number`));
  });

  it("refuses a userId that is not a function", () => {
    expect(() => trackSessions(new MemoryStore(), { store, userId: "passport.user" as never })).toThrow(/`userId` must be a function/);
  });
});

describe("the default user id", () => {
  it.each([
    [{ passport: { user: "u1" } }, "u1"],
    [{ passport: { user: 42 } }, 42],
    [{ passport: {} , userId: "u2" }, "u2"],
    [{ userId: 7 }, 7],
    [{ cart: [1, 2] }, undefined],
  ])("reads %j as %j", (data, expected) => {
    expect(defaultSessionUserId(data)).toEqual(expected);
  });
});

describe("expressSession and sessionStoreUnavailable setup", () => {
  it("refuses an unknown option or a bad cookie name", () => {
    expect(() => expressSession({ cookie: "x" } as never)).toThrow(/unsupported option `cookie`/);
    expect(() => expressSession({ name: "bad name" })).toThrow(/cookie name/);
  });

  it("refuses a shape that is not a Shape", () => {
    expect(() => sessionStoreUnavailable({ shape: {} as never })).toThrow(/must be a Shape/);
  });
});
