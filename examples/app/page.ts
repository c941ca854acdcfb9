import { randomBytes } from "node:crypto";
import type { Express, Request, Response } from "express";
import {
  KRATOS_SESSION_COOKIE,
  LogoutError,
  hashSecret,
  idleExpiresAt,
  isLogoutError,
  recordActivity,
  type BrowserLogoutFlow,
  type SessionRecord,
  type UserRecord,
} from "../../src/index.js";
import { deadline, route, type ExampleContext } from "./context.js";
import { LIVE_EVENTS_PATH } from "./live.js";

/** How often visiting the page records "last seen" for the session: at most once a minute. */
const TOUCH_EVERY_MS = 60_000;

const escapes: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** Every value written into the page goes through this. */
export function html(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => escapes[c] ?? c);
}

/** A short, human name for a User-Agent: "Chrome on Linux", "curl", ... */
export function deviceName(userAgent: string | undefined): string {
  if (userAgent === undefined || userAgent === "") return "Unknown device";
  const browser =
    /Edg\//.test(userAgent) ? "Edge" : /Chrome\/|HeadlessChrome|Chromium/.test(userAgent) ? "Chrome" : /Firefox\//.test(userAgent) ? "Firefox" : /Safari\//.test(userAgent) ? "Safari" : /^curl\//.test(userAgent) ? "curl" : userAgent.split(/[ /]/)[0] ?? "Unknown";
  const os = /Windows/.test(userAgent) ? "Windows" : /Android/.test(userAgent) ? "Android" : /iPhone|iPad/.test(userAgent) ? "iOS" : /Mac OS X/.test(userAgent) ? "macOS" : /Linux/.test(userAgent) ? "Linux" : undefined;
  return os === undefined ? browser : `${browser} on ${os}`;
}

