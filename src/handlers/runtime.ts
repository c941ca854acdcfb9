import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LogoutError, isLogoutError } from "../errors.js";
import { constantTimeEqual, hashSecret, verifySecret } from "../secrets.js";
import { isSessionRecord } from "../store/contract.js";
import { guarded, malformedAnswer } from "../store/guard.js";
import type { Authentication, EndedOutcome, Reply, SessionRecord, Shape, UserRecord } from "../types.js";
import type { Runtime } from "./options.js";

/** What earlier middleware of this library found for a request, so later ones do not look again. */
const found = new WeakMap<Request, Authentication>();

/** The caller that `requireSession`, `requirePermission` or `requireTotp` authenticated, if any. */
export function getAuthentication(req: Request): Authentication | undefined {
  return found.get(req);
}

export function rememberAuthentication(req: Request, auth: Authentication): void {
  found.set(req, auth);
}

/**
 * Where `requirePermission` records that it granted a permission on this request, for `createLogoutHandler`'s
 * function targets: ending another user's session needs such a grant. A registered symbol on the request, so
 * the ESM and CommonJS copies of the library read the same slot.
 */
const PERMISSION_GRANTED = Symbol.for("express-logout.permission-granted");

interface PermissionGrant {
  readonly userId: string;
  readonly permissions: readonly string[];
}

type WithGrant = Request & { [PERMISSION_GRANTED]?: unknown };

/** Records that `requirePermission` granted `permissions` to `userId` on this request. */
export function rememberPermissionGranted(req: Request, userId: string, permissions: readonly string[]): void {
  const grant: PermissionGrant = { userId, permissions: [...permissions] };
  Object.defineProperty(req, PERMISSION_GRANTED, { value: Object.freeze(grant), writable: true, configurable: true, enumerable: false });
}

/** Whether a `requirePermission` granted a permission to `userId` on this request. */
export function permissionGrantedTo(req: Request, userId: string): boolean {
  const grant = (req as WithGrant)[PERMISSION_GRANTED];
  return typeof grant === "object" && grant !== null && (grant as PermissionGrant).userId === userId;
}

/** A caller that presented an API key instead of a session. */
export interface ApiKeyCaller {
  readonly userId: string;
  readonly apiKeyId: string;
}

export type Caller = { readonly kind: "session"; readonly auth: Authentication } | { readonly kind: "api-key"; readonly apiKey: ApiKeyCaller };

/**
 * Finds who is calling: the first credential source that finds something decides (a malformed credential is
 * a refusal, never a fall-through to the next source). Answers `undefined` when the request carries none.
 */
export async function identify(req: Request, rt: Runtime): Promise<Caller | undefined> {
  const earlier = found.get(req);
  if (earlier !== undefined) return { kind: "session", auth: earlier };
  for (const source of rt.credentials) {
    const credential = source.read(req);
    if (credential === undefined) continue;
    switch (credential.kind) {
      case "invalid":
        throw credential.error;
      case "session-token": {
        const session = await liveSessionFor(rt, hashSecret(credential.token));
        if (session === undefined) throw new LogoutError("unauthenticated", "no active session for this token");
        if (credential.claimedUserId !== undefined && !constantTimeEqual(credential.claimedUserId, session.userId)) {
          throw new LogoutError("unauthenticated", "the user id does not match the session");
        }
        return { kind: "session", auth: { session, credential } };
      }
      case "api-key": {
        const users = rt.users;
        if (users?.findApiKey === undefined) throw new LogoutError("api-key-invalid", "API keys are not enabled");
        const record = await guarded("users.findApiKey", () => users.findApiKey?.(credential.key) ?? Promise.resolve(undefined), rt.guard);
        // Hash and compare even when the key is unknown, so the answer takes the same time either way.
        const matches = verifySecret(credential.secret, record?.secretHash ?? "");
        if (record === undefined || !matches) throw new LogoutError("api-key-invalid", "unknown API key or wrong secret");
        return { kind: "api-key", apiKey: { userId: record.userId, apiKeyId: record.id } };
      }
      case "resolved": {
        const principal = await guarded(`resolve ${credential.source}`, () => credential.resolve(rt.store), rt.guard);
        if (principal === undefined) throw new LogoutError("unauthenticated", "invalid or ended token");
        return { kind: "session", auth: { session: principal.session, credential, principal } };
      }
    }
  }
  return undefined;
}

/**
 * The live session whose token hashes to `tokenHash`, or `undefined`. The store found it by hash; the hash is
 * compared again in constant time so a store that matches loosely cannot let a near-miss through, and an
 * expired one is refused whatever the store says. An answer that is not a session record at all (a corrupted
 * row) is a broken store: a 503, never a session.
 */
export async function liveSessionFor(rt: Runtime, tokenHash: string): Promise<SessionRecord | undefined> {
  const answer: unknown = await guarded("findSessionByTokenHash", () => rt.store.findSessionByTokenHash(tokenHash), rt.guard);
  if (answer === undefined || answer === null) return undefined;
  if (!isSessionRecord(answer)) throw malformedAnswer("findSessionByTokenHash", rt.guard);
  if (!constantTimeEqual(answer.tokenHash, tokenHash) || answer.expiresAt <= Date.now()) return undefined;
  return answer;
}

/** Like `identify`, but a request without a credential is a refusal. Used by every route that needs a session. */
export async function authenticate(req: Request, rt: Runtime): Promise<Authentication> {
  const caller = await identify(req, rt);
  if (caller === undefined) throw new LogoutError("unauthenticated", "no credential in the request");
  if (caller.kind === "api-key") throw new LogoutError("unauthenticated", "this route needs a session, not an API key");
  return caller.auth;
}

/**
 * The caller's user, through the host directory, under the store deadline. Anything but an object is "no such
 * user": a directory backed by a database often answers `null` for a deleted one, and that must not pass.
 */
export async function loadUser(rt: Runtime, userId: string): Promise<UserRecord | undefined> {
  const users = rt.users;
  if (users === undefined) return undefined;
  const user: unknown = await guarded("users.findUser", () => users.findUser(userId), rt.guard);
  return typeof user === "object" && user !== null ? (user as UserRecord) : undefined;
}

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

/** Answers a refusal in the shape and tells the audit log. */
export function refuse(req: Request, res: Response, rt: Runtime, error: LogoutError, userId?: string): void {
  rt.events?.emit("logout.refused", {
    code: error.code,
    status: error.status,
    userId,
    method: req.method,
    path: req.path,
    ip: req.ip,
    at: Date.now(),
  });
  sendReply(res, rt.shape.error(error, req));
}

/**
 * Runs an async step as Express middleware on Express 4 and 5 alike: a `LogoutError` is answered in the
 * shape; anything else goes to the host's error handler through `next(err)`, exactly once.
 */
export function settle(
  req: Request,
  res: Response,
  next: NextFunction,
  rt: Runtime,
  step: Promise<void>,
): void {
  step.then(
    () => undefined,
    (error: unknown) => {
      if (isLogoutError(error)) {
        refuse(req, res, rt, error, found.get(req)?.session.userId);
        return;
      }
      next(error);
    },
  );
}

export type { RequestHandler };

/** The shape's own gate before authentication (SOAJS's tenant key), under the store deadline. */
export async function precheck(req: Request, rt: Runtime): Promise<void> {
  const gate = rt.shape.precheck;
  if (gate === undefined) return;
  const refusal = await guarded(`${rt.shape.name} precheck`, () => gate(req, rt.users), rt.guard);
  if (refusal !== undefined) throw refusal;
}
