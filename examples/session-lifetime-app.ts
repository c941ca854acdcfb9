// Idle timeout, absolute lifetime, step-up and "sign out everywhere else" after a password change:
// `npx tsx examples/session-lifetime-app.ts`, then
//   TOKEN=$(curl -s -XPOST localhost:3000/login -H 'Content-Type: application/json' -d '{"password":"correct horse"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')
//   curl -s localhost:3000/me -H "Authorization: Bearer $TOKEN"                 # when it idles out, when it ends for good
//   curl -s -XPOST localhost:3000/password -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"next":"battery staple"}'
//   (after RECENT_AUTH_MS, 30 s by default, the same call answers 401 reauthentication-required; then)
//   curl -s -XPOST localhost:3000/reauthenticate -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"password":"battery staple"}'
import express from "express";
import {
  MemorySessionStore,
  endSessionsAfterCredentialChange,
  getAuthentication,
  idleExpiresAt,
  issueSession,
  markAuthenticated,
  requireRecentAuth,
  requireSession,
} from "express-logout";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const lifetimeMs = env("LIFETIME_MS", 8 * 60 * 60_000); // ends for good 8 h after the login
const idleTimeoutMs = env("IDLE_TIMEOUT_MS", 15 * 60_000); // or after 15 min without use
const recentAuthMs = env("RECENT_AUTH_MS", 30_000); // a password change needs a proof at most 30 s old

const store = new MemorySessionStore();
let password = "correct horse"; // a real app keeps a salted hash per user
const users = { findUser: (id: string) => Promise.resolve(id === "u1" ? { id: "u1", username: "ada" } : undefined) };

const app = express();
app.use(express.json());

app.post("/login", async (req, res) => {
  if ((req.body as { password?: unknown }).password !== password) return void res.status(401).json({ error: "wrong password" });
  // At most 3 sessions: a fourth login ends the one used least recently.
  const { token, session } = await issueSession(store, { userId: "u1", lifetimeMs, idleTimeoutMs, method: "password", maxSessionsPerUser: 3 });
  res.json({ token, sessionId: session.id });
});

const signedIn = requireSession({ store, users });

app.get("/me", signedIn, (req, res) => {
  const session = getAuthentication(req)?.session;
  if (session === undefined) return void res.status(401).end();
  res.json({ sessionId: session.id, idlesOutAt: new Date(idleExpiresAt(session) ?? session.expiresAt).toISOString(), endsAt: new Date(session.expiresAt).toISOString() });
});

// The host checks the password; the library records the proof on the session.
app.post("/reauthenticate", signedIn, async (req, res) => {
  if ((req.body as { password?: unknown }).password !== password) return void res.status(401).json({ error: "wrong password" });
  const session = await markAuthenticated(req, { method: "password" });
  res.json({ authenticatedAt: new Date(session.authenticatedAt ?? session.createdAt).toISOString() });
});

app.post("/password", signedIn, requireRecentAuth({ store, maxAgeMs: recentAuthMs }), async (req, res) => {
  const next = (req.body as { next?: unknown }).next;
  const session = getAuthentication(req)?.session;
  if (typeof next !== "string" || next.length < 8 || session === undefined) return void res.status(400).json({ error: "8 characters at least" });
  password = next;
  const { sessionsEnded } = await endSessionsAfterCredentialChange(store, { userId: "u1", keep: session.id, reason: "password-changed" });
  res.json({ changed: true, sessionsEnded });
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, "127.0.0.1", () => {
  console.log(`session lifetime example listening on http://127.0.0.1:${port}`);
});
