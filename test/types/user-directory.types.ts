/**
 * Type tests: a host's plain object literal is a user directory every factory takes under `strict`, typed from
 * its own `findUser`, sync or async. Compiled by `npm run typecheck` and by `test/readme-snippets.test.ts` (which
 * fails on any diagnostic here); nothing in this file runs. Each `@ts-expect-error` is a mistake the types must
 * refuse: if one stops being an error, the directive itself is.
 */
import type { Request, RequestHandler } from "express";
import { expectTypeOf } from "vitest";
import {
  MemorySessionStore,
  adminEndSession,
  adminEndUserSessions,
  adminExtendSession,
  adminGetSession,
  adminListSessions,
  adminListUserSessions,
  bodySessionId,
  browserLogoutFlow,
  createLogoutHandler,
  getAuthentication,
  listSessions,
  requirePermission,
  requireRecentAuth,
  requireSession,
  requireTotp,
  rpInitiatedLogout,
  sessionInfo,
  shapes,
  userDirectory,
  watchSessions,
  whoAmI,
  type Authentication,
  type UserDirectory,
  type UserRecord,
} from "express-logout";

/** A host's own user type: the library's fields and its own. */
interface AppUser {
  readonly id: string;
  readonly username: string;
  readonly roles: readonly string[];
  readonly totp?: string;
}

declare const req: Request;
const store = new MemorySessionStore();
const people = new Map<string, AppUser>();
const db = {
  find: (id: string): Promise<AppUser | undefined> => Promise.resolve(people.get(id)),
  can: (user: AppUser, permission: string): Promise<boolean> => Promise.resolve(user.roles.includes(permission)),
};

// The README's quick start: a plain object, defined on its own, with an annotated `id`, to every factory.
const quickStartUsers = {
  findUser: (id: string) => Promise.resolve(id === "u1" ? { id, username: "alice", email: "alice@example.com" } : undefined),
};
const gate = { permission: "sessions:end-any" } as const;
const keyGate = { apiKeyHashes: ["0".repeat(64)] } as const;
const everyFactory: RequestHandler[] = [
  createLogoutHandler({ store, users: quickStartUsers }),
  createLogoutHandler({ store, users: quickStartUsers, target: "all" }),
  requireSession({ store, users: quickStartUsers }),
  whoAmI({ store, users: quickStartUsers }),
  listSessions({ store, users: quickStartUsers }),
  sessionInfo({ store, users: quickStartUsers, sessionId: bodySessionId() }),
  requireRecentAuth({ store, users: quickStartUsers, maxAgeMs: 60_000 }),
  adminListSessions({ store, users: quickStartUsers, gate: keyGate }),
  adminListUserSessions({ store, users: quickStartUsers, gate: keyGate }),
  adminGetSession({ store, users: quickStartUsers, gate: keyGate }),
  adminEndSession({ store, users: quickStartUsers, gate: keyGate }),
  adminEndUserSessions({ store, users: quickStartUsers, gate: keyGate }),
  adminExtendSession({ store, users: quickStartUsers, gate: keyGate }),
  browserLogoutFlow({ store, users: quickStartUsers, publicUrl: "https://auth.example", secrets: ["s".repeat(32)] }).logout,
  rpInitiatedLogout({ store, users: quickStartUsers, issuer: "https://op.example", clientId: "c", postLogoutRedirectUris: ["https://app.example/"], secrets: ["s".repeat(32)], idTokenHint: () => undefined }).prepare,
];
expectTypeOf(everyFactory).toEqualTypeOf<RequestHandler[]>();
expectTypeOf(watchSessions({ store, users: quickStartUsers })).toHaveProperty("close");

// Inline, the object literal is typed from its findUser: `user` is the host's type, extra fields and all.
requirePermission("sessions:end-any", {
  store,
  users: {
    findUser: (id) => db.find(id),
    hasPermission: (user, permission) => {
      expectTypeOf(user).toEqualTypeOf<AppUser>();
      expectTypeOf(permission).toEqualTypeOf<string>();
      return user.roles.includes(permission); // sync: a boolean at once
    },
  },
});
requireTotp({
  store,
  users: {
    findUser: (id: string) => people.get(id), // sync: the user at once
    totpSecret: async (user) => {
      expectTypeOf(user).toEqualTypeOf<AppUser>();
      return Promise.resolve(user.totp);
    },
  },
});
adminEndSession({ store, users: { findUser: db.find, hasPermission: (user) => user.roles.length > 0 }, gate });

// On its own, userDirectory gives the same inference, and the factories keep it.
const users = userDirectory({
  findUser: (id) => db.find(id),
  hasPermission: (user, permission) => db.can(user, permission),
  totpSecret: (user) => user.totp,
  findApiKey: () => undefined,
  resolveTenantKey: (key) => Promise.resolve(key === "t" ? { id: "t1", code: "T" } : undefined),
});
expectTypeOf(users).toEqualTypeOf<UserDirectory<AppUser>>();
const rc = { store, users, shape: shapes.rocketChat };
const sessionId = bodySessionId("sessionId");
expectTypeOf([requirePermission("logout-device-management", { ...rc, validate: sessionId }), requireTotp(rc), createLogoutHandler({ ...rc, target: sessionId })]).toEqualTypeOf<RequestHandler[]>();
// The README's admin snippet spreads the directory and adds callbacks.
const admin = { store, users: { ...users, hasPermission: (user: AppUser) => Promise.resolve(user.roles.includes("admin")) } };
requireTotp(admin);

// getAuthentication: the host's user type from the directory, or named; the library's own by default.
expectTypeOf(getAuthentication(req, users)?.user).toEqualTypeOf<AppUser | undefined>();
expectTypeOf(getAuthentication<AppUser>(req)?.user?.roles).toEqualTypeOf<readonly string[] | undefined>();
expectTypeOf(getAuthentication(req)).toEqualTypeOf<Authentication | undefined>();
expectTypeOf(getAuthentication(req)?.user).toEqualTypeOf<UserRecord | undefined>();

// What the types refuse.
// @ts-expect-error: a directory needs findUser
requireSession({ store, users: { hasPermission: () => true } });
// @ts-expect-error: a user needs an id
requireSession({ store, users: { findUser: (id: string) => ({ username: id }) } });
// @ts-expect-error: a host field may not contradict the library's (times are epoch milliseconds)
requireSession({ store, users: { findUser: (id: string) => ({ id, username: id, createdAt: new Date() }) } });
// @ts-expect-error: hasPermission answers a boolean, not a role name
requirePermission("p", { store, users: { findUser: db.find, hasPermission: (user) => user.roles[0] } });
// @ts-expect-error: a field the host's user type does not have
requirePermission("p", { store, users: { findUser: db.find, hasPermission: (user) => user.isAdmin === true } });
// @ts-expect-error: requirePermission needs a directory
requirePermission("p", { store });
// @ts-expect-error: the user is the host's type, not any other
expectTypeOf(getAuthentication(req, users)?.user).toEqualTypeOf<UserRecord | undefined>();
// A directory written as a plain object on its own has no type for its callbacks' parameters (what
// userDirectory is for): under `strict` that is an implicit any.
// @ts-expect-error: implicit any for `user`
export const loose = { findUser: db.find, hasPermission: (user, permission: string) => db.can(user, permission) };
