/**
 * A store that answered a corrupted session record (a half-written Redis hash, a row with a NULL column) for a
 * token hash had it taken for a live session: with `expiresAt` missing, NaN or a string, `expiresAt <= now` is
 * false, so `requireSession` let the request through and the logout handlers acted on it. A record without a
 * token hash made the constant-time compare throw, which reached the host's error handler as a 500.
 * Now any answer that is not a well-formed SessionRecord is a broken store: 503 and a `store.error` event.
 */
import request from "supertest";
import { describe, expect, it } from "vitest";
import { LogoutEvents, MemorySessionStore, browserLogoutFlow, createLogoutHandler, issueSession, requireSession, allStoreMethods, shapes, type CompleteSessionStore } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";

async function storeAnswering(corrupt: (record: Record<string, unknown>) => unknown) {
  const base = new MemorySessionStore();
  const { token, session } = await issueSession(base, { userId: "alice" });
  const store = {} as Record<string, unknown>;
  for (const name of allStoreMethods) store[name] = (base as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!.bind(base);
  store.findSessionByTokenHash = () => Promise.resolve(corrupt({ ...session }));
  return { store: store as unknown as CompleteSessionStore, base, token, session };
}

const corruptions: readonly (readonly [string, (r: Record<string, unknown>) => unknown])[] = [
  ["expiresAt missing", (r) => ({ ...r, expiresAt: undefined })],
  ["expiresAt NaN", (r) => ({ ...r, expiresAt: Number.NaN })],
  ["expiresAt a date string", (r) => ({ ...r, expiresAt: "2999-01-01T00:00:00Z" })],
  ["userId missing", (r) => ({ ...r, userId: undefined })],
  ["userId empty", (r) => ({ ...r, userId: "" })],
  ["id missing", (r) => ({ ...r, id: undefined })],
  ["tokenHash missing", (r) => ({ ...r, tokenHash: undefined })],
  ["createdAt a string", (r) => ({ ...r, createdAt: "yesterday" })],
  ["an empty object", () => ({})],
  ["true", () => true],
  ["a string", () => "alice"],
  ["a number", () => 1],
];

describe.each(expressVersions)("a corrupted session record from the store, on $name", ({ express }) => {
  it.each(corruptions)("with %s, a protected route answers 503 and never lets the request in", async (_what, corrupt) => {
    const { store, base, token } = await storeAnswering(corrupt);
    const events = new LogoutEvents();
    const errors: string[] = [];
    events.on("store.error", (e) => errors.push(e.operation));
    const app = express();
    app.get("/protected", requireSession({ store, events }), (_req, res) => { res.send("in"); });
    const res = await request(app).get("/protected").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(res.text).not.toBe("in");
    expect(errors).toEqual(["findSessionByTokenHash"]);
    base.close();
  });

  it.each(corruptions)("with %s, a logout answers 503 and ends nothing", async (_what, corrupt) => {
    const { store, base, token, session } = await storeAnswering(corrupt);
    const app = express();
    app.get("/v1/auth/:authentication_source/logout", createLogoutHandler({ store, shape: shapes.endor }));
    const res = await request(app).get("/v1/auth/login/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(await base.getSession(session.id)).toEqual(session);
    base.close();
  });

  it.each(corruptions)("with %s, Kratos' native logout answers 503, never a 500", async (_what, corrupt) => {
    const { store, base, token, session } = await storeAnswering(corrupt);
    const app = express();
    const flow = browserLogoutFlow({ store, publicUrl: "https://auth.example.com", secrets: ["x".repeat(32)] });
    app.delete("/self-service/logout/api", flow.native);
    const res = await request(app).delete("/self-service/logout/api").set("Content-Type", "application/json").send(JSON.stringify({ session_token: token }));
    expect(res.status).toBe(503);
    expect(await base.getSession(session.id)).toEqual(session);
    base.close();
  });

  it("still treats null (what Redis clients answer for a missing key) as no session: 401", async () => {
    const { store, base, token } = await storeAnswering(() => null);
    const app = express();
    app.get("/protected", requireSession({ store }), (_req, res) => { res.send("in"); });
    expect((await request(app).get("/protected").set("Authorization", `Bearer ${token}`)).status).toBe(401);
    base.close();
  });
});
