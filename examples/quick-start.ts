// The README's quick start, as one file: `npm install express-logout express`, then `npx tsx quick-start.ts`.
import { scryptSync, timingSafeEqual } from "node:crypto";
import express from "express";
import { MemorySessionStore, createLogoutHandler, getAuthentication, issueSession, requireSession } from "express-logout";

// Your users. Here one, in memory, with the password kept as a scrypt hash (use your own user table).
const salt = "quick-start-salt";
const people = [{ id: "u1", username: "alice", email: "alice@example.com", passwordHash: scryptSync("alice-password", salt, 32) }];

function checkPassword(username: unknown, password: unknown) {
  const person = people.find((p) => p.username === username);
  if (person === undefined || typeof password !== "string") return undefined;
  return timingSafeEqual(scryptSync(password, salt, 32), person.passwordHash) ? person : undefined;
}

const store = new MemorySessionStore(); // one process; RedisSessionStore or your own store for several
const users = {
  // What the library may show of a user: never a secret, so not the password hash.
  findUser: (id: string) => {
    const person = people.find((p) => p.id === id);
    return Promise.resolve(person && { id: person.id, username: person.username, email: person.email });
  },
};

const app = express();

// Login: after the password check, a session. The token exists only in this answer; the store keeps its hash.
app.post("/login", express.json(), async (req, res) => {
  const person = checkPassword(req.body?.username, req.body?.password);
  if (person === undefined) {
    res.status(401).json({ error: "wrong username or password" });
    return;
  }
  const { token } = await issueSession(store, { userId: person.id, ip: req.ip, userAgent: req.get("user-agent") });
  res.json({ token });
});

// A protected route: a token that was logged out is refused here at once (401).
app.get("/me", requireSession({ store, users }), (req, res) => {
  const caller = getAuthentication(req); // what requireSession found
  res.json({ username: caller?.user?.username, sessionId: caller?.session.id });
});

// Logout, in the neutral problem+json shape: this session, every session, or every other one.
app.post("/logout", createLogoutHandler({ store, users }));
app.post("/logout/everywhere", createLogoutHandler({ store, users, target: "all" }));
app.post("/logout/others", createLogoutHandler({ store, users, target: "others" }));

const port = Number(process.env.PORT ?? 3000);
app.listen(port, "127.0.0.1", () => {
  console.log(`quick start listening on http://127.0.0.1:${port}`);
});
