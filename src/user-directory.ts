import type { UserDirectory, UserRecord } from "./types.js";

/**
 * Types a user directory defined on its own, the way passing it inline to a factory does: `U` is what
 * `findUser` answers, and `hasPermission` and `totpSecret` receive that type without annotations. It returns
 * the directory unchanged (no copy, no wrapping), so it costs nothing at runtime.
 *
 * @example
 * ```ts
 * const users = userDirectory({
 *   findUser: (id: string) => db.users.get(id),
 *   hasPermission: (user, permission) => user.roles.includes(permission),
 * });
 * ```
 */
export function userDirectory<U extends UserRecord>(directory: UserDirectory<U>): UserDirectory<U> {
  return directory;
}
