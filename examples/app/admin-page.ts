import { randomBytes } from "node:crypto";
import type { Express, Request, Response } from "express";
import { LogoutError, adminEndSession, adminEndUserSessions, isLogoutError, type BrowserLogoutFlow, type SessionRecord, type UserRecord } from "../../src/index.js";
import { deadline, route, type ExampleContext } from "./context.js";
import { ago, browserSession, deviceName, html, layout } from "./page.js";

/** Who may open the page and see every user's sessions (Rocket.Chat's name for it). */
const VIEW = "view-device-management";
/** The JSON routes the page's buttons call; each is a library admin factory with a TOTP step-up. */
export const ADMIN_END_SESSION_PATH = "/admin/page/sessions/:sessionId";
export const ADMIN_END_USER_SESSIONS_PATH = "/admin/page/users/:userId/sessions";

function sessionRows(sessions: readonly SessionRecord[], now: number): string {
  return sessions
    .map((s) => `<tr data-session-id="${html(s.id)}">
  <td>${html(deviceName(s.userAgent))}</td>
  <td>${html(s.ip ?? "unknown")}</td>
  <td>${html(ago(s.createdAt, now))}</td>
  <td>${html(ago(s.lastSeenAt ?? s.createdAt, now))}</td>
  <td><button class="danger" data-end="${html(s.id)}">End</button></td>
</tr>`)
    .join("\n");
}

function fullName(user: UserRecord): string {
  const name = [user.firstName, user.lastName].filter((part) => part !== undefined && part !== "").join(" ");
  return name === "" ? user.username : name;
}

/**
 * The page's script: "End" and "End all" open a TOTP prompt; the code goes in `x-2fa-code` to the library's admin
 * routes, which check the permission and the code (single use, throttled) before anything ends. The page then
 * says what happened, in text built with DOM calls (never HTML from the answer).
 */
const script = `
  const prompt = document.getElementById("step-up");
  const what = document.getElementById("step-up-what");
  const code = document.getElementById("totp-code");
  const result = document.getElementById("result");
  let pending;
  function ask(action) {
    pending = action;
    what.textContent = action.label;
    code.value = "";
    prompt.hidden = false;
    code.focus();
  }
  const refusals = {
    "totp-required": "Enter the 6-digit code from your authenticator app.",
    "totp-invalid": "The code is wrong, expired or was already used.",
    "throttled": "Too many wrong codes: wait a few minutes.",
    "forbidden": "Your account lacks the permission for this.",
    "not-found": "That session had already ended.",
    "unauthenticated": "Your own session has ended: sign in again.",
  };
  async function confirm() {
    if (pending === undefined) return;
    const action = pending;
    const res = await fetch(action.url, { method: "DELETE", credentials: "same-origin", headers: { Accept: "application/json", "x-2fa-code": code.value.trim() } });
    const body = await res.json().catch(() => ({}));
    prompt.hidden = true;
    pending = undefined;
    if (res.ok) {
      result.className = "done";
      result.textContent = action.done(body.ended);
      for (const row of document.querySelectorAll(action.rows)) row.remove();
      if (document.querySelectorAll("tr[data-session-id]").length === 0) document.getElementById("end-all")?.setAttribute("disabled", "");
    } else {
      result.className = "refused";
      result.textContent = "Refused: " + (refusals[body.code] ?? "the server answered " + res.status + ".") + " Nothing was changed.";
    }
  }
  document.getElementById("confirm")?.addEventListener("click", confirm);
  code?.addEventListener("keydown", (event) => { if (event.key === "Enter") confirm(); });
  document.getElementById("cancel")?.addEventListener("click", () => { prompt.hidden = true; pending = undefined; });
  const who = document.getElementById("sessions")?.dataset.username;
  for (const b of document.querySelectorAll("[data-end]")) b.addEventListener("click", () => ask({
    label: "End one session of " + who + " (" + b.closest("tr").cells[0].textContent + ").",
    url: "/admin/page/sessions/" + encodeURIComponent(b.dataset.end),
    rows: 'tr[data-session-id="' + CSS.escape(b.dataset.end) + '"]',
    done: () => "Ended 1 session of " + who + ". That device is signed out now.",
  }));
  const all = document.getElementById("end-all");
  all?.addEventListener("click", () => ask({
    label: "End every session of " + who + ".",
    url: "/admin/page/users/" + encodeURIComponent(all.dataset.userId) + "/sessions",
    rows: "tr[data-session-id]",
    done: (n) => "Ended all " + n + " session(s) of " + who + ". Every device of theirs is signed out now.",
  }));`;

