import { describe, expect, it } from "vitest";
import type { Request } from "express";
import { endorAuthenticationResponse, shapes } from "../src/index.js";
import { endorAuthenticationResponseText } from "../src/shapes/endor.js";
import { valueLiteral } from "../src/json-literal.js";
import { soajsUser } from "../src/shapes/soajs.js";
import type { EndedOutcome, UserRecord } from "../src/types.js";

/** A small deterministic generator, so a failure names the same case on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// Characters JSON escapes, or that are easy to escape wrongly: quotes, backslashes, controls, the two line
// separators JavaScript once refused, a lone surrogate of each kind, a pair, and plain text.
const PIECES = ['"', "\\", "\n", "\u0000", "\u001f", "\u007f", "\u2028", "\u2029", "\ud800", "\udfff", "😀", "é", "a", "user-1", "</script>", " "];

function text(next: () => number): string {
  let out = "";
  const length = Math.floor(next() * 6);
  for (let i = 0; i < length; i++) out += PIECES[Math.floor(next() * PIECES.length)] ?? "";
  return out;
}

/** A time a record may hold: none, an ordinary one, one with zero milliseconds, one before 1970. */
function time(next: () => number): number | undefined {
  const pick = Math.floor(next() * 4);
  if (pick === 0) return undefined;
  if (pick === 1) return 1_700_000_000_000 + Math.floor(next() * 1e10);
  if (pick === 2) return 1_700_000_000_000;
  return -86_400_123;
}

function user(next: () => number): UserRecord | undefined {
  if (next() < 0.1) return undefined;
  const maybe = <T>(value: T): T | undefined => (next() < 0.3 ? undefined : value);
  return {
    id: text(next) || "u",
    username: maybe(text(next)),
    email: maybe(text(next)),
    firstName: maybe(text(next)),
    lastName: maybe(text(next)),
    groups: maybe(Array.from({ length: Math.floor(next() * 3) }, () => text(next))),
    tenant: maybe({ id: "t", code: text(next) }),
    createdAt: time(next),
    updatedAt: time(next),
    lastLoginAt: time(next),
  } as UserRecord;
}

describe("Endor's AuthenticationResponse written from its template", () => {
  it("is byte for byte JSON.stringify of the object, over 5 000 generated users and sources", () => {
    const next = prng(14);
    for (let i = 0; i < 5_000; i++) {
      const input = { authenticationSource: text(next), token: next() < 0.5 ? "" : text(next), expirationTime: time(next) ?? 0, user: user(next), userId: text(next) || "id" };
      expect(endorAuthenticationResponseText(input), `case ${String(i)}`).toBe(JSON.stringify(endorAuthenticationResponse(input)));
    }
  });

  it("takes the object path for a record holding values of another type, with the same bytes", () => {
    const odd: unknown[] = [
      { id: "u", username: 42 },
      { id: "u", email: null },
      { id: "u", groups: new Set(["a", "b"]) },
      { id: "u", groups: ["a", 1, null] },
      { id: "u", groups: "admins" },
      { id: "u", tenant: { code: 7 } },
      { id: 9 },
      { id: "u", firstName: { toJSON: () => "x" } },
    ];
    for (const record of odd) {
      const input = { authenticationSource: "login", token: "", expirationTime: 1_700_000_000_000, user: record as UserRecord, userId: "u" };
      expect(endorAuthenticationResponseText(input)).toBe(JSON.stringify(endorAuthenticationResponse(input)));
    }
  });
});

/** A SOAJS user: the host's own parts (profile, config, tenant, groupsConfig) as a database would hand them over. */
function soajsRecord(next: () => number): UserRecord {
  const base = user(next) ?? { id: "u", username: "u" };
  const maybe = <T>(value: T): T | undefined => (next() < 0.3 ? undefined : value);
  return {
    ...base,
    locked: maybe(next() < 0.5),
    status: maybe(text(next)),
    profile: maybe({ [text(next)]: text(next), nested: { n: next(), list: [1, null, text(next)] } }),
    config: maybe({ packages: { [text(next)]: { acl: next() < 0.5 } } }),
    groupsConfig: maybe([{ code: text(next), at: new Date(1_700_000_000_000) }]),
  };
}

