/**
 * Security test matrix, group F: API-key logout (Endor Labs' `authentication_source` = `api-key`). Logging out
 * with a key ends every session minted from that key; the key itself stays valid for new logins (the wire
 * decision of docs/security.md). Two users with a key each, on both Express majors.
 */
import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";
import {
  LogoutEvents,
  apiKeyAndSecret,
  bearerToken,
  createLogoutHandler,
  hashSecret,
  issueSession,
  shapes,
  whoAmI,
  type ApiKeyRecord,
  type LogoutEventMap,
  type UserDirectory,
  type UserRecord,
} from "../../src/index.js";
import { expressVersions, type ExpressFactory } from "../helpers/express.js";
import { listen, rawRequest } from "../helpers/raw-http.js";
import { RecordingStore } from "../helpers/store.js";

const ALICE_SECRET = "alice-api-secret-0123456789";
const BOB_SECRET = "bob-api-secret-9876543210";

/** Two users, an API key each; the directory keeps only the secrets' hashes. */
class KeyDirectory implements UserDirectory {
  readonly keys = new Map<string, ApiKeyRecord>([
    ["alice-key", { id: "key-alice", userId: "alice", secretHash: hashSecret(ALICE_SECRET) }],
    ["bob-key", { id: "key-bob", userId: "bob", secretHash: hashSecret(BOB_SECRET) }],
  ]);
  findUser(userId: string): Promise<UserRecord | undefined> {
    return Promise.resolve(userId === "alice" || userId === "bob" ? { id: userId, username: userId } : undefined);
  }
  findApiKey(key: string): Promise<ApiKeyRecord | undefined> {
    return Promise.resolve(this.keys.get(key));
  }
}

