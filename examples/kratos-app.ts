// Ory Kratos' browser logout flow on your own routes. `npx tsx examples/kratos-app.ts`, then
//   curl -s -c jar -XPOST localhost:3000/login                                       # sets ory_kratos_session
//   URL=$(curl -s -b jar localhost:3000/self-service/logout/browser -H 'accept: application/json' \
//     | node -pe 'JSON.parse(require("fs").readFileSync(0)).logout_url')
//   curl -s -i -b jar -c jar "$URL"                                                  # 303 to /, cookie cleared
//   curl -s -b jar localhost:3000/sessions/whoami                                    # 401: the session is gone
import { randomBytes } from "node:crypto";
import express from "express";
import cookieParser from "cookie-parser";
import { MemorySessionStore, browserLogoutFlow, issueSession, shapes, whoAmI } from "express-logout";

const port = Number(process.env.PORT ?? 3000);
const publicUrl = `http://127.0.0.1:${port}`;
const store = new MemorySessionStore();
const users = { findUser: (id: string) => Promise.resolve(id === "u1" ? { id: "u1", username: "ada", email: "ada@example.com" } : undefined) };
const flow = browserLogoutFlow({
  store,
  users,
  publicUrl,
  secrets: [process.env.LOGOUT_SECRET ?? randomBytes(32).toString("base64url")], // share it across instances
  returnTo: { allow: ["https://app.example.com/"], default: "/" },
});

const app = express();
app.use(cookieParser());
app.post("/login", async (_req, res) => {
  // A real app checks a password here.
  const { token, session } = await issueSession(store, { userId: "u1", tokenPrefix: "ory_st_" });
  flow.setSessionCookie(res, token, session.expiresAt);
  res.json({ session_token: token });
});
app.get("/sessions/whoami", whoAmI({ store, users, shape: shapes.kratos, credentials: flow.credentials }));
app.get("/self-service/logout/browser", flow.create);
app.get("/self-service/logout", flow.logout);
app.delete("/self-service/logout/api", flow.native);
app.get("/", (_req, res) => { res.send("home"); });

app.listen(port, "127.0.0.1", () => {
  console.log(`Kratos-shaped browser logout listening on ${publicUrl}`);
});
