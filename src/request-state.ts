import type { IncomingMessage } from "node:http";
import type { Request } from "express";
import type { LogoutEvents } from "./events.js";
import type { CheckedStore } from "./store/checked-store.js";
import type { Authentication, UserDirectory, UserRecord } from "./types.js";

/**
 * Where the caller found by this library's middleware is kept on the request. A registered symbol, not a
 * module-level `WeakMap`: when both the ESM and the CommonJS build are loaded in one process (a
 * `requirePermission` from one, a `requireTotp` from the other), both copies read and write the same slot.
 */
const AUTHENTICATION = Symbol.for("express-logout.authentication");

type WithState = IncomingMessage & { [AUTHENTICATION]?: unknown };

function isAuthentication(value: unknown): value is Authentication {
  return typeof value === "object" && value !== null && "session" in value && "credential" in value;
}

/**
 * The caller that `requireSession`, `requirePermission` or `requireTotp` authenticated, if any; for a live
 * connection, pass its upgrade or handshake request (`socket.request` in Socket.IO).
 *
 * Its `user` is what the directory's `findUser` answered. Pass that directory as `users` to have it typed as
 * the host's own user type (`getAuthentication(req, users)?.user?.roles`), or name the type
 * (`getAuthentication<MyUser>(req)`). The directory is only read by the compiler; nothing calls it here.
 */
export function getAuthentication<U extends UserRecord = UserRecord>(req: IncomingMessage, users?: UserDirectory<U>): Authentication<U> | undefined;
export function getAuthentication(req: IncomingMessage): Authentication | undefined {
  const value = (req as WithState)[AUTHENTICATION];
  return isAuthentication(value) ? value : undefined;
}

/**
 * Remembers the caller for later middleware of this library and for `getAuthentication`. A plain assignment:
 * a symbol-keyed property is already invisible to `JSON.stringify`, `for…in` and `Object.keys`, and
 * `Object.defineProperty` on a request costs a descriptor object and a slow property definition per request.
 */
export function rememberAuthentication(req: IncomingMessage, auth: Authentication): void {
  (req as WithState)[AUTHENTICATION] = auth;
}

const AUTHENTICATED_THROUGH = Symbol.for("express-logout.authenticated-through");

/** The store (checked, under its factory's deadline) and events of the middleware that authenticated a request. */
export interface AuthenticatingRuntime {
  readonly calls: CheckedStore;
  readonly events: LogoutEvents | undefined;
}

type WithRuntime = Request & { [AUTHENTICATED_THROUGH]?: AuthenticatingRuntime };

/**
 * Remembers, once per request, which middleware's store authenticated it (for `markAuthenticated`). The
 * factory's own runtime object is kept as it is (it has both fields), so a request allocates nothing here.
 */
export function rememberAuthenticatingRuntime(req: Request, rt: AuthenticatingRuntime): void {
  const withRuntime = req as WithRuntime;
  if (withRuntime[AUTHENTICATED_THROUGH] === undefined) withRuntime[AUTHENTICATED_THROUGH] = rt;
}

/** The store and events of the middleware that authenticated the request, if any did. */
export function authenticatingRuntime(req: Request): AuthenticatingRuntime | undefined {
  return (req as WithRuntime)[AUTHENTICATED_THROUGH];
}

/**
 * Where `requirePermission` records that it granted a permission on this request, for `createLogoutHandler`'s
 * function targets: ending another user's session needs such a grant. A registered symbol too, for the same
 * reason as the caller's slot.
 */
const PERMISSION_GRANTED = Symbol.for("express-logout.permission-granted");

interface PermissionGrant {
  readonly userId: string;
  readonly permissions: readonly string[];
}

type WithGrant = Request & { [PERMISSION_GRANTED]?: unknown };

/** Records that `requirePermission` granted `permissions` to `userId` on this request. */
export function rememberPermissionGranted(req: Request, userId: string, permissions: readonly string[]): void {
  (req as WithGrant)[PERMISSION_GRANTED] = Object.freeze({ userId, permissions: Object.freeze([...permissions]) }) satisfies PermissionGrant;
}

/** Whether a `requirePermission` granted a permission to `userId` on this request. */
export function permissionGrantedTo(req: Request, userId: string): boolean {
  const grant = (req as WithGrant)[PERMISSION_GRANTED];
  return typeof grant === "object" && grant !== null && (grant as PermissionGrant).userId === userId;
}
