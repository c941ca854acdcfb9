// Rocket.Chat's admin device logout: an administrator with a permission and a TOTP code ends another user's
// session. `npx tsx examples/rocket-chat-app.ts`, then
//   curl -s -XPOST localhost:3000/api/v1/login -H 'content-type: application/json' -d '{"user":"bob"}'     # bob's userId, authToken
//   curl -s -XPOST localhost:3000/api/v1/login -H 'content-type: application/json' -d '{"user":"admin"}'   # the admin's
//   CODE=$(npx tsx -e 'import("otplib").then(async (o) => console.log(await o.generate({ secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" })))')
//   curl -s -XPOST localhost:3000/api/v1/sessions/logout -H 'content-type: application/json' \
//     -H "X-User-Id: admin" -H "X-Auth-Token: <admin token>" -H "x-2fa-code: $CODE" -d '{"sessionId":"<bob session id>"}'
//   curl -s localhost:3000/api/v1/me -H "X-User-Id: bob" -H "X-Auth-Token: <bob token>"                   # 401
import express from "express";
import {
  MemorySessionStore, bodySessionId, createLogoutHandler, issueSession, requirePermission, requireTotp, shapes, whoAmI,
} from "express-logout";

const store = new MemorySessionStore();
const people = new Map([
  ["admin", { id: "admin", username: "admin", permissions: ["logout-device-management"], totp: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" }],
  ["bob", { id: "bob", username: "bob", permissions: [] as string[], totp: undefined }],
]);
const users = {
  findUser: (id: string) => Promise.resolve(people.get(id)),
  hasPermission: (user: { id: string }, permission: string) => Promise.resolve(people.get(user.id)?.permissions.includes(permission) ?? false),
  totpSecret: (user: { id: string }) => Promise.resolve(people.get(user.id)?.totp),
};
const rc = { store, users, shape: shapes.rocketChat };
const sessionId = bodySessionId("sessionId");

const app = express();
app.use(express.json({ limit: "8kb" }));
app.post("/api/v1/login", async (req, res) => {
  // A real app checks a password here.
  const person = people.get(String((req.body as { user?: unknown }).user));
  if (person === undefined) {
    res.status(401).json({ status: "error", message: "Unauthorized" });
    return;
  }
  const { token, session } = await issueSession(store, { userId: person.id });
  res.json({ status: "success", data: { userId: person.id, authToken: token, sessionId: session.id } });
});
app.get("/api/v1/me", whoAmI(rc));
app.post("/api/v1/sessions/logout",
  requirePermission("logout-device-management", { ...rc, validate: sessionId }),
  requireTotp(rc),
  createLogoutHandler({ ...rc, target: sessionId }));

const port = Number(process.env.PORT ?? 3000);
app.listen(port, "127.0.0.1", () => {
  console.log(`Rocket.Chat-shaped admin logout listening on http://127.0.0.1:${port}`);
});
