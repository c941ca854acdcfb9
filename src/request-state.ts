import type { IncomingMessage } from "node:http";
import type { Request } from "express";
import type { LogoutEvents } from "./events.js";
import type { CheckedStore } from "./store/checked-store.js";
import type { Authentication, UserDirectory, UserRecord } from "./types.js";

/** What this library's middleware has learnt about one request. */
interface RequestState {
  /** The caller `requireSession`, `requirePermission` or `requireTotp` authenticated. */
  authentication?: Authentication;
  /** The store and events of the middleware that authenticated it (for `markAuthenticated`). */
  through?: AuthenticatingRuntime;
  /** The permission `requirePermission` granted, for `createLogoutHandler`'s function targets. */
  grant?: PermissionGrant;
}

/**
 * Every request's state, in one `WeakMap` kept under a registered symbol on `globalThis`: when both the ESM and
 * the CommonJS build are loaded in one process (a `requirePermission` from one, a `requireTotp` from the
 * other), both copies read and write the same map. Nothing is written onto the request itself: adding a
 * property to an Express request, whose prototype Express sets per request, builds a new hidden class each
 * time (about two microseconds a property in `npm run bench:profile`); one map entry a request costs less.
 */
const REGISTRY = Symbol.for("express-logout.request-state");
const states: WeakMap<IncomingMessage, RequestState> = ((globalThis as { [REGISTRY]?: WeakMap<IncomingMessage, RequestState> })[REGISTRY] ??= new WeakMap());

function stateOf(req: IncomingMessage): RequestState {
  let state = states.get(req);
  if (state === undefined) {
    state = {};
    states.set(req, state);
  }
  return state;
}

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
  const value = states.get(req)?.authentication;
  return isAuthentication(value) ? value : undefined;
}

/** Remembers the caller for later middleware of this library and for `getAuthentication`. */
export function rememberAuthentication(req: IncomingMessage, auth: Authentication): void {
  stateOf(req).authentication = auth;
}

/** The store (checked, under its factory's deadline) and events of the middleware that authenticated a request. */
export interface AuthenticatingRuntime {
  readonly calls: CheckedStore;
  readonly events: LogoutEvents | undefined;
}

/**
 * Remembers, once per request, which middleware's store authenticated it (for `markAuthenticated`). The
 * factory's own runtime object is kept as it is (it has both fields), so a request allocates nothing for it.
 */
export function rememberAuthenticatingRuntime(req: Request, rt: AuthenticatingRuntime): void {
  const state = stateOf(req);
  state.through ??= rt;
}

/** The store and events of the middleware that authenticated the request, if any did. */
export function authenticatingRuntime(req: Request): AuthenticatingRuntime | undefined {
  return states.get(req)?.through;
}

/** What `requirePermission` granted on a request, and to whom. */
interface PermissionGrant {
  readonly userId: string;
  readonly permissions: readonly string[];
}

/**
 * Records that `requirePermission` granted `permissions` (its own list, frozen once at setup) to `userId` on this
 * request. The grant lives in the map, out of the host's reach: nothing to copy or freeze per request.
 */
export function rememberPermissionGranted(req: Request, userId: string, permissions: readonly string[]): void {
  stateOf(req).grant = { userId, permissions };
}

/** Whether a `requirePermission` granted a permission to `userId` on this request. */
export function permissionGrantedTo(req: Request, userId: string): boolean {
  return states.get(req)?.grant?.userId === userId;
}