function adminPage(nonce: string, admin: UserRecord, query: string, found: UserRecord | undefined, sessions: readonly SessionRecord[]): string {
  const now = Date.now();
  let results = "";
  if (query !== "" && found === undefined) results = `<p id="result" role="status">No user named “${html(query)}”.</p>`;
  if (found !== undefined) {
    results = `
<h2>Sessions of ${html(found.username)} <span class="muted">(${html(fullName(found))})</span></h2>
<table id="sessions" data-username="${html(found.username)}"><thead><tr><th>Device</th><th>IP</th><th>Signed in</th><th>Last seen</th><th></th></tr></thead>
<tbody>
${sessions.length === 0 ? '<tr><td colspan="5" class="muted">No live session.</td></tr>' : sessionRows(sessions, now)}
</tbody></table>
<div class="actions"><button class="danger" id="end-all" data-user-id="${html(found.id)}"${sessions.length === 0 ? " disabled" : ""}>End all sessions of ${html(found.username)}</button></div>
<section id="step-up" class="step-up" hidden>
  <h3>Confirm with your authenticator</h3>
  <p id="step-up-what"></p>
  <div class="actions"><label>TOTP code <input id="totp-code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" size="8"></label>
  <button class="danger" id="confirm">Confirm</button><button id="cancel">Cancel</button></div>
</section>
<p id="result" role="status"></p>
<noscript><p>Ending sessions needs JavaScript.</p></noscript>
<script nonce="${nonce}">${script}</script>`;
  }
  return layout(nonce, `
<header><h1>Administration</h1><a class="button" href="/">Back to my sessions</a></header>
<p class="muted">Signed in as ${html(admin.username)}. Find a user, see every device they are signed in on, end one session or all of them. Ending asks a code from your authenticator app.</p>
<form class="search actions" method="get" action="/admin">
  <label>Username <input name="user" value="${html(query)}" autocomplete="off" required maxlength="64"></label>
  <button type="submit">Search</button>
</form>
${results}`);
}

function refusalPage(nonce: string, title: string, detail: string): string {
  return layout(nonce, `<h1>${html(title)}</h1><p class="muted">${html(detail)}</p><a class="button" href="/">Back</a>`);
}

/**
 * `GET /admin`: the administrator's page. It needs the browser session (the `ory_kratos_session` cookie) of a
 * user with `view-device-management`; alice gets a 403 page. `?user=<username>` lists that user's live sessions
 * with device, IP, login and last seen. "End" and "End all" call two library admin factories with the same
 * cookie: `adminEndSession` behind `logout-device-management` and `adminEndUserSessions` behind
 * `logout-other-user`, each with the library's TOTP step-up (`x-2fa-code`, single use, throttled). The cookie
 * source refuses a request another site made the browser send, and a `DELETE` from another origin would need a
 * CORS preflight this app never grants. The ended user's open page hears it on its live stream.
 */
export function mountAdminPage(app: Express, ctx: ExampleContext, flow: BrowserLogoutFlow): void {
  const admin = { store: ctx.store, users: ctx.users, events: ctx.events, credentials: flow.credentials } as const;
  app.delete(ADMIN_END_SESSION_PATH, adminEndSession({ ...admin, gate: { permission: "logout-device-management" } }));
  app.delete(ADMIN_END_USER_SESSIONS_PATH, adminEndUserSessions({ ...admin, gate: { permission: "logout-other-user" } }));

  app.get("/admin", route(async (req: Request, res: Response) => {
    const nonce = randomBytes(16).toString("base64");
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Content-Security-Policy", `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
    res.setHeader("Referrer-Policy", "no-referrer");
    res.type("html");
    await render(req, res, nonce).catch((error: unknown) => {
      throw isLogoutError(error) ? error : new LogoutError("store-unavailable", "the session store failed", { retryAfterSeconds: 5 }, { cause: error });
    });
  }));

  async function render(req: Request, res: Response, nonce: string): Promise<void> {
    const session = await browserSession(ctx, req);
    const user = session === undefined ? undefined : await deadline(ctx, "users.findUser", () => ctx.users.findUser(session.userId));
    if (user === undefined) {
      res.status(401).send(refusalPage(nonce, "Sign in first", "The admin page needs the administrator to be signed in on this browser."));
      return;
    }
    if (!(await deadline(ctx, "users.hasPermission", () => ctx.users.hasPermission(user, VIEW)))) {
      res.status(403).send(refusalPage(nonce, "Not an administrator", `This page needs the permission ${VIEW}.`));
      return;
    }
    const raw: unknown = req.query.user;
    const query = typeof raw === "string" ? raw.trim().slice(0, 64) : "";
    const found = query === "" ? undefined : ctx.users.findByUsername(query);
    const sessions = found === undefined ? [] : (await deadline(ctx, "listSessions", () => ctx.store.listSessions(found.id))).sort((a, b) => (b.lastSeenAt ?? b.createdAt) - (a.lastSeenAt ?? a.createdAt));
    res.status(200).send(adminPage(nonce, user, query, found, sessions));
  }
}
