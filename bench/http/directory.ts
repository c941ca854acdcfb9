import type { ApiKeyRecord, TenantRecord, UserDirectory, UserRecord } from "#bench/library";

/**
 * The host's user directory for the benchmark: plain maps, so its cost is the lower bound of any real
 * directory and the numbers measure the library. Unlike the example app's `DemoDirectory` it keeps no
 * password hash: logging in is not part of what is timed, and scrypt for thousands of users would take
 * minutes.
 */
export class BenchDirectory implements UserDirectory {
  static readonly tenantKey = "bench-tenant-key";
  static readonly tenant: TenantRecord = { id: "5551aca9e179c39b760f7a1a", code: "DBTN" };

  readonly #users = new Map<string, { record: UserRecord; permissions: ReadonlySet<string>; totpSecret: string | undefined }>();
  readonly #created = Date.parse("2024-01-15T09:30:00Z");

  /** Adds (or replaces) a user shaped like the example app's. */
  add(id: string, options: { permissions?: readonly string[]; totpSecret?: string } = {}): UserRecord {
    const record: UserRecord = {
      id,
      username: id,
      email: `${id}@example.com`,
      firstName: "Bench",
      lastName: "User",
      groups: ["users"],
      createdAt: this.#created,
      tenant: BenchDirectory.tenant,
      status: "active",
      locked: false,
    };
    this.#users.set(id, { record, permissions: new Set(options.permissions ?? []), totpSecret: options.totpSecret });
    return record;
  }

  /**
   * A user, synchronously: for the hand-written floors (`Pipeline.floor`), whose directory read must cost no
   * more than the least a real one could.
   */
  userNow(userId: string): { readonly record: UserRecord; readonly permissions: ReadonlySet<string>; readonly totpSecret: string | undefined } | undefined {
    return this.#users.get(userId);
  }

  get size(): number {
    return this.#users.size;
  }

  findUser(userId: string): Promise<UserRecord | undefined> {
    return Promise.resolve(this.#users.get(userId)?.record);
  }

  hasPermission(user: UserRecord, permission: string): Promise<boolean> {
    return Promise.resolve(this.#users.get(user.id)?.permissions.has(permission) ?? false);
  }

  totpSecret(user: UserRecord): Promise<string | undefined> {
    return Promise.resolve(this.#users.get(user.id)?.totpSecret);
  }

  findApiKey(): Promise<ApiKeyRecord | undefined> {
    return Promise.resolve(undefined);
  }

  resolveTenantKey(key: string): Promise<TenantRecord | undefined> {
    return Promise.resolve(key === BenchDirectory.tenantKey ? BenchDirectory.tenant : undefined);
  }
}
