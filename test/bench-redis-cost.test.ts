import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logoutScriptParts } from "../bench/redis-cost-parts.js";
import { issueSession } from "../src/index.js";
import { END_SESSION_BY_TOKEN } from "../src/store/redis-scripts.js";
import { connectRedisV5, countingStore, deleteKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";
import { needService, portOpen } from "./helpers/services.js";

// `npm run bench:redis-cost` reads each part of the logout script's cost off variants with that part taken out.
// The variants must be taken from the script as it is, and each must still do what its row says.

const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

describe("bench:redis-cost's variants of the logout script", () => {
  const parts = logoutScriptParts(END_SESSION_BY_TOKEN.routed.source);

  it("takes out one more part at each step, each from the script the store runs", () => {
    expect(parts).toHaveLength(7);
    let previous = END_SESSION_BY_TOKEN.routed.source;
    for (const part of parts.slice(0, 3)) {
      expect(part.source.length).toBeLessThan(previous.length);
      expect(previous.replace(/\s+/g, "")).toContain(part.source.replace(/\s+/g, "").slice(0, 200));
      previous = part.source;
    }
    expect(parts.map((p) => p.source)).not.toContain(END_SESSION_BY_TOKEN.routed.source);
  });

  it("cuts the lookup shorter at each step: the script as it is up to a statement, then no answer", () => {
    const source = END_SESSION_BY_TOKEN.routed.source;
    const cuts = parts.slice(3, 6);
    const statements = ["local f, member, tokenKey = tokenSession(base, ARGV[2], ARGV[3])", "local base = ARGV[1] .. 'user:{' .. keypart(owner) .. '}:'", "local owner = redis.call('GET', KEYS[1])"];
    expect(cuts.map((cut) => cut.without)).toEqual([expect.stringMatching(/HMGET/), expect.stringMatching(/key part/), expect.stringMatching(/route's read/)]);
    for (const [i, cut] of cuts.entries()) {
      const statement = statements[i] ?? "";
      expect(cut.source).toBe(`${source.slice(0, source.indexOf(statement) + statement.length)}\nreturn false`);
      expect(cut.source.length).toBeLessThan(i === 0 ? source.length : (cuts[i - 1]?.source.length ?? 0));
    }
  });

  it("refuses a script that no longer holds a part exactly once", () => {
    expect(() => logoutScriptParts("return false")).toThrow(/update bench\/redis-cost-parts.ts/);
    const twice = END_SESSION_BY_TOKEN.routed.source.replace("redis.call('ZREM', base .. 'sessions', member)", "redis.call('ZREM', base .. 'sessions', member) redis.call('ZREM', base .. 'sessions', member)");
    expect(() => logoutScriptParts(twice)).toThrow(/exactly once/);
  });

  describe.skipIf(!redis)("on Redis", () => {
    let client: RedisV5Client;
    const prefix = testPrefix("redis-cost");
    beforeAll(async () => { client = await connectRedisV5("redis://127.0.0.1:6379"); });
    afterAll(async () => {
      await deleteKeys(client, prefix);
      await client.close();
    });

    /** Runs a variant in place of the logout script through the store; answers what it removed and announced. */
    async function runVariant(source: string) {
      const { store } = countingStore(client, { prefix });
      const { session } = await issueSession(store, { userId: "cost-user" });
      const sha = await client.scriptLoad(source);
      const routeKey = `${prefix}route:token:{${session.tokenHash}}`;
      const base = `${prefix}user:{cost-user}:`;
      const reply = await client.sendCommand(["EVALSHA", sha, "1", routeKey, prefix, session.tokenHash, session.tokenHash, String(Date.now()), "PUBLISH", "", "0"]);
      const record = await client.exists(`${base}session:${session.id}`);
      const indexed = await client.zScore(`${base}sessions`, session.id);
      return { reply, recordKept: record === 1, indexKept: indexed !== null };
    }

    it("each variant still finds the session and keeps what its row says it no longer removes", async () => {
      const [noNotice, noIndex, lookupOnly, ...cutShort] = parts;
      const callOnly = cutShort.pop();
      if (noNotice === undefined || noIndex === undefined || lookupOnly === undefined || callOnly === undefined) throw new Error("seven variants expected");
      const a = await runVariant(noNotice.source);
      expect(Array.isArray(a.reply)).toBe(true);
      expect(a).toMatchObject({ recordKept: false, indexKept: false });
      const b = await runVariant(noIndex.source);
      expect(Array.isArray(b.reply)).toBe(true);
      expect(b).toMatchObject({ recordKept: false, indexKept: true });
      const c = await runVariant(lookupOnly.source);
      expect(Array.isArray(c.reply)).toBe(true);
      expect(c).toMatchObject({ recordKept: true, indexKept: true });
      for (const variant of [...cutShort, callOnly]) {
        const d = await runVariant(variant.source);
        expect(d.reply).toBeNull();
        expect(d).toMatchObject({ recordKept: true, indexKept: true });
      }
    });
  });
});
