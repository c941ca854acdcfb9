/**
 * A store of only the core `SessionStore` methods: it passes the core conformance kit and serves
 * `createLogoutHandler`, `requireSession`, `listSessions`, `whoAmI` and the browser flow; the factories that need
 * more (`requireTotp`, JWT sources) refuse it at setup with a message that names the missing capability.
 */
import cookieParser from "cookie-parser";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import {
  MemorySessionStore,
  SetupError,
  browserLogoutFlow,
  createLogoutHandler,
  issueSession,
  jwtBearer,
  listSessions,
  requireSession,
  requireTotp,
  sessionStoreMethods,
  shapes,
  whoAmI,
  type SessionStore,
} from "../src/index.js";
import { describeSessionStoreConformance } from "../src/testing/index.js";
import { expressVersions } from "./helpers/express.js";
import { demoUsers } from "./helpers/fixture.js";

/** The core methods of a memory store, and nothing else: what a store written in an afternoon has. */
function coreOnly(base: MemorySessionStore): SessionStore & { base: MemorySessionStore } {
  const store: Record<string, unknown> = { base };
  for (const name of sessionStoreMethods) store[name] = (base[name] as (...a: unknown[]) => unknown).bind(base);
  return store as unknown as SessionStore & { base: MemorySessionStore };
}

const opened: MemorySessionStore[] = [];
function fresh(): SessionStore & { base: MemorySessionStore } {
  const base = new MemorySessionStore();
  opened.push(base);
  return coreOnly(base);
}
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

describeSessionStoreConformance("a core-only store", { createStore: fresh, closeStore: (s) => { s.base.close(); }, capabilities: [] });

const SECRET = "a-logout-secret-of-at-least-32-characters!";

describe.each(expressVersions)("a core-only store on $name", ({ express }) => {
  it("serves createLogoutHandler, requireSession, listSessions and whoAmI", async () => {
    const store = fresh();
    const app = express();
    app.get("/me", requireSession({ store }), (_req, res) => { res.json({ ok: true }); });
    app.get("/whoami", whoAmI({ store }));
    app.get("/sessions", listSessions({ store, shape: shapes.rocketChat }));
    app.post("/logout", createLogoutHandler({ store }));
    app.post("/logout/all", createLogoutHandler({ store, target: "all" }));
    const first = await issueSession(store, { userId: "alice" });
    const second = await issueSession(store, { userId: "alice" });
    const third = await issueSession(store, { userId: "alice" });

    expect((await request(app).get("/me").set("Authorization", `Bearer ${first.token}`)).status).toBe(200);
    expect((await request(app).get("/whoami").set("Authorization", `Bearer ${first.token}`)).body).toMatchObject({ userId: "alice", sessionId: first.session.id });
    const list = await request(app).get("/sessions").set({ "X-User-Id": "alice", "X-Auth-Token": first.token });
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(3);

    const out = await request(app).post("/logout").set("Authorization", `Bearer ${first.token}`);
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ ended: 1, sessionId: first.session.id });
    expect((await request(app).get("/me").set("Authorization", `Bearer ${first.token}`)).status).toBe(401);

    const all = await request(app).post("/logout/all").set("Authorization", `Bearer ${second.token}`);
    expect(all.body).toEqual({ ended: 2 });
    expect(await store.listSessions("alice")).toEqual([]);
    expect((await request(app).get("/me").set("Authorization", `Bearer ${third.token}`)).status).toBe(401);
  });

  it("serves the browser logout flow; native logout of a token already revoked is answered as unknown", async () => {
    const store = fresh();
    const flow = browserLogoutFlow({ store, publicUrl: "https://auth.example.com", secrets: [SECRET] });
    const app = express();
    app.use(cookieParser());
    app.get("/self-service/logout/browser", flow.create);
    app.get("/self-service/logout", flow.logout);
    app.delete("/self-service/logout/api", flow.native);
    const { token, session } = await issueSession(store, { userId: "alice" });
    const created = await request(app).get("/self-service/logout/browser").set("Cookie", `ory_kratos_session=${token}`).set("Accept", "application/json");
    expect(created.status).toBe(200);
    const out = await request(app).get("/self-service/logout").query({ token: created.body.logout_token }).set("Cookie", `ory_kratos_session=${token}`).set("Accept", "application/json");
    expect(out.status).toBe(204);
    expect(await store.getSession(session.id)).toBeUndefined();

    const other = await issueSession(store, { userId: "alice" });
    const native = () => request(app).delete("/self-service/logout/api").set("Content-Type", "application/json").send({ session_token: other.token });
    expect((await native()).status).toBe(204);
    // Without markers the flow cannot remember the revoked token: the second call is refused, never a success it cannot vouch for.
    expect((await native()).status).toBe(403);
  });
});

describe("the capabilities a factory needs beyond the core are checked at setup", () => {
  it("requireTotp names the markers capability and how to add it", () => {
    const store = fresh();
    const users = demoUsers();
    expect(() => requireTotp({ store: store as never, users })).toThrow(SetupError);
    expect(() => requireTotp({ store: store as never, users })).toThrow(
      /requireTotp needs the markers and counters capability \(MarkerStore\), and `store` lacks `claim`, `isClaimed`, `incrementCounter`, `readCounter`: implement the `MarkerStore` methods/,
    );
    try {
      requireTotp({ store: store as never, users });
    } catch (error) {
      expect((error as SetupError).code).toBe("store-capability-missing");
    }
  });

  it("a JWT credential source names the JWT revocation capability", () => {
    const store = fresh();
    const jwt = jwtBearer({ algorithms: ["HS256"], secret: "x".repeat(32) });
    expect(() => createLogoutHandler({ store, credentials: [jwt] })).toThrow(
      /createLogoutHandler with the credential source `jwt:bearer` needs the JWT revocation capability \(JwtRevocationStore\), and `store` lacks `denyJwt`, `revokeJwtsIssuedBefore`, `jwtRevocation`/,
    );
  });

  it("requireSession with touchEveryMs names touchSession", () => {
    const store = fresh();
    expect(() => requireSession({ store })).not.toThrow();
    expect(() => requireSession({ store, touchEveryMs: 60_000 })).toThrow(/requireSession needs touchSession, and `store` lacks `touchSession`/);
  });
});
