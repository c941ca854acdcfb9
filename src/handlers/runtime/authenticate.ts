import type { Request } from "express";
import { LogoutError } from "../../errors.js";
import { constantTimeEqual, hashSecret, verifySecret } from "../../secrets.js";
import type { Authentication, UserRecord } from "../../types.js";
import type { Runtime } from "../options.js";
import { getAuthentication, rememberAuthenticatingRuntime } from "../../request-state.js";
import { withProperties } from "../../with-properties.js";

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
  const earlier = getAuthentication(req);
  if (earlier !== undefined) return { kind: "session", auth: earlier };
  rememberAuthenticatingRuntime(req, rt);
  for (const source of rt.credentials) {
    const credential = source.read(req);
    if (credential === undefined) continue;
    switch (credential.kind) {
      case "invalid":
        throw credential.error;
      case "session-token": {
        const session = await rt.calls.findSessionByTokenHash(hashSecret(credential.token));
        if (session === undefined) throw new LogoutError("unauthenticated", "no active session for this token");
        if (credential.claimedUserId !== undefined && !constantTimeEqual(credential.claimedUserId, session.userId)) {
          throw new LogoutError("unauthenticated", "the user id does not match the session");
        }
        return { kind: "session", auth: { session, credential } };
      }
      case "api-key": {
        const users = rt.users;
        if (users?.findApiKey === undefined) throw new LogoutError("api-key-invalid", "API keys are not enabled");
        const answer: unknown = await rt.calls.run("users.findApiKey", () => users.findApiKey?.(credential.key) ?? Promise.resolve(undefined));
        const record = isApiKeyRecord(answer) ? answer : undefined;
        // Hash and compare even when the key is unknown, so the answer takes the same time either way.
        const matches = verifySecret(credential.secret, record?.secretHash ?? "");
        if (record === undefined || !matches) throw new LogoutError("api-key-invalid", "unknown API key or wrong secret");
        return { kind: "api-key", apiKey: { userId: record.userId, apiKeyId: record.id } };
      }
      case "resolved": {
        const principal = await rt.calls.run(`resolve ${credential.source}`, () => credential.resolve(rt.store));
        if (principal === undefined) throw new LogoutError("unauthenticated", "invalid or ended token");
        return { kind: "session", auth: { session: principal.session, credential, principal } };
      }
    }
  }
  return undefined;
}

function isApiKeyRecord(value: unknown): value is { id: string; userId: string; secretHash: string } {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.id === "string" && typeof r.userId === "string" && r.userId !== "" && typeof r.secretHash === "string";
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
  const user: unknown = await rt.calls.run("users.findUser", () => users.findUser(userId));
  return typeof user === "object" && user !== null ? (user as UserRecord) : undefined;
}

/**
 * The shape's own gate before authentication (SOAJS's tenant key), under the store deadline; `undefined` for a
 * shape without one, so a route of such a shape awaits nothing for it (`await` of any value costs a turn).
 */
export function precheck(req: Request, rt: Runtime): Promise<void> | undefined {
  const gate = rt.shape.precheck;
  if (gate === undefined) return undefined;
  return gatePassed(req, rt, gate);
}

async function gatePassed(req: Request, rt: Runtime, gate: NonNullable<Runtime["shape"]["precheck"]>): Promise<void> {
  const refusal = await rt.calls.run(`${rt.shape.name} precheck`, () => gate(req, rt.users));
  if (refusal !== undefined) throw refusal;
}

/** The caller with its user loaded: the same object when it already carries that user, else a copy that does. */
export function withUser(auth: Authentication, user: UserRecord): Authentication {
  return auth.user === user ? auth : withProperties(auth, { user });
}