/** "in 29 min", "in 23 h": how long until a deadline, for people. */
function until(ms: number, now: number): string {
  const s = Math.max(0, Math.round((ms - now) / 1000));
  if (s < 60) return "in under a minute";
  if (s < 3600) return `in ${Math.floor(s / 60)} min`;
  if (s < 86_400) return `in ${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `in ${Math.floor(s / 86_400)} d`;
}

/** A deadline as a `<time>` element: relative for people, exact (UTC) in `datetime` and on hover. */
function whenText(ms: number | undefined, now: number): string {
  if (ms === undefined) return "never (no idle timeout)";
  const iso = new Date(ms).toISOString();
  return `<time datetime="${html(iso)}" title="${html(iso)}">${html(until(ms, now))}</time>`;
}

export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

const style = `
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; } .muted { color: #667; }
  table { width: 100%; border-collapse: collapse; margin: 1rem 0; } th, td { text-align: left; padding: .45rem .4rem; border-bottom: 1px solid #e3e6ee; }
  .badge { background: #e6f4ea; color: #17622e; border-radius: 1rem; padding: .05rem .55rem; font-size: .8rem; }
  button, .button { font: inherit; border: 1px solid #c8cdd8; background: #fff; border-radius: .4rem; padding: .3rem .8rem; cursor: pointer; color: inherit; text-decoration: none; }
  button.danger { border-color: #d33; color: #b00; } .actions { display: flex; gap: .6rem; align-items: center; }
  form.login { display: grid; gap: .6rem; max-width: 20rem; } input { font: inherit; padding: .35rem .5rem; }
  header { display: flex; justify-content: space-between; align-items: baseline; }
  .step-up { border: 1px solid #e0b4b4; background: #fff7f7; border-radius: .5rem; padding: .2rem 1rem .8rem; margin: 1rem 0; }
  .step-up h3 { font-size: 1rem; } #result.done { color: #17622e; } #result.refused { color: #b00; } form.search { margin: 1rem 0; }`;

export function layout(nonce: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>express-logout example</title><style nonce="${nonce}">${style}</style></head>
<body>${body}</body></html>`;
}

function loginPage(nonce: string): string {
  return layout(nonce, `
<h1>express-logout example</h1>
<p class="muted">Not signed in. Try <code>alice</code> / <code>alice-password</code>.</p>
<form class="login" method="post" action="/self-service/login">
  <label>Username <input name="username" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>`);
}

/** "30 minutes", "24 hours". */
function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${String(minutes)} minutes`;
  return `${String(Math.round(minutes / 60))} hours`;
}

function sessionsPage(nonce: string, ctx: ExampleContext, user: UserRecord, current: SessionRecord, sessions: readonly SessionRecord[], logoutUrl: string, live: boolean, isAdmin: boolean): string {
  const now = Date.now();
  const rows = sessions
    .map((s) => {
      const mine = s.id === current.id;
      return `<tr data-session-id="${html(s.id)}">
  <td>${html(deviceName(s.userAgent))}${mine ? ' <span class="badge">this device</span>' : ""}</td>
  <td>${html(s.ip ?? "unknown")}</td>
  <td>${html(ago(s.lastSeenAt ?? s.createdAt, now))}</td>
  <td data-idles-out="${html(String(idleExpiresAt(s) ?? ""))}">${whenText(idleExpiresAt(s), now)}</td>
  <td data-ends-at="${html(String(s.expiresAt))}">${whenText(s.expiresAt, now)}</td>
  <td>${mine ? "" : `<button class="danger" data-end="${html(s.id)}">End</button>`}</td>
</tr>`;
    })
    .join("\n");
  return layout(nonce, `
<header><h1>Signed in as ${html(user.username)}</h1><span class="actions">${isAdmin ? '<a class="button" id="admin-page" href="/admin">Admin page</a>' : ""}<a class="button" id="logout" href="${html(logoutUrl)}">Log out</a></span></header>
<p class="muted">${html(user.email ?? "")}</p>
<h2>Your active sessions</h2>
<table><thead><tr><th>Device</th><th>IP</th><th>Last seen</th><th>Idles out</th><th>Ends for good</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table>
<div class="actions"><button class="danger" id="end-others"${sessions.length > 1 ? "" : " disabled"}>End all other sessions</button></div>
<p class="muted">A session idles out after ${html(duration(ctx.sessionIdleTimeoutMs))} without use and ends for good ${html(duration(ctx.sessionTtlMs))} after its login.</p>
<h2>Change password</h2>
<form class="login" id="change-password">
  <label>Current password <input name="current" type="password" autocomplete="current-password" required></label>
  <label>New password <input name="next" type="password" autocomplete="new-password" minlength="8" required></label>
  <label><input name="endOthers" type="checkbox" checked> Sign out my other sessions</label>
  <button type="submit">Change password</button>
  <p class="muted" id="password-result" role="status"></p>
</form>
<noscript><p>Ending other sessions and changing the password need JavaScript; "Log out" works without it.</p></noscript>
<script nonce="${nonce}">
  // The buttons call the app's own session-management routes (DELETE /sessions/:id, DELETE /sessions).
  // A cross-site page cannot send these: DELETE with cookies needs a CORS preflight this app never grants.
  async function end(url) {
    const res = await fetch(url, { method: "DELETE", headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!res.ok && res.status !== 204) alert("Could not end the session (" + res.status + ")");
    location.reload();
  }
  for (const b of document.querySelectorAll("[data-end]")) b.addEventListener("click", () => end("/sessions/" + encodeURIComponent(b.dataset.end)));
  document.getElementById("end-others").addEventListener("click", () => end("/sessions"));
  // JSON with cookies to the app's own origin: a cross-site form cannot send it (no CORS preflight is granted).
  document.getElementById("change-password").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const res = await fetch("/account/password", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ current: form.get("current"), next: form.get("next"), endOthers: form.get("endOthers") === "on" }),
    });
    const body = await res.json().catch(() => ({}));
    document.getElementById("password-result").textContent = res.ok
      ? "Password changed. " + body.sessionsEnded + " other session(s) signed out."
      : "Not changed: " + (body.error ?? res.status);
    if (res.ok) setTimeout(() => location.reload(), 800);
  });
${live ? liveScript : ""}
</script>`);
}

/**
 * The page keeps a Server-Sent Events stream open (GET /live/events, the session cookie). When its session ends
 * anywhere, the stream's last event is "logout" and the page switches to "You were signed out" at once,
 * without a reload. The text is fixed, so it is built with DOM calls, never from the event's data as HTML.
 */
const liveScript = `
  const live = new EventSource("${LIVE_EVENTS_PATH}");
  live.addEventListener("logout", (event) => {
    live.close();
    let reason = "session-ended";
    try { reason = JSON.parse(event.data).reason; } catch {}
    const main = document.createElement("main");
    main.id = "signed-out";
    const title = document.createElement("h1");
    title.textContent = "You were signed out";
    const detail = document.createElement("p");
    detail.className = "muted";
    detail.textContent = reason === "session-expired"
      ? "This session reached the end of its lifetime."
      : "This session was ended from another device or by an administrator.";
    const again = document.createElement("a");
    again.className = "button";
    again.href = "/";
    again.textContent = "Sign in again";
    main.append(title, detail, again);
    document.body.replaceChildren(main);
  });`;

/** The signed-in browser session behind the cookie, if any (and records when it was last seen). */
export async function browserSession(ctx: ExampleContext, req: Request): Promise<SessionRecord | undefined> {
  const cookies = req.cookies as Record<string, unknown> | undefined;
  const token = cookies?.[KRATOS_SESSION_COOKIE];
  if (typeof token !== "string" || token.length === 0 || token.length > 4096) return undefined;
  const session = await deadline(ctx, "findSessionByTokenHash", () => ctx.store.findSessionByTokenHash(hashSecret(token)));
  if (session === undefined) return undefined;
  // Visiting the page is a use: it moves the idle deadline (written at most once a minute).
  return deadline(ctx, "touchSession", () => recordActivity(ctx.store, session, { touchEveryMs: TOUCH_EVERY_MS }));
}

/** `GET /`: who is signed in, a login form, the user's sessions with buttons to end them, and "Log out". */
export function mountPage(app: Express, ctx: ExampleContext, flow: BrowserLogoutFlow, live: boolean): void {
  app.get("/", route(async (req: Request, res: Response) => {
    await renderPage(req, res).catch((error: unknown) => {
      // The page reads the store itself, under the library's deadline: a store that fails or hangs is a 503 (the
      // app's error handler) within 2 s, never a 500 and never a hung page.
      throw isLogoutError(error) ? error : new LogoutError("store-unavailable", "the session store failed", { retryAfterSeconds: 5 }, { cause: error });
    });
  }));

  async function renderPage(req: Request, res: Response): Promise<void> {
    const nonce = randomBytes(16).toString("base64");
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Content-Security-Policy", `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
    res.setHeader("Referrer-Policy", "no-referrer");
    res.type("html");
    const session = await browserSession(ctx, req);
    const user = session === undefined ? undefined : await deadline(ctx, "users.findUser", () => ctx.users.findUser(session.userId));
    if (session === undefined || user === undefined) {
      res.send(loginPage(nonce));
      return;
    }
    const sessions = (await deadline(ctx, "listSessions", () => ctx.store.listSessions(user.id))).sort((a, b) => (b.lastSeenAt ?? b.createdAt) - (a.lastSeenAt ?? a.createdAt));
    const isAdmin = await deadline(ctx, "users.hasPermission", () => ctx.users.hasPermission(user, "view-device-management"));
    res.send(sessionsPage(nonce, ctx, user, session, sessions, flow.logoutUrl(session), live, isAdmin));
  }
}
