/**
 * A `target` function answering something that is not a non-empty string went to the store as the session id:
 * a 503 "store unavailable" on Redis (a command with a number in it) and a 404 on memory. It is the client's
 * bad request: a 400 in every store, checked before the store is asked anything about it.
 */
import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { createLogoutHandler, issueSession, shapes } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";
import { storeFactories } from "../helpers/store-factories.js";
import { RecordingStore } from "../helpers/store.js";

describe.each(storeFactories)("a target function answering a non-string, on $name", (factory) => {
  const opened: Parameters<typeof factory.close>[0][] = [];
  afterAll(async () => {
    for (const s of opened) await factory.close(s);
  });

  it.each([[42], [""], [undefined], [null], [{ id: "x" }]])("answers 400 for %j, asks the store nothing about it, and ends nothing", async (answer) => {
    const store = await factory.create();
    opened.push(store);
    const { token, session } = await issueSession(store, { userId: "admin" });
    const victim = await issueSession(store, { userId: "alice" });
    for (const { express } of expressVersions) {
      const app = express();
      app.post("/logout", createLogoutHandler({ store, target: () => answer as never }));
      app.post("/rc/logout", createLogoutHandler({ store, shape: shapes.rocketChat, target: () => answer as never }));
      const res = await request(app).post("/logout").set("Authorization", `Bearer ${token}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: "bad-request" });
      const rc = await request(app).post("/rc/logout").set({ "X-User-Id": "admin", "X-Auth-Token": token });
      expect(rc.status).toBe(400);
      expect(rc.body.success).toBe(false);
    }
    expect(await store.getSession(session.id)).toEqual(session);
    expect(await store.getSession(victim.session.id)).toEqual(victim.session);
  });

  it("never calls getSession with it", async () => {
    const store = new RecordingStore();
    const { token } = await issueSession(store, { userId: "admin" });
    store.reset();
    const app = expressVersions[0].express();
    app.post("/logout", createLogoutHandler({ store, target: () => 42 as never }));
    expect((await request(app).post("/logout").set("Authorization", `Bearer ${token}`)).status).toBe(400);
    expect(store.calls).toEqual(["findSessionByTokenHash"]);
    expect(store.mutations).toEqual([]);
    store.close();
  });
});
