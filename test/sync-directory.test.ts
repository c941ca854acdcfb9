import type { Request, Response } from "express";
import { generate } from "otplib";
import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";
import { LogoutEvents, createLogoutHandler, getAuthentication, issueSession, requirePermission, requireSession, requireTotp, shapes, userDirectory, type LogoutEventMap } from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { RecordingStore } from "./helpers/store.js";

/** The host's own user type, with a field the library does not know. */
interface Member {
  readonly id: string;
  readonly username: string;
  readonly roles: readonly string[];
  readonly totp?: string;
}

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const members = new Map<string, Member>([
  ["admin", { id: "admin", username: "admin", roles: ["sessions:end-any"], totp: SECRET }],
  ["alice", { id: "alice", username: "alice", roles: [] }],
]);

describe.each(expressVersions)("a user directory whose callbacks answer at once, on $name", ({ express }) => {
  let store: RecordingStore;
  let events: LogoutEvents;
  let errors: LogoutEventMap["store.error"][];
  beforeEach(() => {
    store = new RecordingStore();
    events = new LogoutEvents();
    errors = [];
    events.on("store.error", (e) => errors.push(e));
  });

  // No promise anywhere: each callback returns its answer (or throws) synchronously.
  const users = userDirectory({
    findUser: (id) => members.get(id),
    hasPermission: (user, permission) => user.roles.includes(permission),
    totpSecret: (user) => user.totp,
  });

  function adminApp() {
    const app = express();
    const sessionId = (req: Request) => String((req.body as { sessionId?: unknown }).sessionId);
    app.post("/admin/logout", express.json(), requirePermission("sessions:end-any", { store, users, events }), requireTotp({ store, users, events }), createLogoutHandler({ store, users, events, target: sessionId }));
    app.get("/me", requireSession({ store, users, events }), (req: Request, res: Response) => {
      res.json({ roles: getAuthentication(req, users)?.user?.roles });
    });
    return app;
  }

  it("loads the host's own user, extra fields included, for getAuthentication", async () => {
    const { token } = await issueSession(store, { userId: "admin" });
    const res = await request(adminApp()).get("/me").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ roles: ["sessions:end-any"] });
  });

  it("grants the permission and checks the TOTP code from synchronous answers, then ends the other user's session", async () => {
    const admin = await issueSession(store, { userId: "admin" });
    const alice = await issueSession(store, { userId: "alice" });
    const code = await generate({ secret: SECRET });
    const res = await request(adminApp()).post("/admin/logout").set({ Authorization: `Bearer ${admin.token}`, "x-2fa-code": code }).send({ sessionId: alice.session.id });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ended: 1, sessionId: alice.session.id });
    expect(await store.snapshot("alice")).toEqual([]);
  });

  it("refuses a synchronous false with 403 and ends nothing", async () => {
    const alice = await issueSession(store, { userId: "alice" });
    const before = await store.snapshot("alice");
    const res = await request(adminApp()).post("/admin/logout").set("Authorization", `Bearer ${alice.token}`).send({ sessionId: alice.session.id });
    expect(res.status).toBe(403);
    expect(await store.snapshot("alice")).toEqual(before);
  });

  it("answers 503 when a callback throws synchronously, with the cause on store.error, and ends nothing", async () => {
    const throwing = userDirectory({
      findUser: (id) => members.get(id),
      hasPermission: (): boolean => {
        throw new Error("directory down");
      },
    });
    const app = express();
    app.post("/admin/logout", requirePermission("sessions:end-any", { store, users: throwing, events, shape: shapes.problem }), createLogoutHandler({ store, events }));
    const admin = await issueSession(store, { userId: "admin" });
    const before = await store.snapshot("admin");
    const res = await request(app).post("/admin/logout").set("Authorization", `Bearer ${admin.token}`);
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(errors.map((e) => [e.operation, e.cause?.message])).toEqual([["users.hasPermission", "directory down"]]);
    expect(await store.snapshot("admin")).toEqual(before);
  });
});
