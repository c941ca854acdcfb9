import type { ServerResponse } from "node:http";
import { looksLikeRequest } from "./known-options.js";

/**
 * The type of the second parameter of every middleware factory, which is never passed. A factory has one
 * required parameter, so without it `app.use(requireSession)` (the factory itself, not `requireSession({...})`)
 * would type-check: Express also accepts error handlers, whose first parameter is `any`. With a second
 * parameter that cannot take a request's `res`, the compiler refuses that mount.
 */
export type NotMountable = undefined;

/** Each factory warns once per process, not once per request. */
const warned = new Set<string>();

function looksLikeResponse(value: unknown): value is ServerResponse {
  return typeof value === "object" && value !== null && typeof (value as ServerResponse).setHeader === "function" && typeof (value as ServerResponse).end === "function";
}

/**
 * When a factory was mounted without being called (plain JavaScript, or a cast past the types), Express calls
 * the factory itself with `(req, res, next)` on every request. There is no setup step to fail at, so the
 * request is refused, never let through: a 500 `application/problem+json` whose `detail` says how to mount
 * it, and, once per factory, a process warning with the same words for the server's log. Answers whether it
 * answered the request; the factory then returns without building anything.
 */
export function answeredUncalledMount(factory: string, mount: string, first: unknown, second: unknown): boolean {
  if (!looksLikeRequest(first) || !looksLikeResponse(second)) return false;
  const message = `express-logout: ${factory} is a factory: mount \`${mount}\`, not \`${factory}\` itself. Until then every request through it is refused with this 500.`;
  if (!warned.has(factory)) {
    warned.add(factory);
    process.emitWarning(message, { type: "SetupError", code: "EXPRESS_LOGOUT_FACTORY_NOT_CALLED" });
  }
  if (!second.headersSent) {
    const body = JSON.stringify({
      type: "https://express-logout.dev/errors/factory-not-called",
      title: "Middleware mounted without its options",
      status: 500,
      detail: message,
      code: "factory-not-called",
    });
    second.statusCode = 500;
    second.setHeader("Content-Type", "application/problem+json; charset=utf-8");
    second.setHeader("Cache-Control", "no-store");
    second.setHeader("Content-Length", Buffer.byteLength(body));
    second.end(body);
  }
  return true;
}