describe.each(expressVersions)("API-key logout on $name", ({ express }) => {
  let store: RecordingStore;
  let events: LogoutEvents;
  let seen: unknown[];
  const users = new KeyDirectory();

  function app(e: ExpressFactory = express, apiKeyQuery = true) {
    const a = e();
    const credentials = [apiKeyAndSecret({ query: apiKeyQuery, when: (req) => req.params.authentication_source === "api-key" }), bearerToken()];
    a.get("/v1/auth/:authentication_source/logout", createLogoutHandler({ store, users, events, shape: shapes.endor, credentials }));
    a.get("/v1/auth", whoAmI({ store, users, shape: shapes.endor }));
    return a;
  }

  beforeEach(() => {
    store = new RecordingStore();
    events = new LogoutEvents();
    seen = [];
    for (const name of ["session.ended", "sessions.ended", "logout.refused", "store.error"] as const) events.on(name, (e) => seen.push(e));
  });

  /** Sessions of both users: two minted from each key, one browser session each. */
  async function sessions() {
    const mint = (userId: string, apiKeyId?: string) => issueSession(store, { userId, ...(apiKeyId === undefined ? {} : { apiKeyId, authenticationSource: "api-key" }) });
    const result = {
      aliceKey: [await mint("alice", "key-alice"), await mint("alice", "key-alice")],
      aliceBrowser: await mint("alice"),
      bobKey: [await mint("bob", "key-bob")],
      bobBrowser: await mint("bob"),
    };
    store.reset();
    return result;
  }

  const viaKey = (key: string, secret: string) => request(app()).get("/v1/auth/api-key/logout").set({ "X-Api-Key": key, "X-Api-Secret": secret });

  it("F66: ends every session minted from the key, whose tokens are refused at once; the store and directory hold only hashes", async () => {
    const s = await sessions();
    const res = await viaKey("alice-key", ALICE_SECRET);
    expect(res.status).toBe(200);
    for (const minted of s.aliceKey) {
      expect(await store.getSession(minted.session.id)).toBeUndefined();
      expect((await request(app()).get("/v1/auth").set("Authorization", `Bearer ${minted.token}`)).status).toBe(401);
    }
    expect(await store.snapshot("alice", "bob")).toEqual([s.aliceBrowser.session, s.bobKey[0]!.session, s.bobBrowser.session].sort((a, b) => a.id.localeCompare(b.id)));
    const dump = JSON.stringify([await store.snapshot("alice", "bob"), [...users.keys.values()]]);
    for (const secret of [ALICE_SECRET, BOB_SECRET, s.aliceBrowser.token, s.bobBrowser.token, s.bobKey[0]!.token]) expect(dump).not.toContain(secret);
  });

  it("F66: the key itself stays valid: a new session minted from it after the logout ends with the next one", async () => {
    await sessions();
    await viaKey("alice-key", ALICE_SECRET).expect(200);
    const fresh = await issueSession(store, { userId: "alice", apiKeyId: "key-alice" });
    await viaKey("alice-key", ALICE_SECRET).expect(200);
    expect(await store.getSession(fresh.session.id)).toBeUndefined();
  });

  it("F67: another user's key with one's own secret (or the reverse) is a 401 and that key's sessions live", async () => {
    await sessions();
    const before = await store.snapshot("alice", "bob");
    for (const [key, secret] of [["bob-key", ALICE_SECRET], ["alice-key", BOB_SECRET]] as const) {
      expect((await viaKey(key, secret)).status).toBe(401);
    }
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("alice", "bob")).toEqual(before);
  });

  it("F67: a key ends only its own user's key sessions", async () => {
    const s = await sessions();
    await viaKey("bob-key", BOB_SECRET).expect(200);
    expect(await store.snapshot("alice")).toEqual([...s.aliceKey.map((m) => m.session), s.aliceBrowser.session].sort((a, b) => a.id.localeCompare(b.id)));
    expect(await store.snapshot("bob")).toEqual([s.bobBrowser.session]);
  });

  it("F68: unknown, wrong, too long and non-ASCII keys and secrets get one and the same 401, never a 500, and change nothing", async () => {
    await sessions();
    const before = await store.snapshot("alice", "bob");
    const answers = [
      await viaKey("nobody-key", ALICE_SECRET),
      await viaKey("alice-key", "wrong"),
      await viaKey("alice-key", `${ALICE_SECRET}x`),
      await viaKey("alice-key", "s".repeat(5_000)),
      await viaKey("k".repeat(5_000), ALICE_SECRET),
      await request(app()).get(`/v1/auth/api-key/logout?key=alice-key&secret=${encodeURIComponent("s\u00e9cr\u00e8t")}`),
      await request(app()).get(`/v1/auth/api-key/logout?key=${encodeURIComponent("\u{1F511}")}&secret=x`),
    ];
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 401));
    expect(new Set(answers.map((r) => r.text)).size).toBe(1);
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("alice", "bob")).toEqual(before);
  });

  it("F68: raw non-ASCII bytes in X-Api-Key are a 401, never a 500", async () => {
    await sessions();
    const server = await listen(app());
    try {
      const res = await rawRequest(server.port, {
        method: "GET",
        target: "/v1/auth/api-key/logout",
        headers: [["X-Api-Key", Buffer.from("alice-key-\u{1F511}", "utf8")], ["X-Api-Secret", ALICE_SECRET]],
      });
      expect(res.status).toBe(401);
    } finally {
      await server.close();
    }
    expect(store.mutations).toEqual([]);
  });

  it("F69: a host can refuse keys in the query string (Endor's wire format sends them there, so the default takes them)", async () => {
    const s = await sessions();
    const res = await request(app(express, false)).get(`/v1/auth/api-key/logout?key=alice-key&secret=${ALICE_SECRET}`);
    expect(res.status).toBe(400);
    expect(store.mutations).toEqual([]);
    expect(await store.getSession(s.aliceKey[0]!.session.id)).toBeDefined();
    await request(app(express, false)).get("/v1/auth/api-key/logout").set({ "X-Api-Key": "alice-key", "X-Api-Secret": ALICE_SECRET }).expect(200);
  });

  it("F69: a key and secret sent in the query never reach an event or an answer", async () => {
    await sessions();
    const good = await request(app()).get(`/v1/auth/api-key/logout?key=alice-key&secret=${ALICE_SECRET}`);
    const bad = await request(app()).get("/v1/auth/api-key/logout?key=alice-key&secret=query-secret-that-is-wrong");
    expect([good.status, bad.status]).toEqual([200, 401]);
    const text = JSON.stringify(seen) + good.text + bad.text + JSON.stringify(good.headers) + JSON.stringify(bad.headers);
    expect(text).not.toContain(ALICE_SECRET);
    expect(text).not.toContain("query-secret-that-is-wrong");
  });

  it("F70: a repeated key logout answers the same success, ending nothing more", async () => {
    await sessions();
    const first = await viaKey("alice-key", ALICE_SECRET);
    const before = await store.snapshot("alice", "bob");
    const second = await viaKey("alice-key", ALICE_SECRET);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await store.snapshot("alice", "bob")).toEqual(before);
    const counts = seen.filter((e): e is LogoutEventMap["sessions.ended"] => (e as { target?: string }).target === "api-key").map((e) => e.count);
    expect(counts).toEqual([2, 0]);
  });
});
