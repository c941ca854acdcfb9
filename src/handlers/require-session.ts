import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LogoutError } from "../errors.js";
import type { UserRecord } from "../types.js";
import { problemShape } from "../shapes/problem.js";
import { activityDue, seenAt } from "../lifetime/activity.js";
import { booleanOption, optionNames, positiveOption } from "../options/index.js";
import { SetupError } from "../options/setup-error.js";
import { commonOptionNames, resolveRuntime, type CommonOptions } from "./options.js";
import { authenticate, loadUser, rememberAuthentication, settle, withUser } from "./runtime/index.js";
import { answeredUncalledMount, type NotMountable } from "../options/mounted-uncalled.js";
import { withProperties } from "../with-properties.js";

export interface RequireSessionOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /**
   * Load the caller's user through `users.findUser` and refuse the request when it no longer exists.
   * @defaultValue `true` when `users` is given
   */
  readonly loadUser?: boolean;
  /**
   * Record `lastSeenAt` when it is older than this many ms (one extra store write, at most that often per session).
   * For a session with an idle timeout this write is what keeps it alive: it happens at least every minute
   * (`DEFAULT_TOUCH_EVERY_MS`) and at least twice per idle timeout, whatever this says.
   * @defaultValue off for sessions
   * without an idle timeout
   */
  readonly touchEveryMs?: number;
}

const REQUIRE_SESSION_OPTIONS = optionNames<RequireSessionOptions>({ ...commonOptionNames, loadUser: true, touchEveryMs: true });

/**
 * Guards the host's own protected routes: a request whose session has ended (on any instance sharing the
 * store) is refused in the shape, at once. Later middleware reads the caller with `getAuthentication(req)`.
 */
export function requireSession<U extends UserRecord = UserRecord>(options: Readonly<RequireSessionOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("requireSession", "requireSession({ ... })", options, notMountable)) return undefined as never;
  const touches = typeof options === "object" && (options as unknown) !== null && options.touchEveryMs !== undefined;
  // Recording `lastSeenAt` is the store's optional `touchSession`: asked for only when `touchEveryMs` is set.
  const rt = resolveRuntime("requireSession", options, problemShape, REQUIRE_SESSION_OPTIONS, { store: touches ? ["touch"] : [] });
  const touchEveryMs = touches ? positiveOption("requireSession", "touchEveryMs", options.touchEveryMs) : undefined;
  const wantsUser = booleanOption("requireSession", "loadUser", options.loadUser ?? rt.users !== undefined);
  if (wantsUser && rt.users === undefined) {
    throw new SetupError("option-invalid", "requireSession `loadUser: true` needs `users` (a UserDirectory).");
  }

  async function run(req: Request, next: NextFunction): Promise<void> {
    let auth = await authenticate(req, rt);
    if (wantsUser) {
      const user = await loadUser(rt, auth.session.userId);
      if (user === undefined) throw new LogoutError("unauthenticated", "the session's user no longer exists");
      auth = withUser(auth, user);
    }
    // A JWT has no record to extend; a session's use is written at most every `touchEveryMs` (and, with an idle
    // timeout, often enough that steady use keeps it alive).
    if (auth.principal === undefined) {
      const session = auth.session;
      const now = Date.now();
      if (activityDue(session, now, touchEveryMs)) {
        await rt.calls.touchSession(session.id, now);
        auth = withProperties(auth, { session: seenAt(session, now) });
      }
    }
    rememberAuthentication(req, auth);
    next();
  }

  return function requireSessionMiddleware(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, next));
  };
}
