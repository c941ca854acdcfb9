// Endor Labs' logout on your own routes and store: `npx tsx examples/endor-app.ts`, then
//   TOKEN=$(curl -s -XPOST localhost:3000/v1/auth/login | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')
//   curl -s localhost:3000/v1/auth/login/logout -H "Authorization: Bearer $TOKEN"
//   curl -s localhost:3000/v1/whoami -H "Authorization: Bearer $TOKEN"      # 401 {"code":16,...}
import express from "express";
import { MemorySessionStore, createLogoutHandler, issueSession, requireSession, shapes } from "express-logout";

const store = new MemorySessionStore();
const users = {
  findUser: (id: string) => Promise.resolve(id === "u1" ? { id: "u1", username: "ada", email: "ada@example.com" } : undefined),
};

const app = express();
app.post("/v1/auth/login", async (req, res) => {
  // A real app checks a password here.
  const { token, session } = await issueSession(store, { userId: "u1", authenticationSource: "login", ...(req.ip === undefined ? {} : { ip: req.ip }) });
  res.json({ token, expiration_time: new Date(session.expiresAt).toISOString() });
});
app.get("/v1/whoami", requireSession({ store, users, shape: shapes.endor }), (_req, res) => {
  res.json({ ok: true });
});
app.get("/v1/auth/:authentication_source/logout", createLogoutHandler({ store, users, shape: shapes.endor }));

const port = Number(process.env.PORT ?? 3000);
app.listen(port, "127.0.0.1", () => {
  console.log(`Endor Labs-shaped logout on http://127.0.0.1:${port}`);
});
