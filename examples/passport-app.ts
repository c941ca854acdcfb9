// An existing express-session + passport app, with real logout added: every device listed with its last use,
// "end this one", "log out everywhere else", "log out everywhere", and an admin ending another user's session
// with a permission and a TOTP code (Rocket.Chat's route and bodies). The login code is passport's own.
//
//   npx tsx examples/passport-app.ts          # MemoryStore + MemorySessionStore
//   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/passport-app.ts   # connect-redis + RedisSessionStore (REDIS_PREFIX optional)
//
// Open http://127.0.0.1:3000 in two browsers (or a normal and a private window), log in as alice twice, see two
// sessions, end the other one. The admin (admin / admin-password, TOTP secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP)
// can end a session of alice from the same page, or with curl:
//   curl -XPOST localhost:3000/api/v1/sessions/logout -b 'connect.sid=<admin cookie>' -H 'content-type: application/json' \
//     -H "x-2fa-code: <code>" -d '{"sessionId":"<one of alice's session ids>"}'
import { randomBytes } from "node:crypto";
import { RedisStore } from "connect-redis";
import express, { type Request } from "express";
import session, { MemoryStore, type Store } from "express-session";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { createClient } from "redis";
import {
  MemorySessionStore, RedisSessionStore, bodySessionId, createLogoutHandler, expressSession, getAuthentication, requirePermission,
  requireSession, requireTotp, sessionStoreUnavailable, shapes, trackSessions, type MarkerStore, type SessionStore, type Shape, userDirectory,
} from "express-logout";

// The app's users (a real app has its own table, with hashed passwords).
const people = [
  { id: "1", username: "alice", password: "alice-password", permissions: [] as string[], totp: undefined as string | undefined },
  { id: "2", username: "bob", password: "bob-password", permissions: [], totp: undefined },
  { id: "3", username: "admin", password: "admin-password", permissions: ["logout-device-management"], totp: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" },
];
const byId = (id: string) => people.find((p) => p.id === id);
// userDirectory types the callbacks from findUser; each may answer at once or with a promise.
const users = userDirectory({
  findUser: (id: string) => byId(id) && { id, username: byId(id)?.username ?? "" },
  hasPermission: (user, permission) => byId(user.id)?.permissions.includes(permission) ?? false,
  totpSecret: (user) => byId(user.id)?.totp,
});

// The stores: the app's own express-session store, and express-logout's store of one record per logged-in session.
async function stores(): Promise<{ inner: Store; store: SessionStore & MarkerStore; where: string }> {
  const url = process.env.REDIS_URL;
  if (url === undefined || url === "") return { inner: new MemoryStore(), store: new MemorySessionStore(), where: "memory" };
  const client = createClient({ url, disableOfflineQueue: true });
  client.on("error", (error: Error) => { console.error("redis:", error.message); });
  await client.connect();
  const prefix = process.env.REDIS_PREFIX ?? ""; // to share one Redis between apps
  return {
    inner: new RedisStore({ client, prefix: `${prefix}sess:` }),
    store: new RedisSessionStore({ sendCommand: (args) => client.sendCommand(args), isReady: () => client.isReady, prefix: `${prefix}express-logout:` }),
    where: `Redis at ${url}`,
  };
}
const { inner, store, where } = await stores();

const app = express();
app.use(express.urlencoded({ extended: false, limit: "4kb" }));
app.use(express.json({ limit: "4kb" }));
// The app's session setup, as it was, with its store wrapped by trackSessions: the one line that changes.
app.use(session({
  store: trackSessions(inner, { store }),
  secret: process.env.SESSION_SECRET ?? randomBytes(32).toString("hex"),
  resave: false,
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: "lax", maxAge: 24 * 60 * 60 * 1000 },
}));
passport.use(new LocalStrategy((username, password, done) => {
  done(null, people.find((p) => p.username === username && p.password === password) ?? false);
}));
passport.serializeUser((user, done) => { done(null, (user as { id: string }).id); });
passport.deserializeUser((id: string, done) => { done(null, byId(id) ?? false); });
app.use(passport.session());

// Login and passport's own logout: unchanged passport code (req.logout ends the session's record too).
app.post("/login", passport.authenticate("local", { failureRedirect: "/?failed=1" }), (_req, res) => { res.redirect(303, "/"); });
app.post("/logout", (req, res, next) => {
  req.logout((err) => { if (err) next(err); else res.redirect(303, "/"); });
});

