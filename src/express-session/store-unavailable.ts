import type { ErrorRequestHandler, NextFunction, Request, Response } from "express";
import { isLogoutError } from "../errors.js";
import { SetupError, checkKnownOptions, optionNames } from "../options/index.js";
import { sendReply } from "../handlers/runtime/index.js";
import { problemShape } from "../shapes/problem.js";
import type { Shape } from "../types.js";

/** Options of `sessionStoreUnavailable`. */
export interface SessionStoreUnavailableOptions {
  /**
   * How the 503 is written.
   * @defaultValue `shapes.problem` (RFC 9457 problem+json, with `Retry-After`)
   */
  readonly shape?: Shape;
}

/**
 * Error middleware for apps whose express-session store is wrapped by `trackSessions`. When the express-logout
 * store fails or is slow, the session cannot be checked, so express-session passes the `store-unavailable`
 * error to `next` and no route runs (not the app's, not the library's). This answers it with a 503 and
 * `Retry-After`, in the shape given; every other error goes on to the app's own error handlers.
 *
 * ```ts
 * app.use(sessionStoreUnavailable()); // after the routes
 * ```
 */
export function sessionStoreUnavailable(options: Readonly<SessionStoreUnavailableOptions> = {}): ErrorRequestHandler {
  checkKnownOptions("sessionStoreUnavailable", options, optionNames<SessionStoreUnavailableOptions>({ shape: true }));
  const shape = options.shape ?? problemShape;
  if (typeof shape !== "object" || typeof shape.error !== "function") {
    throw new SetupError("option-invalid", "sessionStoreUnavailable `shape` must be a Shape, such as `shapes.rocketChat`.");
  }
  return function sessionStoreUnavailableHandler(error: unknown, req: Request, res: Response, next: NextFunction): void {
    if (!isLogoutError(error) || error.code !== "store-unavailable" || res.headersSent) {
      next(error);
      return;
    }
    sendReply(res, shape.error(error, req));
  };
}
