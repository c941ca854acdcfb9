/**
 * A host directory backed by a database answers `null` for a row it does not have, although the type says
 * `undefined`. `findUser` answering `null` for a deleted user let `requireSession({ loadUser })` through (it
 * checked `=== undefined`), and who-am-I crashed on it with a 500. `resolveTenantKey` answering `null` (or
 * `false`) opened SOAJS' tenant-key gate for any key. Now anything but an object is "not found".
 */
import request from "supertest";
import { describe, expect, it } from "vitest";
import { MemorySessionStore, createLogoutHandler, encodeSoajsAuth, issueSession, requirePermission, requireSession, shapes, whoAmI, type UserDirectory } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";

describe.each(expressVersions)("a host directory that answers null, on $name", ({ express }) => {
  it.each([null, false, 0, ""])("findUser answering %j: the session's user is gone, so every route refuses with 401", async (answer) => {
    const store = new MemorySessionStore();
    const { token, session } = await issueSession(store, { userId: "deleted" });
    const users = { findUser: () => Promise.resolve(answer), hasPermission: () => Promise.resolve(true) } as unknown as UserDirectory;
    const app = express();
    app.get("/protected", requireSession({ store, users }), (_req, res) => { res.send("in"); });
    app.get("/whoami", whoAmI({ store, users, shape: shapes.kratos }));
    app.get("/admin", requirePermission("anything", { store, users }), (_req, res) => { res.send("in"); });
    for (const path of ["/protected", "/whoami", "/admin"]) {
      const res = await request(app).get(path).set("Authorization", `Bearer ${token}`);
      expect([path, res.status]).toEqual([path, 401]);
    }
    expect(await store.getSession(session.id)).toEqual(session);
    store.close();
  });

  it.each([null, false, 0, ""])("resolveTenantKey answering %j: the SOAJS tenant key is unknown, code 132, and nothing ends", async (answer) => {
    const store = new MemorySessionStore();
    const { token, session } = await issueSession(store, { userId: "alice" });
    const users = { findUser: () => Promise.resolve({ id: "alice", username: "alice" }), resolveTenantKey: () => Promise.resolve(answer) } as unknown as UserDirectory;
    const app = express();
    app.get("/urac/logout", createLogoutHandler({ store, users, shape: shapes.soajs }));
    const res = await request(app).get("/urac/logout").set({ key: "any-key-at-all", soajsauth: encodeSoajsAuth(token) });
    expect(res.text).toBe('{"result":false,"errors":{"codes":[132],"details":[{"code":132,"message":"A valid key is needed to access any API."}]}}');
    expect(await store.getSession(session.id)).toEqual(session);
    store.close();
  });
});