// The library's routes, on the express-session of the request. This app's pages speak HTML: a shape (the one
// place that decides the bytes) sends browsers back to the page after a logout, and to the login form when
// they are not signed in; everything else is problem+json.
const credentials = [expressSession()];
const loginForm = (failed: boolean) => `<!doctype html><title>Sign in</title><h1>Sign in</h1>${failed ? "<p>Wrong username or password.</p>" : ""}
<form method="post" action="/login"><input name="username" placeholder="alice" autocomplete="username">
<input name="password" type="password" placeholder="alice-password" autocomplete="current-password"><button>Sign in</button></form>`;
const browserPage: Shape = {
  ...shapes.problem,
  ended: () => ({ status: 303, headers: { Location: "/" } }),
  error: (error, req) => error.code === "unauthenticated"
    ? { status: 401, headers: { "Content-Type": "text/html; charset=utf-8" }, body: loginForm(req.query.failed === "1") }
    : shapes.problem.error(error, req),
};
const page = { store, users, credentials, shape: browserPage };
app.post("/sessions/end", createLogoutHandler({ ...page, target: bodySessionId("id"), ownSessionsOnly: true }));
app.post("/sessions/end-others", createLogoutHandler({ ...page, target: "others" }));
app.post("/sessions/end-all", createLogoutHandler({ ...page, target: "all" }));
const rc = { store, users, credentials, shape: shapes.rocketChat };
const sessionId = bodySessionId("sessionId");
app.post("/api/v1/sessions/logout",
  requirePermission("logout-device-management", { ...rc, validate: sessionId }),
  requireTotp(rc),
  createLogoutHandler({ ...rc, target: sessionId }));

const escape = (text: string | undefined) => (text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const when = (ms: number | undefined) => (ms === undefined ? "never" : new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC");

async function sessionRows(userId: string, currentId: string | undefined, withTotp: boolean): Promise<string> {
  const sessions = await store.listSessions(userId);
  return sessions.map((s) => `<tr><td>${escape(s.userAgent ?? "unknown device")}</td><td>${escape(s.ip)}</td><td>${when(s.lastSeenAt)}</td><td>${
    s.id === currentId ? "this device" : withTotp
      ? `<button data-session="${escape(s.id)}" class="admin-end">End (admin, TOTP)</button>`
      : `<form method="post" action="/sessions/end"><input type="hidden" name="id" value="${escape(s.id)}"><button>End this one</button></form>`
  }</td></tr>`).join("");
}

// The page: the caller's sessions (and, for an admin, the other users'), or the login form (see browserPage).
app.get("/", requireSession(page), async (req: Request, res) => {
  const caller = getAuthentication(req);
  const me = caller === undefined ? undefined : byId(caller.session.userId);
  res.setHeader("Cache-Control", "no-store");
  if (caller === undefined || me === undefined) {
    res.status(401).send(loginForm(false));
    return;
  }
  const others = me.permissions.includes("logout-device-management")
    ? (await Promise.all(people.filter((p) => p.id !== me.id).map(async (p) => `<h3>${escape(p.username)}</h3><table>${await sessionRows(p.id, undefined, true)}</table>`))).join("")
    : "";
  res.send(`<!doctype html><title>Sessions</title><h1>Signed in as ${escape(me.username)}</h1>
<h2>Your sessions</h2><table><tr><th>Device</th><th>IP</th><th>Last seen</th><th></th></tr>${await sessionRows(me.id, caller.session.id, false)}</table>
<form method="post" action="/sessions/end-others"><button>Log out everywhere else</button></form>
<form method="post" action="/sessions/end-all"><button>Log out everywhere</button></form>
<form method="post" action="/logout"><button>Log out</button></form>
${others === "" ? "" : `<h2>Other users (admin)</h2><p><label>TOTP code <input id="totp" inputmode="numeric"></label></p>${others}
<script>for (const b of document.querySelectorAll(".admin-end")) b.onclick = async () => {
  const res = await fetch("/api/v1/sessions/logout", { method: "POST", headers: { "content-type": "application/json", "x-2fa-code": document.getElementById("totp").value }, body: JSON.stringify({ sessionId: b.dataset.session }) });
  alert(JSON.stringify(await res.json())); location.reload();
};</script>`}`);
});

app.use(sessionStoreUnavailable());

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
app.listen(port, host, () => {
  console.log(`passport app listening on http://${host}:${port} (sessions in ${where}); users alice, bob, admin (password <name>-password)`);
});
