import request from "supertest";
import { describe, expect, it } from "vitest";
import {
  LogoutEvents,
  MemorySessionStore,
  credentialsWithJwt,
  endSessionsAfterCredentialChange,
  issueJwt,
  issueSession,
  jwtBearer,
  requireSession,
  shapes,
  type LogoutEventMap,
  type SessionStore,
} from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { hmacSecret } from "./helpers/jwt.js";
import { RecordingStore, brokenStore } from "./helpers/store.js";

const secret = hmacSecret();
// Opaque session tokens and JWTs on the same bearer header: a token that is not a JWT falls through to the session lookup.
const verifier = jwtBearer({ algorithms: ["HS256"], secret, fallThrough: true });

/** A protected route that takes either a session token or a JWT. */
function app(store: SessionStore) {
  const a = expressVersions[0].express();
  a.get("/private", requireSession({ store, credentials: credentialsWithJwt(shapes.problem, verifier) }), (_req, res) => res.json({ ok: true }));
  return a;
}

async function logins(store: SessionStore, userId: string, n: number) {
  return Promise.all(Array.from({ length: n }, () => issueSession(store, { userId })));
}

describe("endSessionsAfterCredentialChange", () => {
  it("ends every other session and the user's JWTs after a password change, keeps the current session, and leaves other users alone", async () => {
    const store = new MemorySessionStore();
    const events = new LogoutEvents();
    const told: { name: string; event: unknown }[] = [];
    events.on("sessions.ended", (event) => told.push({ name: "sessions.ended", event }));
    events.on("credentials.changed", (event) => told.push({ name: "credentials.changed", event }));
    const [current, ...others] = await logins(store, "alice", 4);
    const [bobs] = await logins(store, "bob", 1);
    if (current === undefined || bobs === undefined) throw new Error("logins failed");
    const jwt = issueJwt({ sub: "alice" }, { algorithm: "HS256", secret, expiresIn: "10m" });
    const bobJwt = issueJwt({ sub: "bob" }, { algorithm: "HS256", secret, expiresIn: "10m" });
    const a = app(store);
    await request(a).get("/private").set("Authorization", `Bearer ${jwt.token}`).expect(200);

    const result = await endSessionsAfterCredentialChange(store, { userId: "alice", keep: current.session.id, reason: "password-changed", events });
    expect(result.sessionsEnded).toBe(3);
    expect(result.keptSessionId).toBe(current.session.id);
    expect(typeof result.jwtsIssuedBefore).toBe("number");

    await request(a).get("/private").set("Authorization", `Bearer ${current.token}`).expect(200);
    for (const other of others) await request(a).get("/private").set("Authorization", `Bearer ${other.token}`).expect(401);
    await request(a).get("/private").set("Authorization", `Bearer ${jwt.token}`).expect(401);
    await request(a).get("/private").set("Authorization", `Bearer ${bobs.token}`).expect(200);
    await request(a).get("/private").set("Authorization", `Bearer ${bobJwt.token}`).expect(200);
    expect((await store.listSessions("alice")).map((s) => s.id)).toEqual([current.session.id]);

    const at = (told[0]?.event as LogoutEventMap["sessions.ended"]).at;
    expect(told).toEqual([
      { name: "sessions.ended", event: { userId: "alice", by: "alice", target: "others", count: 3, reason: "password-changed", at } },
      {
        name: "credentials.changed",
        event: { userId: "alice", reason: "password-changed", keptSessionId: current.session.id, sessionsEnded: 3, jwtsIssuedBefore: result.jwtsIssuedBefore, at },
      },
    ]);
    // A JWT issued after the change works: the cut-off ends only the earlier ones.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const fresh = issueJwt({ sub: "alice" }, { algorithm: "HS256", secret, expiresIn: "10m" });
    await request(a).get("/private").set("Authorization", `Bearer ${fresh.token}`).expect(200);
    store.close();
  });

  it("ends every session when the account is disabled (no session kept), and answers 0 when run again", async () => {
    const store = new MemorySessionStore();
    await logins(store, "alice", 3);
    expect(await endSessionsAfterCredentialChange(store, { userId: "alice", reason: "account-disabled" })).toMatchObject({ sessionsEnded: 3, keptSessionId: undefined });
    expect(await store.listSessions("alice")).toEqual([]);
    expect((await endSessionsAfterCredentialChange(store, { userId: "alice", reason: "account-disabled" })).sessionsEnded).toBe(0);
    store.close();
  });

  it("leaves JWTs alone with jwts: false", async () => {
    const store = new RecordingStore();
    await logins(store, "alice", 2);
    store.reset();
    const result = await endSessionsAfterCredentialChange(store, { userId: "alice", jwts: false });
    expect(result).toEqual({ sessionsEnded: 2, jwtsIssuedBefore: undefined, keptSessionId: undefined });
    expect(store.mutations).toEqual(["revokeUserSessions"]);
    store.close();
  });

  it.each([
    [{ userId: "" }, /userId/],
    [{ userId: "alice", keep: "" }, /keep/],
    [{ userId: "alice", reason: "Password Changed!" }, /reason/],
    [{ userId: "alice", keepSession: "x" }, /unsupported option `keepSession`/],
    [{ userId: "alice", events: {} }, /events/],
  ])("refuses %o with a TypeError and changes nothing", async (options, message) => {
    const store = new RecordingStore();
    await logins(store, "alice", 2);
    store.reset();
    await expect(endSessionsAfterCredentialChange(store, options as never)).rejects.toThrow(message);
    expect(store.mutations).toEqual([]);
    store.close();
  });

  it("rejects when the store fails, never claiming the sessions ended", async () => {
    const failing = brokenStore("throw");
    const events = new LogoutEvents();
    const told: unknown[] = [];
    events.on("credentials.changed", (e) => told.push(e));
    await expect(endSessionsAfterCredentialChange(failing, { userId: "alice", events })).rejects.toThrow(/ECONNREFUSED/);
    expect(told).toEqual([]);
  });
});
