import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";
import { LogoutEvents, createLogoutHandler, requireSession, shapes, whoAmI, type LogoutEventMap } from "../src/index.js";
import { expressVersions, type ExpressFactory } from "./helpers/express.js";
import { demoUsers, keysOf, login } from "./helpers/fixture.js";
import { RecordingStore } from "./helpers/store.js";

const UNAUTHENTICATED =
  '{"code":16,"message":"Invalid authorization header: Bearer","details":[{"@type":"type.googleapis.com/internal.endor.ai.rpc.v1.HTTPErrorInfo","status_code":401}]}';

describe.each(expressVersions)("Endor Labs GET /v1/auth/:authentication_source/logout on $name", ({ express }) => {
  let store: RecordingStore;
  let events: LogoutEvents;
  let ended: LogoutEventMap["session.ended"][];
  const users = demoUsers();

  function app(express: ExpressFactory, target?: "all") {
    const a = express();
    const common = { store, users, events, shape: shapes.endor };
    a.get("/v1/auth/:authentication_source/logout", createLogoutHandler({ ...common, ...(target === undefined ? {} : { target }) }));
    a.get("/v1/auth", whoAmI(common));
    a.get("/protected", requireSession(common), (_req, res) => { res.json({ ok: true }); });
    return a;
  }

  beforeEach(() => {
    store = new RecordingStore();
    events = new LogoutEvents();
    ended = [];
    events.on("session.ended", (e) => ended.push(e));
  });

  it("answers 200 with the AuthenticationResponse: source echoed, empty token, logout time, the user field by field", async () => {
    const { token, session } = await login(store, "alice");
    const before = Date.now();
    const res = await request(app(express)).get("/v1/auth/github/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(keysOf(res.text)).toEqual(["authentication_source", "expiration_time", "token", "user"]);
    const body = res.body as Record<string, unknown>;
    expect(body.authentication_source).toBe("github");
    expect(body.token).toBe("");
    const expiration = Date.parse(body.expiration_time as string);
    expect(expiration).toBeGreaterThanOrEqual(before - 1);
    expect(expiration).toBeLessThanOrEqual(Date.now());
    expect(body.expiration_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
    expect(body.user).toEqual({
      meta: {
        name: "alice",
        annotations: {},
        create_time: "2024-01-15T09:30:00Z",
        created_by: "",
        description: "",
        index_data: { data: [], search_score: 0, tenant: "DBTN", will_be_deleted_at: null },
        kind: "User",
        parent_kind: "",
        parent_uuid: "",
        references: {},
        tags: [],
        update_time: "2024-01-15T09:30:00Z",
        updated_by: "",
        upsert_time: "2024-01-15T09:30:00Z",
        version: "v1",
      },
      spec: {
        email: "alice@example.com",
        event_tracking: {},
        first_name: "Alice",
        groups: ["users"],
        last_login_time: null,
        last_name: "Liddell",
        token_hash: "",
        user_name: "alice",
      },
      uuid: "alice",
    });
    expect(keysOf(JSON.stringify(body.user))).toEqual(["meta", "spec", "uuid"]);
    expect(await store.getSession(session.id)).toBeUndefined();
    expect(ended).toEqual([{ sessionId: session.id, userId: "alice", by: "alice", target: "current", at: expect.any(Number) as number }]);
  });

  it("refuses the same token at once on every protected route after logout", async () => {
    const { token } = await login(store, "alice");
    const a = app(express);
    await request(a).get("/protected").set("Authorization", `Bearer ${token}`).expect(200);
    await request(a).get("/v1/auth/login/logout").set("Authorization", `Bearer ${token}`).expect(200);
    const protectedRes = await request(a).get("/protected").set("Authorization", `Bearer ${token}`);
    expect(protectedRes.status).toBe(401);
    const who = await request(a).get("/v1/auth").set("Authorization", `Bearer ${token}`);
    expect(who.status).toBe(401);
    expect(who.text).toBe(UNAUTHENTICATED);
  });

  it("ends only the presented session by default, and every session of the user with target all", async () => {
    const first = await login(store, "alice");
    const second = await login(store, "alice");
    const bob = await login(store, "admin");
    await request(app(express)).get("/v1/auth/login/logout").set("Authorization", `Bearer ${first.token}`).expect(200);
    expect((await store.listSessions("alice")).map((s) => s.id)).toEqual([second.session.id]);
    const third = await login(store, "alice");
    await request(app(express, "all")).get("/v1/auth/login/logout").set("Authorization", `Bearer ${third.token}`).expect(200);
    expect(await store.listSessions("alice")).toEqual([]);
    expect((await store.listSessions("admin")).map((s) => s.id)).toEqual([bob.session.id]);
  });

  it.each([
    ["no Authorization header", undefined],
    ["an unknown token", "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["a token of the wrong length", "Bearer x"],
    ["an empty bearer", "Bearer "],
    ["a Basic header", "Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="],
    ["a 10 kB token", `Bearer ${"a".repeat(10_000)}`],
  ])("answers 401 code 16 for %s and changes nothing", async (_name, header) => {
    await login(store, "alice");
    const before = await store.snapshot("alice");
    store.reset();
    const r = request(app(express)).get("/v1/auth/login/logout");
    const res = header === undefined ? await r : await r.set("Authorization", header);
    expect(res.status).toBe(401);
    expect(res.text).toBe(UNAUTHENTICATED);
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("alice")).toEqual(before);
  });

  it("answers a second logout of the same token with 401", async () => {
    const { token } = await login(store, "alice");
    await request(app(express)).get("/v1/auth/login/logout").set("Authorization", `Bearer ${token}`).expect(200);
    store.reset();
    const res = await request(app(express)).get("/v1/auth/login/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.text).toBe(UNAUTHENTICATED);
    expect(store.mutations).toEqual([]);
  });

  it("answers 400 code 3 for an authentication_source that is not a name, and changes nothing", async () => {
    const { token } = await login(store, "alice");
    const before = await store.snapshot("alice");
    store.reset();
    const res = await request(app(express)).get("/v1/auth/%3Cscript%3E/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(400);
    expect(res.text).toBe('{"code":3,"message":"invalid authentication_source","details":[]}');
    expect(await store.snapshot("alice")).toEqual(before);
  });

  describe("authentication_source api-key", () => {
    it("ends every session minted from the key, keeps the user's other sessions, and answers 200", async () => {
      const fromKey1 = await login(store, "alice", { apiKeyId: "apikey-demo-key", authenticationSource: "api-key" });
      const fromKey2 = await login(store, "alice", { apiKeyId: "apikey-demo-key", authenticationSource: "api-key" });
      const browser = await login(store, "alice");
      const res = await request(app(express)).get("/v1/auth/api-key/logout?key=demo-key&secret=demo-secret");
      expect(res.status).toBe(200);
      expect((res.body as { authentication_source: string }).authentication_source).toBe("api-key");
      expect((res.body as { user: { uuid: string } }).user.uuid).toBe("alice");
      expect(await store.getSession(fromKey1.session.id)).toBeUndefined();
      expect(await store.getSession(fromKey2.session.id)).toBeUndefined();
      expect((await store.listSessions("alice")).map((s) => s.id)).toEqual([browser.session.id]);
    });

    it("accepts the key and secret from X-Api-Key and X-Api-Secret headers too", async () => {
      const fromKey = await login(store, "alice", { apiKeyId: "apikey-demo-key" });
      await request(app(express)).get("/v1/auth/api-key/logout").set("X-Api-Key", "demo-key").set("X-Api-Secret", "demo-secret").expect(200);
      expect(await store.getSession(fromKey.session.id)).toBeUndefined();
    });

    it.each([
      ["no key and no secret", "", "key and secret are required when authentication_source is api-key"],
      ["no secret", "?key=demo-key", "secret is required when authentication_source is api-key"],
      ["no key", "?secret=demo-secret", "key is required when authentication_source is api-key"],
      ["an empty key", "?key=&secret=demo-secret", "key is required when authentication_source is api-key"],
      ["a repeated key", "?key=demo-key&key=x&secret=demo-secret", "key is required when authentication_source is api-key"],
    ])("answers 400 code 3 for %s, and changes nothing", async (_name, query, message) => {
      await login(store, "alice", { apiKeyId: "apikey-demo-key" });
      const before = await store.snapshot("alice");
      store.reset();
      const res = await request(app(express)).get(`/v1/auth/api-key/logout${query}`);
      expect(res.status).toBe(400);
      expect(res.text).toBe(JSON.stringify({ code: 3, message, details: [] }));
      expect(store.mutations).toEqual([]);
      expect(await store.snapshot("alice")).toEqual(before);
    });

    it.each([
      ["a wrong secret", "?key=demo-key&secret=wrong"],
      ["an unknown key", "?key=nope&secret=demo-secret"],
      ["a secret of another length", "?key=demo-key&secret=demo-secret-and-more"],
    ])("answers 401 code 16 for %s, and changes nothing", async (_name, query) => {
      await login(store, "alice", { apiKeyId: "apikey-demo-key" });
      const before = await store.snapshot("alice");
      store.reset();
      const res = await request(app(express)).get(`/v1/auth/api-key/logout${query}`);
      expect(res.status).toBe(401);
      expect(res.text).toBe(
        '{"code":16,"message":"Invalid API key or secret","details":[{"@type":"type.googleapis.com/internal.endor.ai.rpc.v1.HTTPErrorInfo","status_code":401}]}',
      );
      expect(store.mutations).toEqual([]);
      expect(await store.snapshot("alice")).toEqual(before);
    });

    it("never puts the API secret in an event", async () => {
      const seen: unknown[] = [];
      for (const name of ["session.ended", "sessions.ended", "logout.refused", "store.error"] as const) events.on(name, (e) => seen.push(e));
      await login(store, "alice", { apiKeyId: "apikey-demo-key" });
      await request(app(express)).get("/v1/auth/api-key/logout?key=demo-key&secret=wrong-secret-value");
      await request(app(express)).get("/v1/auth/api-key/logout?key=demo-key&secret=demo-secret");
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(JSON.stringify(seen)).not.toMatch(/demo-secret|wrong-secret-value/);
    });
  });
});
