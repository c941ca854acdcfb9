// A JWT app whose logout really ends the token. Run: npx tsx examples/jwt-app.ts (PORT, HOST, JWT_SECRET).
import { randomBytes } from "node:crypto";
import express from "express";
import {
  MemorySessionStore, constantTimeEqual, createLogoutHandler, credentialsWithJwt, getJwtClaims, issueJwt, jwtBearer,
  requireSession, shapes,
} from "express-logout";

const issuer = "express-logout-jwt-example";
// At least 32 bytes for HS256; without JWT_SECRET every restart invalidates earlier tokens.
const secret = process.env.JWT_SECRET ?? randomBytes(32).toString("base64url");
const passwords = new Map([["alice", "alice-password"], ["bob", "bob-password"]]);
const store = new MemorySessionStore();
const jwt = jwtBearer({ algorithms: ["HS256"], secret, issuer });
// Every route that accepts the token reads it the same way, and so checks the same deny-list.
const guard = { store, credentials: credentialsWithJwt(shapes.problem, jwt) };

const app = express();
app.disable("x-powered-by");

app.post("/login", express.json({ limit: "4kb" }), (req, res) => {
  const { username, password } = (req.body ?? {}) as Record<string, unknown>;
  const expected = typeof username === "string" ? passwords.get(username) : undefined;
  if (expected === undefined || typeof password !== "string" || !constantTimeEqual(password, expected)) {
    res.status(401).json({ error: "wrong username or password" });
    return;
  }
  const { token, session } = issueJwt({ sub: username as string }, { algorithm: "HS256", secret, issuer, expiresIn: "15m" });
  res.set("Cache-Control", "no-store").json({ token, expiresAt: new Date(session.expiresAt).toISOString() });
});

app.get("/me", requireSession(guard), (req, res) => {
  const claims = getJwtClaims(req);
  res.set("Cache-Control", "no-store").json({ user: claims?.sub, tokenId: claims?.jti });
});
app.post("/logout", createLogoutHandler(guard));
app.post("/logout/everywhere", createLogoutHandler({ ...guard, target: "all" }));

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 3001);
const server = app.listen(port, host, () => {
  const address = server.address();
  const url = `http://${host}:${typeof address === "object" && address !== null ? address.port : port}`;
  console.log(`express-logout JWT example listening on ${url}
  TOKEN=$(curl -s ${url}/login -H 'Content-Type: application/json' -d '{"username":"alice","password":"alice-password"}' | sed -E 's/.*"token":"([^"]+)".*/\\1/')
  curl -i ${url}/me -H "Authorization: Bearer $TOKEN"                 # 200
  curl -i -X POST ${url}/logout -H "Authorization: Bearer $TOKEN"     # 200 {"ended":1}
  curl -i ${url}/me -H "Authorization: Bearer $TOKEN"                 # 401: the token has really ended
  (POST ${url}/logout/everywhere ends every token of the user issued so far)`);
});
process.on("SIGINT", () => { server.close(() => { store.close(); }); });
process.on("SIGTERM", () => { server.close(() => { store.close(); }); });
