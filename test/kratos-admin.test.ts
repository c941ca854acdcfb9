import { createHash } from "node:crypto";
import request, { type Response } from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  LogoutEvents,
  RedisSessionStore,
  adminEndSession,
  adminEndUserSessions,
  adminExtendSession,
  adminGetSession,
  adminListSessions,
  adminListUserSessions,
  hashSecret,
  issueSession,
  shapes,
  type SessionRecord,
  type SessionStore,
} from "../src/index.js";
import { expressVersions, type ExpressFactory } from "./helpers/express.js";
import { connectRedisV5, deleteKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";
import { TestDirectory } from "./helpers/rocket-chat.js";
import { needService, portOpen } from "./helpers/services.js";
import { RecordingStore } from "./helpers/store.js";

/** Kratos identities are UUIDs: the directory knows this one as Alice. */
const ALICE = "9b0c7a52-3d6f-4e8a-9f1b-2c4d6e8f0a1b";
const ADMIN = "0d5f2c8e-7a1b-4c3d-8e9f-1a2b3c4d5e6f";
const NOBODY = "5a1e6d0c-2b3f-4a7c-8d9e-0f1a2b3c4d5e";
const UNKNOWN_SESSION = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const ADMIN_KEY = "ory_pat_admin-key-0123456789abcdefghijklmnop";

const UNAUTHORIZED = '{"error":{"code":401,"status":"Unauthorized","message":"The request could not be authorized"}}';
const NO_SESSION = '{"error":{"code":401,"status":"Unauthorized","reason":"No valid session cookie found.","message":"The request could not be authorized"}}';
const FORBIDDEN = '{"error":{"code":403,"status":"Forbidden","message":"The requested action was forbidden"}}';
const NOT_FOUND = '{"error":{"code":404,"status":"Not Found","message":"Unable to locate the resource"}}';
const message400 = (message: string) => JSON.stringify({ error: { code: 400, status: "Bad Request", message } });
const reason400 = (reason: string) => JSON.stringify({ error: { code: 400, status: "Bad Request", reason, message: "The request was malformed or contained invalid parameters" } });
const badUuid = (text: string) => message400(`uuid: incorrect UUID length ${String(text.length)} in string "${text}"`);

/** Go's `url.QueryEscape` of a base64 page token (`+` and `/` escaped, nothing else in the alphabet). */
const escapeToken = (token: string) => encodeURIComponent(token);
/** `MapPageToken{id, created_at}.Encode()`, computed here independently of the shape. */
function pageToken(id: string, createdAt: number): string {
  const iso = new Date(createdAt).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, "");
  const time = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === "" ? "" : `.${fraction}`}`;
  return Buffer.from(`id=${id}/created_at=${time}`).toString("base64").replace(/=+$/, "");
}
const FIRST_TOKEN = pageToken("00000000-0000-0000-0000-000000000000", Date.UTC(2200, 11, 31, 23, 59, 59));
/** Unpadded standard base64, as Go's `base64.RawStdEncoding` writes it. */
const raw = (text: string) => Buffer.from(text).toString("base64").replace(/=+$/, "");
const offsetToken = (offset: number) => Buffer.from(`{"offset":"${String(offset)}","v":2}`).toString("base64url");

function directory(): TestDirectory {
  const users = new TestDirectory();
  users.add({ id: ALICE, username: "alice", email: "alice@example.com", firstName: "Alice", lastName: "Liddell", createdAt: Date.parse("2024-01-15T09:30:00Z") });
  users.add({ id: ADMIN, username: "ops", email: "ops@example.com" }, ["view-device-management"]);
  return users;
}

/** The six admin routes on Kratos' paths, behind an admin API key; list and delete also behind a permission. */
function kratosAdminApp(express: ExpressFactory, store: SessionStore, users: TestDirectory, events: LogoutEvents) {
  const app = express();
  const admin = { store, users, events, shape: shapes.kratos, gate: { apiKeyHashes: [hashSecret(ADMIN_KEY)] } } as const;
  app.get("/admin/sessions", adminListSessions(admin));
  app.get("/admin/sessions/:id", adminGetSession(admin));
  app.delete("/admin/sessions/:id", adminEndSession(admin));
  app.patch("/admin/sessions/:id/extend", adminExtendSession({ ...admin, lifespanMs: 3_600_000, maxLifetimeMs: 2 * 3_600_000 }));
  app.get("/admin/identities/:id/sessions", adminListUserSessions(admin));
  app.delete("/admin/identities/:id/sessions", adminEndUserSessions(admin));
  const permission = { ...admin, gate: { permission: "view-device-management", totp: false } } as const;
  app.get("/by-permission/admin/sessions", adminListSessions(permission));
  return app;
}

const later = () => new Promise((resolve) => setTimeout(resolve, 3));
const key = { Authorization: `Bearer ${ADMIN_KEY}` };

/** A session as GET /admin/sessions shows it without `expand`. */
function listed(s: SessionRecord): Record<string, unknown> {
  const at = (ms: number) => new Date(ms).toISOString();
  return {
    id: s.id,
    active: true,
    expires_at: at(s.expiresAt),
    authenticated_at: at(s.authenticatedAt ?? s.createdAt),
    authenticator_assurance_level: "aal1",
    authentication_methods: [{ method: "password", aal: "aal1", completed_at: at(s.createdAt) }],
    issued_at: at(s.createdAt),
    identity: null,
    devices: null,
  };
}

/** The one device of a session as the Kratos shape shows it: a UUID-shaped id derived from the session id. */
function deviceOf(sessionId: string): Record<string, string> {
  const h = createHash("sha256").update(`device:${sessionId}`).digest("hex");
  const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return { id, ip_address: "198.51.100.4", user_agent: "curl/8.5.0", location: "" };
}

const aliceIdentity = {
  id: ALICE,
  schema_id: "default",
  state: "active",
  traits: { email: "alice@example.com", username: "alice", name: { first: "Alice", last: "Liddell" } },
  metadata_public: null,
  created_at: "2024-01-15T09:30:00.000Z",
  updated_at: "2024-01-15T09:30:00.000Z",
};

describe.each(expressVersions)("Kratos admin plane on $name", ({ express }) => {
  let store: RecordingStore;
  let users: TestDirectory;
  let events: LogoutEvents;
  let app: ReturnType<typeof kratosAdminApp>;

  beforeEach(() => {
    store = new RecordingStore();
    users = directory();
    events = new LogoutEvents();
    app = kratosAdminApp(express, store, users, events);
  });

  async function login(userId: string, extra: { lifetimeMs?: number } = {}) {
    const issued = await issueSession(store, { userId, authenticationSource: "password", method: "password", userAgent: "curl/8.5.0", ip: "198.51.100.4", tokenPrefix: "ory_st_", ...extra });
    await later();
    return issued;
  }

  /** Every session of the test's users, to compare before and after a refused request. */
  const snapshot = () => store.snapshot(ALICE, ADMIN, "alice", "bob");

  describe("GET /admin/sessions", () => {
    it("answers every live session, newest first, without identity or devices, and a Link to the first page", async () => {
      const a = await login(ALICE);
      const b = await login(ADMIN);
      store.reset();
      const res = await request(app).get("/admin/sessions").set(key);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers.link).toBe(`</admin/sessions?page_size=250&page_token=${escapeToken(FIRST_TOKEN)}>; rel="first"`);
      expect(res.text).toBe(JSON.stringify([listed(b.session), listed(a.session)]));
      expect(store.mutations).toEqual([]);
    });

    it("answers an empty store with [] and only the first link", async () => {
      const res = await request(app).get("/admin/sessions?page_size=2").set(key);
      expect(res.status).toBe(200);
      expect(res.text).toBe("[]");
      expect(res.headers.link).toBe(`</admin/sessions?page_size=2&page_token=${escapeToken(FIRST_TOKEN)}>; rel="first"`);
    });

    it("pages by page_token through the Link header: each session once, the last page without a next link", async () => {
      const made: SessionRecord[] = [];
      for (let i = 0; i < 5; i++) made.push((await login(i % 2 === 0 ? ALICE : ADMIN)).session);
      const seen: string[] = [];
      let url: string | undefined = "/admin/sessions?page_size=2&active=true";
      const links: string[] = [];
      while (url !== undefined) {
        const res: Response = await request(app).get(url).set(key);
        expect(res.status).toBe(200);
        seen.push(...(res.body as { id: string }[]).map((s) => s.id));
        const link = res.headers.link as string;
        links.push(link);
        url = /<([^>]+)>; rel="next"/.exec(link)?.[1];
      }
      expect(seen).toEqual([...made].reverse().map((s) => s.id));
      expect(links).toHaveLength(3);
      const after = made[3] as SessionRecord;
      // The next link carries the last session of the page, as Kratos' `Session.PageToken()` does, the query sorted.
      expect(links[0]).toBe(
        `</admin/sessions?active=true&page_size=2&page_token=${escapeToken(FIRST_TOKEN)}>; rel="first",` +
          `</admin/sessions?active=true&page_size=2&page_token=${escapeToken(pageToken(after.id, after.createdAt))}>; rel="next"`,
      );
      expect(links[2]).toBe(`</admin/sessions?active=true&page_size=2&page_token=${escapeToken(FIRST_TOKEN)}>; rel="first"`);
    });

    it("clamps page_size as Kratos does: 0 or less is 250, more than 1000 is 1000", async () => {
      await login(ALICE);
      for (const [asked, used] of [["0", 250], ["-3", 250], ["5000", 1000], ["1000", 1000], ["+7", 7]] as const) {
        const res = await request(app).get(`/admin/sessions?page_size=${encodeURIComponent(asked)}`).set(key);
        expect(res.status).toBe(200);
        expect(res.headers.link).toBe(`</admin/sessions?page_size=${String(used)}&page_token=${escapeToken(FIRST_TOKEN)}>; rel="first"`);
      }
    });

    it("refuses a page_size that is no number, and a page_token that is no token, with Kratos' bodies, changing nothing", async () => {
      await login(ALICE);
      const before = await snapshot();
      store.reset();
      const cases: [string, string][] = [
        ["page_size=ten", message400("could not parse parameter page_size")],
        ["page_token=%21%21%21", message400("could not parse parameter page_size")],
        ["page_token=abcde", message400("could not parse parameter page_size")],
        // Padded base64 is not Go's RawStdEncoding: Kratos answers it as a page_size it cannot parse.
        [`page_token=${escapeToken(Buffer.from("id=x/created_at=2024-01-01 00:00:00").toString("base64"))}`, message400("could not parse parameter page_size")],
        [`page_token=${escapeToken(raw("id=not-a-uuid/created_at=2024-01-01 00:00:00"))}`, reason400("The page token is invalid, do not craft your own page tokens")],
        [`page_token=${escapeToken(raw(`id=${UNKNOWN_SESSION}`))}`, reason400("The page token is invalid, do not craft your own page tokens")],
        ["active=maybe", message400("could not parse parameter active")],
        ["expand=identity&expand=bogus", reason400("Could not parse expand option: bogus")],
      ];
      for (const [query, body] of cases) {
        const res = await request(app).get(`/admin/sessions?${query}`).set(key);
        expect({ query, status: res.status, body: res.text }).toEqual({ query, status: 400, body });
      }
      expect(store.mutations).toEqual([]);
      expect(await snapshot()).toEqual(before);
    });

    it("answers active=false with an empty page: an ended session is deleted, never kept inactive", async () => {
      await login(ALICE);
      const res = await request(app).get("/admin/sessions?active=false").set(key);
      expect(res.status).toBe(200);
      expect(res.text).toBe("[]");
    });

    it("expands identity and devices when asked, in any case", async () => {
      const { session } = await login(ALICE);
      const res = await request(app).get("/admin/sessions?expand=Identity&expand=devices").set(key);
      const [first] = res.body as Record<string, unknown>[];
      expect(first?.identity).toEqual(aliceIdentity);
      expect(first?.devices).toEqual([{ id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown, ip_address: "198.51.100.4", user_agent: "curl/8.5.0", location: "" }]);
      expect(first?.id).toBe(session.id);
    });
  });

  describe("GET /admin/sessions/{id}", () => {
    it("answers the session without identity and with no devices, or with them expanded", async () => {
      const { session } = await login(ALICE);
      const plain = await request(app).get(`/admin/sessions/${session.id}`).set(key);
      expect(plain.status).toBe(200);
      expect(plain.text).toBe(JSON.stringify({ ...listed(session), devices: [] }));
      const expanded = await request(app).get(`/admin/sessions/${session.id.toUpperCase()}?expand=Identity`).set(key);
      expect(expanded.text).toBe(JSON.stringify({ ...listed(session), identity: aliceIdentity, devices: [] }));
      const both = await request(app).get(`/admin/sessions/${session.id}?expand=devices&expand=identity`).set(key);
      expect(both.text).toBe(JSON.stringify({ ...listed(session), identity: aliceIdentity, devices: [deviceOf(session.id)] }));
    });

    it("answers 400 for a bad UUID or expand, 404 for an unknown session", async () => {
      await login(ALICE);
      store.reset();
      const bad = await request(app).get("/admin/sessions/BADUUID").set(key);
      expect([bad.status, bad.text]).toEqual([400, badUuid("BADUUID")]);
      const expand = await request(app).get(`/admin/sessions/${UNKNOWN_SESSION}?expand=nope`).set(key);
      expect([expand.status, expand.text]).toEqual([400, reason400("Could not parse expand option: nope")]);
      const unknown = await request(app).get(`/admin/sessions/${UNKNOWN_SESSION}`).set(key);
      expect([unknown.status, unknown.text]).toEqual([404, NOT_FOUND]);
      expect(store.mutations).toEqual([]);
    });
  });

  describe("DELETE /admin/sessions/{id}", () => {
    it("ends the session with 204 and no body, tells the audit log, and answers 404 the second time", async () => {
      const { session, token } = await login(ALICE);
      const other = await login(ALICE);
      const ended: unknown[] = [];
      events.on("session.ended", (e) => ended.push(e));
      const res = await request(app).delete(`/admin/sessions/${session.id}`).set(key);
      expect([res.status, res.text]).toEqual([204, ""]);
      expect(await store.getSession(session.id)).toBeUndefined();
      expect(await store.getSession(other.session.id)).toBeDefined();
      expect(ended).toMatchObject([{ sessionId: session.id, userId: ALICE, by: "admin-api-key", target: "session" }]);
      expect(token).not.toBe("");
      const again = await request(app).delete(`/admin/sessions/${session.id}`).set(key);
      expect([again.status, again.text]).toEqual([404, NOT_FOUND]);
    });

    it("refuses a bad UUID with 400 and changes nothing", async () => {
      await login(ALICE);
      const before = await snapshot();
      store.reset();
      const res = await request(app).delete("/admin/sessions/1234").set(key);
      expect([res.status, res.text]).toEqual([400, badUuid("1234")]);
      expect(store.mutations).toEqual([]);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe("PATCH /admin/sessions/{id}/extend", () => {
    it("answers 204 and moves a short session's expiry to the lifespan from now", async () => {
      const { session } = await login(ALICE, { lifetimeMs: 60_000 });
      const before = Date.now();
      const res = await request(app).patch(`/admin/sessions/${session.id}/extend`).set(key);
      expect([res.status, res.text]).toEqual([204, ""]);
      const moved = (await store.getSession(session.id))?.expiresAt ?? 0;
      expect(moved).toBeGreaterThanOrEqual(before + 3_600_000);
      expect(moved).toBeLessThanOrEqual(Date.now() + 3_600_000);
    });

    it("never takes a session past its absolute limit from its login, nor shortens one", async () => {
      const { session } = await login(ALICE, { lifetimeMs: 60_000 });
      // Logged in 100 minutes ago: the 2 h limit leaves 20 minutes, less than the 1 h lifespan.
      const old = { ...session, createdAt: Date.now() - 100 * 60_000 };
      await store.revokeSession(session.id);
      await store.createSession(old);
      const res = await request(app).patch(`/admin/sessions/${old.id}/extend`).set(key);
      expect(res.status).toBe(204);
      expect((await store.getSession(old.id))?.expiresAt).toBe(old.createdAt + 2 * 3_600_000);
      const long = (await login(ALICE, { lifetimeMs: 5 * 3_600_000 })).session;
      store.reset();
      expect((await request(app).patch(`/admin/sessions/${long.id}/extend`).set(key)).status).toBe(204);
      expect((await store.getSession(long.id))?.expiresAt).toBe(long.expiresAt);
      expect(store.mutations).toEqual([]);
    });

    it("answers 404 for an unknown session and 400 for a bad UUID, changing nothing", async () => {
      await login(ALICE);
      const before = await snapshot();
      store.reset();
      const unknown = await request(app).patch(`/admin/sessions/${UNKNOWN_SESSION}/extend`).set(key);
      expect([unknown.status, unknown.text]).toEqual([404, NOT_FOUND]);
      const bad = await request(app).patch("/admin/sessions/BADUUID/extend").set(key);
      expect([bad.status, bad.text]).toEqual([400, badUuid("BADUUID")]);
      expect(store.mutations).toEqual([]);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe("GET /admin/identities/{id}/sessions", () => {
    it("answers the identity's sessions with identity and devices, X-Total-Count and a single first link", async () => {
      const a = await login(ALICE);
      const b = await login(ALICE);
      await login(ADMIN);
      const res = await request(app).get(`/admin/identities/${ALICE}/sessions`).set(key);
      expect(res.status).toBe(200);
      expect(res.headers["x-total-count"]).toBe("2");
      expect(res.headers.link).toBe(`</admin/identities/${ALICE}/sessions?page=0&page_size=2&page_token=${offsetToken(0)}&per_page=2>; rel="first"`);
      expect(res.text).toBe(JSON.stringify([b.session, a.session].map((s) => ({ ...listed(s), identity: aliceIdentity, devices: [deviceOf(s.id)] }))));
    });

    it("pages with per_page and page, the Link header as migrationpagination writes it", async () => {
      const made: SessionRecord[] = [];
      for (let i = 0; i < 3; i++) made.push((await login(ALICE)).session);
      const base = `/admin/identities/${ALICE}/sessions`;
      const first = await request(app).get(`${base}?per_page=2`).set(key);
      expect((first.body as { id: string }[]).map((s) => s.id)).toEqual([made[2]?.id, made[1]?.id]);
      expect(first.headers.link).toBe(
        `<${base}?page=1&page_size=2&page_token=${offsetToken(2)}&per_page=2>; rel="next",<${base}?page=1&page_size=2&page_token=${offsetToken(2)}&per_page=2>; rel="last"`,
      );
      const next = /<([^>]+)>; rel="next"/.exec(first.headers.link as string)?.[1] ?? "";
      const second = await request(app).get(next).set(key);
      expect((second.body as { id: string }[]).map((s) => s.id)).toEqual([made[0]?.id]);
      expect(second.headers.link).toBe(
        `<${base}?page=0&page_size=2&page_token=${offsetToken(0)}&per_page=2>; rel="first",<${base}?page=0&page_size=2&page_token=${offsetToken(0)}&per_page=2>; rel="prev"`,
      );
      expect(second.headers["x-total-count"]).toBe("3");
    });

    it("answers an identity without sessions with [] and Kratos' Link for an empty list", async () => {
      const base = `/admin/identities/${NOBODY}/sessions`;
      const res = await request(app).get(base).set(key);
      expect([res.status, res.text, res.headers["x-total-count"]]).toEqual([200, "[]", "0"]);
      expect(res.headers.link).toBe(
        `<${base}?page=0&page_size=250&page_token=${offsetToken(0)}&per_page=250>; rel="first",` +
          `<${base}?page=1&page_size=250&page_token=${offsetToken(250)}&per_page=250>; rel="next",` +
          `<${base}?page=-1&page_size=250&page_token=${offsetToken(-250)}&per_page=250>; rel="prev"`,
      );
    });

    it("refuses a bad identity UUID and a bad active with 400", async () => {
      const bad = await request(app).get("/admin/identities/BADUUID/sessions").set(key);
      expect([bad.status, bad.text]).toEqual([400, badUuid("BADUUID")]);
      const active = await request(app).get(`/admin/identities/${ALICE}/sessions?active=yes`).set(key);
      expect([active.status, active.text]).toEqual([400, message400("could not parse parameter active")]);
    });
  });

  describe("DELETE /admin/identities/{id}/sessions", () => {
    it("ends every session of the identity with 204, leaves others alone, and answers 404 when none is left", async () => {
      await login(ALICE);
      await login(ALICE);
      const admin = await login(ADMIN);
      const res = await request(app).delete(`/admin/identities/${ALICE}/sessions`).set(key);
      expect([res.status, res.text]).toEqual([204, ""]);
      expect(await store.listSessions(ALICE)).toEqual([]);
      expect(await store.getSession(admin.session.id)).toBeDefined();
      const again = await request(app).delete(`/admin/identities/${ALICE}/sessions`).set(key);
      expect([again.status, again.text]).toEqual([404, NOT_FOUND]);
    });

    it("refuses a bad UUID with 400 and changes nothing", async () => {
      await login(ALICE);
      const before = await snapshot();
      store.reset();
      const res = await request(app).delete("/admin/identities/alice/sessions").set(key);
      expect([res.status, res.text]).toEqual([400, badUuid("alice")]);
      expect(store.mutations).toEqual([]);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe("the admin credential", () => {
    it("refuses a request without an admin API key, or with another key or a session token, and changes nothing", async () => {
      const alice = await login(ALICE);
      const before = await snapshot();
      store.reset();
      const attempts = [
        request(app).delete(`/admin/identities/${ALICE}/sessions`),
        request(app).delete(`/admin/identities/${ALICE}/sessions`).set("Authorization", "Bearer ory_pat_not-the-key"),
        request(app).delete(`/admin/sessions/${alice.session.id}`).set("Authorization", `Bearer ${alice.token}`),
        request(app).delete(`/admin/sessions/${alice.session.id}`).set("Cookie", `ory_kratos_session=${alice.token}`),
        request(app).patch(`/admin/sessions/${alice.session.id}/extend`).set("X-Session-Token", alice.token),
      ];
      for (const attempt of attempts) {
        const res = await attempt;
        expect([res.status, res.text]).toEqual([401, UNAUTHORIZED]);
      }
      expect(store.mutations).toEqual([]);
      expect(await snapshot()).toEqual(before);
    });

    it("behind a permission, reads a session token but never the session cookie, and refuses one without the permission", async () => {
      const ops = await login(ADMIN);
      const alice = await login(ALICE);
      store.reset();
      const cookie = await request(app).get("/by-permission/admin/sessions").set("Cookie", `ory_kratos_session=${ops.token}`);
      expect([cookie.status, cookie.text]).toEqual([401, NO_SESSION]);
      const denied = await request(app).get("/by-permission/admin/sessions").set("X-Session-Token", alice.token);
      expect([denied.status, denied.text]).toEqual([403, FORBIDDEN]);
      const granted = await request(app).get("/by-permission/admin/sessions").set("X-Session-Token", ops.token);
      expect(granted.status).toBe(200);
      expect((granted.body as unknown[]).length).toBe(2);
      expect(store.mutations.filter((m) => m !== "touchSession")).toEqual([]);
    });
  });
});

const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

describe.skipIf(!redis)("Kratos admin plane on RedisSessionStore", () => {
  let v5: RedisV5Client;
  const prefix = testPrefix("kratos-admin");

  beforeAll(async () => {
    v5 = await connectRedisV5("redis://127.0.0.1:6379");
  });
  afterAll(async () => {
    await deleteKeys(v5, prefix);
    await v5.close();
  });

  it("pages every session by page_token, each once, newest first, and ends one by id", async () => {
    const store = new RedisSessionStore({ sendCommand: (args) => v5.sendCommand(args), prefix, isReady: () => v5.isReady, indexAllSessions: true });
    await store.loadScripts();
    const [{ express }] = expressVersions;
    const app = kratosAdminApp(express, store, directory(), new LogoutEvents());
    const made: SessionRecord[] = [];
    for (let i = 0; i < 5; i++) {
      made.push((await issueSession(store, { userId: i % 2 === 0 ? ALICE : ADMIN, method: "password" })).session);
      await later();
    }
    const seen: string[] = [];
    let url: string | undefined = "/admin/sessions?page_size=2";
    while (url !== undefined) {
      const res: Response = await request(app).get(url).set(key);
      expect(res.status).toBe(200);
      seen.push(...(res.body as { id: string }[]).map((s) => s.id));
      url = /<([^>]+)>; rel="next"/.exec(res.headers.link as string)?.[1];
    }
    expect(seen).toEqual([...made].reverse().map((s) => s.id));
    const target = made[2] as SessionRecord;
    expect((await request(app).delete(`/admin/sessions/${target.id}`).set(key)).status).toBe(204);
    expect(await store.getSession(target.id)).toBeUndefined();
    const identity = await request(app).get(`/admin/identities/${ALICE}/sessions`).set(key);
    expect(identity.headers["x-total-count"]).toBe("2");
  });
});
