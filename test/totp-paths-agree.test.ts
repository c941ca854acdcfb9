import fc from "fast-check";
import type { Express } from "express";
import request from "supertest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_TOTP_FAILURE_WINDOW_MS as FAILURE_WINDOW_MS, MemorySessionStore, issueSession, requireSession, requireTotp, type CompleteSessionStore } from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { ADMIN_SECRET, TestDirectory, codeAt, wrongCode } from "./helpers/rocket-chat.js";
import { connectRedisV5, countingStore, deleteKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";
import { needService, portOpen } from "./helpers/services.js";
import { MarkerPathRecordingStore } from "./helpers/store.js";

// The TOTP throttle's rules run in three places: the marker path of `requireTotp` (any store with markers), the
// memory store's one-call attempt and the Redis script. The conformance kit holds each to fixed cases; here all
// three answer the same random sequences of right, wrong and replayed codes over time, request by request: the
// same status and refusal, and the same wait but where only a one-call attempt can know what is left of it.
// (The script reckons with the app's clock, so the fake clock moves its lock-outs and windows too.)

const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

type Code = "right" | "previous-step" | "wrong" | "again";
interface Step {
  readonly advanceMs: number;
  readonly code: Code;
}

const ADVANCES = [0, 1_000, 10_000, 30_000, 60_000, 4 * 60_000, 5 * 60_000 + 1_000, 60 * 60_000, 12 * 60 * 60_000];
const steps = fc.array(fc.record({ advanceMs: fc.constantFrom(...ADVANCES), code: fc.constantFrom<Code>("right", "previous-step", "wrong", "again") }), { minLength: 5, maxLength: 40 });

describe.each(expressVersions)("the TOTP throttle's three runners agree, on $name", ({ express }) => {
  let client: RedisV5Client | undefined;
  const prefixes: string[] = [];
  beforeAll(async () => {
    if (redis) client = await connectRedisV5("redis://127.0.0.1:6379");
  });
  afterAll(async () => {
    if (client === undefined) return;
    for (const prefix of prefixes) await deleteKeys(client, prefix);
    await client.close();
  });
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function route(store: CompleteSessionStore): Promise<{ app: Express; auth: Record<string, string> }> {
    const users = new TestDirectory();
    const app = express();
    app.post("/step-up", requireSession({ store }), requireTotp({ store, users }), (_req, res) => {
      res.json({ ok: true });
    });
    const { token } = await issueSession(store, { userId: "admin" });
    return { app: app as Express, auth: { Authorization: `Bearer ${token}` } };
  }

  it("answers every attempt of a sequence alike: the status, the wait and the refusal", async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (sequence: readonly Step[]) => {
        vi.setSystemTime(Date.parse("2026-03-02T08:00:05Z"));
        const oneCall = new MemorySessionStore();
        const markers = new MarkerPathRecordingStore();
        // Each sequence on Redis has a prefix of its own, so no run sees another's counters.
        const prefix = testPrefix("totp-agree");
        prefixes.push(prefix);
        try {
          const runners = [await route(oneCall), await route(markers), ...(client === undefined ? [] : [await route(countingStore(client, { prefix }).store)])];
          let last = "";
          for (const { advanceMs, code } of sequence) {
            vi.setSystemTime(Date.now() + advanceMs);
            const presented =
              code === "right" ? await codeAt(ADMIN_SECRET) : code === "previous-step" ? await codeAt(ADMIN_SECRET, -1) : code === "wrong" ? await wrongCode(ADMIN_SECRET) : last || (await codeAt(ADMIN_SECRET));
            if (code !== "wrong") last = presented;
            const answers = [];
            for (const { app, auth } of runners) {
              const res = await request(app).post("/step-up").set(auth).set("x-2fa-code", presented);
              answers.push({ status: res.status, retryAfter: res.headers["retry-after"], code: (res.body as { code?: unknown }).code });
            }
            expect(answers).toHaveLength(redis ? 3 : 2);
            const [one, marker, script] = answers;
            if (script !== undefined) expect(script).toEqual(one);
            expect({ status: marker?.status, code: marker?.code }).toEqual({ status: one?.status, code: one?.code });
            // A marker only says that a lock-out holds, not since when: that path answers its full length, where
            // the one call knows what is left of it. The day's cap is the same wait on both.
            if (marker?.retryAfter !== one?.retryAfter) {
              expect(marker?.retryAfter).toBe(String(FAILURE_WINDOW_MS / 1000));
              expect(Number(one?.retryAfter)).toBeLessThanOrEqual(FAILURE_WINDOW_MS / 1000);
            }
          }
        } finally {
          oneCall.close();
          markers.close();
        }
      }),
      { numRuns: 15 },
    );
  }, 60_000);
});
