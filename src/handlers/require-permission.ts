import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LogoutError } from "../errors.js";
import { problemShape } from "../shapes/problem.js";
import { SetupError, optionNames, oneOfOption } from "../options/index.js";
import type { UserDirectory, UserRecord } from "../types.js";
import { commonOptionNames, resolveRuntime, type CommonOptions } from "./options.js";
import { authenticate, loadUser, precheck, rememberAuthentication, rememberPermissionGranted, settle, withUser } from "./runtime/index.js";
import { answeredUncalledMount } from "../options/mounted-uncalled.js";

export interface RequirePermissionOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /** The host's directory; must have `findUser` and `hasPermission`. Required. */
  readonly users: UserDirectory<U>;
  /**
   * With several permissions: `"all"` needs every one, `"any"` needs at least one.
   * @defaultValue `"all"`
   * (Rocket.Chat's `permissionsRequired`)
   */
  readonly match?: "all" | "any";
  /**
   * Checks the request's input after authentication and before the permission (Rocket.Chat's order:
   * authentication → body → permission → 2FA → handler). Throw a `bad-request` LogoutError to refuse, for
   * example `bodySessionId("sessionId")`.
   * @defaultValue none
   */
  readonly validate?: (req: Request) => unknown;
}

const REQUIRE_PERMISSION_OPTIONS = optionNames<RequirePermissionOptions>({ ...commonOptionNames, match: true, validate: true });

/**
 * Lets a request through only when its caller holds a permission, asked of `users.hasPermission` on every
 * request (never cached: a permission revoked a second ago is gone). Authenticates with the shape's
 * credentials, or reuses what an earlier `requireSession` found; answers the shape's 401, the `validate`
 * refusal, or the shape's 403. The caller, with its user, is remembered for `requireTotp` and the handler,
 * and so is the grant: it is what lets a later `createLogoutHandler` with a function target end another
 * user's session on this request.
 */
export function requirePermission<U extends UserRecord = UserRecord>(permission: string | readonly string[], options: Readonly<RequirePermissionOptions<U>>): RequestHandler {
  const factory = "requirePermission";
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount(factory, `${factory}("permission", { ... })`, permission, options)) return undefined as never;
  const raw: unknown = permission;
  if (typeof raw === "object" && raw !== null && "headers" in raw) {
    throw new SetupError("factory-not-called", `${factory} is a factory: mount \`${factory}("permission", { ... })\`, not \`${factory}\` itself (it was called with a request).`);
  }
  const named: readonly string[] = typeof permission === "string" ? [permission] : permission;
  if (!Array.isArray(named) || named.length === 0 || !named.every((p) => typeof p === "string" && p !== "")) {
    throw new SetupError(
      "option-required",
      `${factory} needs a permission name or a non-empty array of them as its first argument, such as \`${factory}("logout-device-management", { ... })\`.`,
    );
  }
  // A copy, frozen once: the host may change its own array later; every request's grant shares this one.
  const permissions: readonly string[] = Object.freeze(Array.from<string>(named));
  const rt = resolveRuntime(factory, options, problemShape, REQUIRE_PERMISSION_OPTIONS);
  const users = rt.users;
  if (users === undefined || typeof users.hasPermission !== "function") {
    throw new SetupError("directory-method-missing", `${factory} needs \`users\` with \`hasPermission(user, permission)\`, asked on every request.`);
  }
  const hasPermission = users.hasPermission.bind(users);
  // Checked as `unknown`: JavaScript callers are not held to the types.
  const match = oneOfOption(factory, "match", options.match ?? "all", ["all", "any"] as const);
  const validate = options.validate;
  if (validate !== undefined && typeof validate !== "function") {
    throw new SetupError("option-invalid", `${factory} \`validate\` must be a function \`(req) => void\` that throws a bad-request LogoutError.`);
  }

  async function run(req: Request, next: NextFunction): Promise<void> {
    const shapeGate = precheck(req, rt);
    if (shapeGate !== undefined) await shapeGate;
    const auth = await authenticate(req, rt);
    const user = auth.user ?? (await loadUser(rt, auth.session.userId));
    if (user === undefined) throw new LogoutError("unauthenticated", "the session's user no longer exists");
    rememberAuthentication(req, withUser(auth, user));
    validate?.(req);
    // Asked one after another: `all` stops at the first refusal, `any` at the first grant.
    let granted = match === "all";
    for (const name of permissions) {
      // Only a literal `true` grants: a missing `await` (a Promise) or a truthy string is a refusal.
      const answer: unknown = await rt.calls.run("users.hasPermission", () => hasPermission(user, name));
      const ok = answer === true;
      if (match === "all" && !ok) {
        granted = false;
        break;
      }
      if (match === "any" && ok) {
        granted = true;
        break;
      }
    }
    if (!granted) throw new LogoutError("forbidden", "the caller lacks the permission this route needs");
    // A function-target createLogoutHandler later on this route may now end another user's session.
    rememberPermissionGranted(req, auth.session.userId, permissions);
    next();
  }

  return function requirePermissionMiddleware(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, next));
  };
}
