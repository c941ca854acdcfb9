import type { NextFunction, Request, Response } from "express";
import { isLogoutError, type LogoutError } from "../../errors.js";
import type { EndedOutcome, Reply, Shape } from "../../types.js";
import type { Runtime } from "../options.js";
import { getAuthentication } from "../../request-state.js";

/** Writes a shape's reply. Every response of the library is private and never cached. */
export function sendReply(res: Response, reply: Reply): void {
  if (res.headersSent) return;
  res.status(reply.status);
  res.setHeader("Cache-Control", "no-store");
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.body === undefined) {
    res.end();
    return;
  }
  const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  if (!res.hasHeader("Content-Type")) res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}

/**
 * A shape's success reply, rendered after the store confirmed the ending. Whatever the shape throws here is a
 * bug of the shape, not a refusal: the session has ended and its event was told, so a `LogoutError` must not
 * be answered as "not found" or "no session". Any throw becomes a plain Error for the host's error handler
 * (`next(err)`, once), with the shape's error as its `cause`.
 */
export function renderEnded(shape: Shape, outcome: EndedOutcome, req: Request): Reply {
  try {
    return shape.ended(outcome, req);
  } catch (cause) {
    throw new Error(`express-logout: shape \`${shape.name}\` threw from \`ended\` after the session ended; the ending stands.`, { cause });
  }
}

/** Answers a refusal in the shape and tells the audit log the status the shape actually sent. */
export function refuse(req: Request, res: Response, rt: Runtime, error: LogoutError, userId?: string): void {
  const reply = rt.shape.error(error, req);
  rt.events?.emit("logout.refused", {
    code: error.code,
    status: reply.status,
    userId,
    method: req.method,
    path: req.path,
    ip: req.ip,
    at: Date.now(),
  });
  sendReply(res, reply);
}

/** A step that ended without a throw has answered or called `next()` itself: nothing is left to do. */
function stepDone(): undefined {
  return undefined;
}

/**
 * Runs an async step as Express middleware on Express 4 and 5 alike: a `LogoutError` is answered in the
 * shape; anything else, and anything the shape or a header throws while answering, goes to the host's error
 * handler through `next(err)`, exactly once. Nothing here can become an unhandled rejection.
 */
export function settle(req: Request, res: Response, next: NextFunction, rt: Runtime, step: Promise<void>): void {
  step.then(
    stepDone,
    (error: unknown) => {
      if (!isLogoutError(error)) {
        next(error);
        return;
      }
      try {
        refuse(req, res, rt, error, getAuthentication(req)?.session.userId);
      } catch (thrown) {
        next(thrown);
      }
    },
  );
}
