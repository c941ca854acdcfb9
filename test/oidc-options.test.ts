import { describe, expect, it } from "vitest";
import { MemorySessionStore, SetupError, backchannelLogout, issueSession, linkSessionToProvider, storeCapabilityMethods, type SessionStore } from "../src/index.js";

const store = new MemorySessionStore();
const valid = { store, issuer: "https://op.example.com", audience: "my-app", keys: "https://op.example.com/jwks" };

/** A store with the core methods and markers, but none of the provider-link capability. */
function withoutLinks(): SessionStore {
  const base = new MemorySessionStore();
  const core: Record<string, unknown> = {};
  for (const name of [...storeCapabilityMethods.sessions, ...storeCapabilityMethods.markers]) {
    core[name] = (...args: unknown[]) => (Reflect.get(base, name) as (...a: unknown[]) => unknown).apply(base, args);
  }
  return core as unknown as SessionStore;
}

describe("backchannelLogout refuses a misconfiguration at setup, saying what to do", () => {
  it.each([
    ["no issuer", { ...valid, issuer: undefined }, /needs `issuer`/],
    ["an issuer that is not a URL", { ...valid, issuer: "op.example.com" }, /needs `issuer`/],
    ["no audience", { ...valid, audience: undefined }, /needs `audience`/],
    ["an empty audience list", { ...valid, audience: [] }, /needs `audience`/],
    ["no keys", { ...valid, keys: undefined }, /needs `keys`/],
    ["keys that are not a URL", { ...valid, keys: "not a url" }, /is not a URL/],
    ["an empty JWK set", { ...valid, keys: { keys: [] } }, /at least one key/],
    ["a private JWK", { ...valid, keys: { keys: [{ kty: "RSA", n: "x", e: "AQAB", d: "secret" }] } }, /private key/],
    ["a symmetric JWK", { ...valid, keys: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }, /symmetric/],
    ["an unknown keys option", { ...valid, keys: { jwksUri: "https://op.example.com/jwks", cacheMs: 5 } }, /unsupported option `cacheMs`/],
    ["HS256 among the algorithms", { ...valid, algorithms: ["RS256", "HS256"] }, /must not include "HS256"/],
    ["alg none among the algorithms", { ...valid, algorithms: ["none"] }, /must not include "none"/],
    ["a misspelt option", { ...valid, audiance: "x" }, /unsupported option `audiance`. Did you mean `audience`\?/],
    ["a clock tolerance of an hour", { ...valid, clockToleranceSeconds: 3600 }, /clockToleranceSeconds` must be a whole number of seconds from 0 to 300/],
    ["a zero maximum age", { ...valid, maxTokenAgeSeconds: 0 }, /maxTokenAgeSeconds/],
    ["allowJwtTyp that is not a boolean", { ...valid, allowJwtTyp: "yes" }, /allowJwtTyp/],
    ["events that are not LogoutEvents", { ...valid, events: {} }, /events/],
  ])("%s", (_name, options, message) => {
    expect(() => backchannelLogout(options as never)).toThrow(message);
  });

  it("a store without provider-session links, naming the missing methods and the capability code", () => {
    let thrown: unknown;
    try {
      backchannelLogout({ ...valid, store: withoutLinks() });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SetupError);
    expect((thrown as SetupError).code).toBe("store-capability-missing");
    expect((thrown as SetupError).message).toMatch(/backchannelLogout needs the provider-session links capability \(ProviderSessionLinks\), and `store` lacks `linkProviderSession`, `findSessionsByProviderSid`, `findSessionsByProviderSubject`/);
  });

  it("a store without markers (the jti is spent through one)", () => {
    const base = new MemorySessionStore();
    const core: Record<string, unknown> = {};
    for (const name of storeCapabilityMethods.sessions) core[name] = (...args: unknown[]) => (Reflect.get(base, name) as (...a: unknown[]) => unknown).apply(base, args);
    expect(() => backchannelLogout({ ...valid, store: core as unknown as SessionStore })).toThrow(/backchannelLogout needs the markers and counters capability/);
  });

  it("being mounted without being called", () => {
    expect(() => backchannelLogout({ method: "POST", headers: {}, url: "/" } as never)).toThrow(/is a factory/);
  });

  it("accepts every documented form of keys", () => {
    const jwk = { kty: "RSA", n: "sXch", e: "AQAB", kid: "k" };
    for (const keys of ["https://op.example.com/jwks", new URL("https://op.example.com/jwks"), { jwksUri: "https://op.example.com/jwks", cooldownMs: 1000, maxAgeMs: 60_000 }, { keys: [jwk] }, () => Promise.reject(new Error("unused"))]) {
      expect(typeof backchannelLogout({ ...valid, keys })).toBe("function");
    }
  });
});

describe("issueSession and linkSessionToProvider with a provider session", () => {
  it("refuses a provider session without issuer or subject, before any session exists", async () => {
    const s = new MemorySessionStore();
    await expect(issueSession(s, { userId: "u1", providerSession: { issuer: "", subject: "alice" } })).rejects.toThrow(/providerSession.issuer/);
    await expect(issueSession(s, { userId: "u1", providerSession: { issuer: "https://op", subject: 7 } as never })).rejects.toThrow(/providerSession.subject/);
    expect(await s.listSessions("u1")).toEqual([]);
  });

  it("refuses a store without the capability, before any session exists", async () => {
    const s = withoutLinks();
    await expect(issueSession(s, { userId: "u1", providerSession: { issuer: "https://op", subject: "alice" } })).rejects.toThrow(/lacks `linkProviderSession`/);
    expect(await s.listSessions("u1")).toEqual([]);
  });

  it("ends the new session when the link cannot be written, so no session outlives a provider logout", async () => {
    const s = new MemorySessionStore();
    (s as unknown as Record<string, unknown>).linkProviderSession = () => Promise.reject(new Error("ECONNREFUSED"));
    await expect(issueSession(s, { userId: "u1", providerSession: { issuer: "https://op", subject: "alice", sid: "s1" } })).rejects.toThrow("ECONNREFUSED");
    expect(await s.listSessions("u1")).toEqual([]);
  });

  it("links a session opened elsewhere with linkSessionToProvider", async () => {
    const s = new MemorySessionStore();
    const { session } = await issueSession(s, { userId: "u1" });
    await linkSessionToProvider(s, session, { issuer: "https://op", subject: "alice", sid: "s1" });
    expect(await s.findSessionsByProviderSid("https://op", "s1")).toEqual([
      { issuer: "https://op", subject: "alice", sid: "s1", sessionId: session.id, userId: "u1", expiresAt: session.expiresAt },
    ]);
  });
});
