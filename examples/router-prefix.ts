// Mounting on an express.Router under a prefix: nothing in the library owns a path.
// `npx tsx examples/router-prefix.ts`, then
//   TOKEN=$(curl -s -XPOST localhost:3000/auth/v2/login | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')
//   curl -s -XPOST localhost:3000/auth/v2/logout/others -H "Authorization: Bearer $TOKEN"   # {"ended":n}
//   curl -s -XPOST localhost:3000/auth/v2/logout -H "Authorization: Bearer $TOKEN"          # {"ended":1,...}
//   curl -s localhost:3000/auth/v2/me -H "Authorization: Bearer $TOKEN"                     # 401 problem+json
import express from "express";
import { MemorySessionStore, createLogoutHandler, getAuthentication, issueSession, requireSession } from "express-logout";

const store = new MemorySessionStore();
const auth = express.Router();

auth.post("/login", async (_req, res) => {
  const { token } = await issueSession(store, { userId: "u1" });
  res.json({ token });
});
auth.get("/me", requireSession({ store }), (req, res) => {
  res.json({ sessionId: getAuthentication(req)?.session.id });
});
auth.post("/logout", createLogoutHandler({ store }));
auth.post("/logout/others", createLogoutHandler({ store, target: "others" }));
auth.post("/logout/all", createLogoutHandler({ store, target: "all" }));

const app = express();
app.use("/auth/v2", auth);

const port = Number(process.env.PORT ?? 3000);
app.listen(port, "127.0.0.1", () => {
  console.log(`logout routes under http://127.0.0.1:${port}/auth/v2`);
});
