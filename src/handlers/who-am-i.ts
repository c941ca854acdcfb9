import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LogoutError } from "../errors.js";
import type { UserRecord } from "../types.js";
import { activityDue, seenAt } from "../lifetime/activity.js";
import { problemShape } from "../shapes/problem.js";
import { optionNames } from "../options/index.js";
import { commonOptionNames, resolveRuntime, shapeMethod, type CommonOptions } from "./options.js";
import { authenticate, loadUser, precheck, rememberAuthentication, sendReply, settle, withUser } from "./runtime/index.js";
import { answeredUncalledMount, type NotMountable } from "../options/mounted-uncalled.js";
import { withProperties } from "../with-properties.js";

const WHO_AM_I_OPTIONS = optionNames<CommonOptions>(commonOptionNames);

/**
 * A who-am-I route in the shape (`GET /v1/auth`, `GET /sessions/whoami`, `GET /api/v1/me`,
 * `GET /urac/account`): the caller and its user, or the shape's 401 once the session has ended.
 */
export function whoAmI<U extends UserRecord = UserRecord>(options: Readonly<CommonOptions<U>>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("whoAmI", "whoAmI({ ... })", options, notMountable)) return undefined as never;
  const rt = resolveRuntime("whoAmI", options, problemShape, WHO_AM_I_OPTIONS);
  const render = shapeMethod("whoAmI", rt.shape, "whoAmI", "who-am-I answer");

  async function run(req: Request, res: Response): Promise<void> {
    const shapeGate = precheck(req, rt);
    if (shapeGate !== undefined) await shapeGate;
    let auth = await authenticate(req, rt);
    // A who-am-I poll is a use of the session: with an idle timeout it keeps the session alive (written at most
    // once a minute, DEFAULT_TOUCH_EVERY_MS).
    if (auth.principal === undefined && activityDue(auth.session, Date.now(), undefined)) {
      const now = Date.now();
      await rt.calls.touchSession(auth.session.id, now);
      auth = withProperties(auth, { session: seenAt(auth.session, now) });
    }
    const user = auth.user ?? (await loadUser(rt, auth.session.userId));
    if (rt.users !== undefined && user === undefined) throw new LogoutError("unauthenticated", "the session's user no longer exists");
    const caller = user === undefined ? auth : withUser(auth, user);
    rememberAuthentication(req, caller);
    sendReply(res, render(caller, req));
  }

  return function whoAmIHandler(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, res));
  };
}
