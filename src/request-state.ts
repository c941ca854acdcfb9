import type { Request } from "express";
import type { Authentication } from "./types.js";

/**
 * Where the caller found by this library's middleware is kept on the request. A registered symbol, not a
 * module-level `WeakMap`: when both the ESM and the CommonJS build are loaded in one process (a
 * `requirePermission` from one, a `requireTotp` from the other), both copies read and write the same slot.
 */
const AUTHENTICATION = Symbol.for("express-logout.authentication");

type WithState = Request & { [AUTHENTICATION]?: unknown };

function isAuthentication(value: unknown): value is Authentication {
  return typeof value === "object" && value !== null && "session" in value && "credential" in value;
}

/** The caller that `requireSession`, `requirePermission` or `requireTotp` authenticated, if any. */
export function getAuthentication(req: Request): Authentication | undefined {
  const value = (req as WithState)[AUTHENTICATION];
  return isAuthentication(value) ? value : undefined;
}

/** Remembers the caller for later middleware of this library and for `getAuthentication`. */
export function rememberAuthentication(req: Request, auth: Authentication): void {
  Object.defineProperty(req, AUTHENTICATION, { value: auth, writable: true, configurable: true, enumerable: false });
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
  const grant: PermissionGrant = Object.freeze({ userId, permissions: Object.freeze([...permissions]) });
  Object.defineProperty(req, PERMISSION_GRANTED, { value: grant, writable: true, configurable: true, enumerable: false });
}

/** Whether a `requirePermission` granted a permission to `userId` on this request. */
export function permissionGrantedTo(req: Request, userId: string): boolean {
  const grant = (req as WithGrant)[PERMISSION_GRANTED];
  return typeof grant === "object" && grant !== null && (grant as PermissionGrant).userId === userId;
}