describe("SOAJS' logout answer written from its template", () => {
  const caller = { session: { userId: "u" } } as EndedOutcome["caller"];
  const outcomeFor = (record: UserRecord | undefined): EndedOutcome => ({ caller, user: record, endedAt: 0, target: "current", sessionId: "s", count: 1 });
  const requestWith = (handle: string | undefined) => ({ headers: handle === undefined ? {} : { soajsauth: handle }, query: {} }) as unknown as Request;
  const objectAnswer = (record: UserRecord | undefined, handle: string | undefined) =>
    JSON.stringify({ result: true, data: record === undefined ? true : soajsUser(record), ...(handle === undefined ? {} : { soajsauth: handle }) });

  it("is byte for byte the object's JSON, over 5 000 generated users, with and without a handle", () => {
    const next = prng(163);
    for (let i = 0; i < 5_000; i++) {
      const record = next() < 0.05 ? undefined : soajsRecord(next);
      const handle = next() < 0.5 ? undefined : "Basic dGhlLWhhbmRsZQ==";
      expect(shapes.soajs.ended(outcomeFor(record), requestWith(handle)).body, `case ${String(i)}`).toBe(objectAnswer(record, handle));
    }
  });

  it("answers who-am-I in the same bytes as the object's JSON, with and without the user's record", () => {
    const next = prng(161);
    for (let i = 0; i < 1_000; i++) {
      const record = next() < 0.1 ? undefined : soajsRecord(next);
      const handle = next() < 0.5 ? undefined : "Basic dGhlLWhhbmRsZQ==";
      const caller = { session: { userId: text(next) || "u" }, user: record } as unknown as Parameters<NonNullable<typeof shapes.soajs.whoAmI>>[0];
      const data = record === undefined ? { _id: caller.session.userId } : soajsUser(record);
      const expected = JSON.stringify({ result: true, data, ...(handle === undefined ? {} : { soajsauth: handle }) });
      expect(shapes.soajs.whoAmI?.(caller, requestWith(handle)).body, `case ${String(i)}`).toBe(expected);
    }
  });

  it("takes the object path for parts of another type, with the same bytes", () => {
    const odd: unknown[] = [
      { id: undefined },
      { id: "u", username: () => "x" },
      { id: "u", groups: new Set(["a"]) },
      { id: "u", groupsConfig: "none" },
      { id: "u", profile: { toJSON: (key: string) => `written under ${key}` } },
      { id: "u", config: Symbol("c") },
      { id: "u", createdAt: Number.NaN, locked: "no" },
      { id: "u", username: null, firstName: null, email: null, createdAt: null, status: null, locked: null },
      { id: "u", profile: null, groups: null, config: null, tenant: null, groupsConfig: null },
      { id: "u", groups: ["a", 2], groupsConfig: [null, "x", { a: 1 }] },
    ];
    for (const record of odd) {
      expect(shapes.soajs.ended(outcomeFor(record as UserRecord), requestWith(undefined)).body).toBe(objectAnswer(record as UserRecord, undefined));
    }
  });
});

describe("Rocket.Chat's answer to the logout of one session, written from its template", () => {
  it("is byte for byte the object's JSON for ids of every kind, on the shape and its admin plane", () => {
    const next = prng(400);
    for (let i = 0; i < 2_000; i++) {
      const sessionId = next() < 0.05 ? undefined : text(next);
      const outcome: EndedOutcome = { caller: undefined, user: undefined, endedAt: 0, target: "session", sessionId, count: 1 };
      const expected = JSON.stringify({ sessionId, success: true });
      const req = {} as unknown as Request;
      expect(shapes.rocketChat.ended(outcome, req).body, `case ${String(i)}`).toBe(expected);
      const admin = shapes.rocketChat.admin;
      expect(admin?.ended?.({ ...outcome, target: "session", userId: "target-user" }, req).body, `admin case ${String(i)}`).toBe(expected);
    }
  });
});

describe("the JSON text of one value", () => {
  it("is what JSON.stringify writes for it under a key, or undefined where an object would leave it out", () => {
    const values: unknown[] = [0, -0, 1.5, -2e-7, 1e21, 2 ** 53 + 2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, true, false, null, "", "plain", '"', "\\", "\u0000", "\u001f", "\u007f", "\u2028", "\ud800", "\udc00x", "😀", [], [1, "a", null], {}, { a: { b: [true] } }, new Date(0), undefined, () => 1, Symbol("s")];
    for (const [i, value] of values.entries()) {
      const member = JSON.stringify({ k: value });
      const expected = member === "{}" ? undefined : member.slice('{"k":'.length, -1);
      // A Date has its own toJSON: told no key here, it is left to the object path.
      expect(valueLiteral(value), `value ${String(i)}`).toBe(value instanceof Date ? undefined : expected);
    }
  });
});
