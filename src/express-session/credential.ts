import type { CookieOptions, Request } from "express";
import { LogoutError } from "../errors.js";
import { isSessionRecord } from "../store/answers.js";
import type { CredentialSource, ResolvedPrincipal, SessionRecord, SessionStore } from "../types.js";
import { checkKnownOptions, cookieNameOption, oneOfOption, optionNames } from "../options/index.js";
import { DEFAULT_SESSION_COOKIE } from "./signed-cookie.js";
import { CLOSE_ENDED_SESSION, trackedStateOf, type CloseEndedSession, type TrackedState } from "./tracked-state.js";

/** Options of `expressSession(options)`: how the session cookie is read. */
export interface ExpressSessionOptions {
  /**
   * The session cookie's name, as given to express-session (`name`). Cleared at logout.
   * @defaultValue `"connect.sid"`
   */
  readonly name?: string;
  /**
   * What to do when the browser marks the request `Sec-Fetch-Site: cross-site` (a page of another site made it
   * send the session cookie), as `cookieToken` does: `"refuse-unsafe"` (default) refuses it (403) on every
   * method but GET, HEAD and OPTIONS; `"refuse"` on every method; `"allow"` never.
   */
  readonly crossSite?: "refuse-unsafe" | "refuse" | "allow";
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The part of express-session's `req.session` a logout uses. */
interface RequestSession {
  readonly cookie?: Partial<Record<"path" | "domain" | "sameSite" | "secure" | "httpOnly" | "partitioned" | "priority", unknown>>;
  destroy(callback: (err?: unknown) => void): void;
}

/** The attributes the session cookie was set with, so clearing it reaches the same cookie (expressjs/session#241). */
function cookieAttributes(session: RequestSession): CookieOptions {
  const c = session.cookie ?? {};
  const attributes: CookieOptions = { path: typeof c.path === "string" ? c.path : "/" };
  if (typeof c.domain === "string") attributes.domain = c.domain;
  if (typeof c.httpOnly === "boolean") attributes.httpOnly = c.httpOnly;
  if (typeof c.secure === "boolean") attributes.secure = c.secure;
  if (typeof c.sameSite === "boolean" || c.sameSite === "lax" || c.sameSite === "strict" || c.sameSite === "none") attributes.sameSite = c.sameSite;
  if (typeof c.partitioned === "boolean") attributes.partitioned = c.partitioned;
  if (c.priority === "low" || c.priority === "medium" || c.priority === "high") attributes.priority = c.priority;
  return attributes;
}

/**
 * Ends the request's express-session after its record ended: destroys it in the app's store (leaving the
 * tombstone), so `req.session` is gone for the rest of the request (express-session then saves nothing), and
 * expires the cookie.
 */
async function closeRequestSession(req: Request, state: TrackedState, record: SessionRecord, cookieName: string): Promise<void> {
  const session = (req as { session?: RequestSession }).session;
  if (session === undefined || trackedStateOf(session) !== state) return;
  const attributes = cookieAttributes(session);
  const store: unknown = (req as { sessionStore?: unknown }).sessionStore;
  const close = typeof store === "object" && store !== null ? (store as Record<symbol, unknown>)[CLOSE_ENDED_SESSION] : undefined;
  // The record has ended, which is what ends the session everywhere; a failure of the app's store here only
  // leaves a dead entry that the next read with this cookie destroys, so it does not undo the logout.
  if (typeof close === "function") {
    delete (req as { session?: unknown }).session;
    await (close as CloseEndedSession).call(store, state.sid, record.expiresAt).catch(() => undefined);
  } else {
    await new Promise<void>((resolve) => {
      session.destroy(() => {
        resolve();
      });
    });
  }
  req.res?.clearCookie(cookieName, attributes);
}

/** The record in the store a factory was given: the tracked one, or the same session looked up there. */
async function recordIn(store: SessionStore, state: TrackedState, record: SessionRecord): Promise<SessionRecord | undefined> {
  if (store === state.store) return record;
  const found: unknown = await store.findSessionByTokenHash(record.tokenHash);
  // Checked as the contract says: anything but a live record of this very session is not it.
  return isSessionRecord(found) && found.id === record.id && found.expiresAt > Date.now() ? found : undefined;
}

/**
 * The caller is the request's express-session, as express-session resolved it from its signed cookie and
 * `trackSessions` checked it against its record in the same request (no further store call). Pass it in
 * `credentials` to every factory: `requireSession`, `createLogoutHandler` (a logout of the current session,
 * or "all", also destroys `req.session` and clears the cookie), `listSessions`, `requirePermission`,
 * `requireTotp`, `whoAmI`, `browserLogoutFlow`. A request without a logged-in session has no credential (401).
 */
export function expressSession(options: Readonly<ExpressSessionOptions> = {}): CredentialSource {
  checkKnownOptions("expressSession", options, optionNames<ExpressSessionOptions>({ name: true, crossSite: true }));
  const cookieName = cookieNameOption("expressSession", "name", options.name ?? DEFAULT_SESSION_COOKIE);
  const crossSite = oneOfOption("expressSession", "crossSite", options.crossSite ?? "refuse-unsafe", ["refuse-unsafe", "refuse", "allow"] as const);
  const source = "express-session";
  /** Whether a page of another site made the browser send this request, on a method `crossSite` refuses. */
  function forged(req: Request): boolean {
    if (crossSite === "allow" || req.headers["sec-fetch-site"] !== "cross-site") return false;
    return crossSite === "refuse" || !SAFE_METHODS.has(req.method);
  }
  return {
    name: source,
    read(req) {
      const session: unknown = (req as { session?: unknown }).session;
      if (session === undefined || session === null) return undefined;
      const state = trackedStateOf(session);
      if (state === undefined) {
        const error = new LogoutError("unauthenticated", "the express-session store is not wrapped with trackSessions: `session({ store: trackSessions(yourStore, { store }) })`");
        return { kind: "invalid", source, error };
      }
      const record = state.record;
      if (state.sid !== (req as { sessionID?: unknown }).sessionID || record === undefined) return undefined;
      if (forged(req)) return { kind: "invalid", source, error: new LogoutError("forbidden", "a page of another site sent the session cookie") };
      return {
        kind: "resolved",
        source,
        async resolve(store): Promise<ResolvedPrincipal | undefined> {
          const live = await recordIn(store, state, record);
          if (live === undefined) return undefined;
          return {
            session: live,
            async end(endIn) {
              const ended = await endIn.revokeSession(live.id);
              state.record = undefined;
              await closeRequestSession(req, state, live, cookieName);
              return ended;
            },
            // "All" ended every record of the user, this one included; what is left is this request's session.
            async endAll() {
              state.record = undefined;
              await closeRequestSession(req, state, live, cookieName);
              return 0;
            },
          };
        },
      };
    },
  };
}
