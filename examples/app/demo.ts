import { scryptSync, timingSafeEqual, randomBytes } from "node:crypto";
import { hashSecret, type ApiKeyRecord, type TenantRecord, type UserDirectory, type UserRecord } from "../../src/index.js";

/** The demo data of `npm start`, each value overridable by an environment variable (see the README). */
export interface DemoConfig {
  readonly alicePassword: string;
  readonly aliceEmail: string;
  readonly adminPassword: string;
  readonly adminTotpSecret: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** The admin API key of the Kratos admin routes (`Authorization: Bearer <key>`); only its hash is kept. */
  readonly adminApiKey: string;
  readonly tenantKey: string;
  readonly tenant: TenantRecord;
}

export function demoConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  return {
    alicePassword: env.DEMO_ALICE_PASSWORD ?? "alice-password",
    aliceEmail: env.DEMO_ALICE_EMAIL ?? "alice@example.com",
    adminPassword: env.DEMO_ADMIN_PASSWORD ?? "admin-password",
    adminTotpSecret: env.DEMO_ADMIN_TOTP_SECRET ?? "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    apiKey: env.DEMO_API_KEY ?? "demo-key",
    apiSecret: env.DEMO_API_SECRET ?? "demo-secret",
    adminApiKey: env.DEMO_ADMIN_API_KEY ?? "demo-admin-api-key",
    tenantKey: env.DEMO_TENANT_KEY ?? "demo-tenant-key",
    tenant: { id: env.DEMO_TENANT_ID ?? "5551aca9e179c39b760f7a1a", code: env.DEMO_TENANT_CODE ?? "DBTN" },
  };
}

interface DemoUser {
  readonly record: UserRecord;
  readonly passwordSalt: Buffer;
  readonly passwordHash: Buffer;
  readonly permissions: ReadonlySet<string>;
  readonly totpSecret: string | undefined;
}

/** An in-memory user directory: what a host would back with its own database. */
export class DemoDirectory implements UserDirectory {
  readonly #users = new Map<string, DemoUser>();
  readonly #byName = new Map<string, string>();
  readonly #apiKeys = new Map<string, ApiKeyRecord>();
  readonly #tenants = new Map<string, TenantRecord>();

  constructor(readonly config: DemoConfig) {
    const created = Date.parse("2024-01-15T09:30:00Z");
    this.#add(
      { id: "alice", username: "alice", email: config.aliceEmail, firstName: "Alice", lastName: "Liddell", groups: ["users"], createdAt: created, tenant: config.tenant, status: "active", locked: false },
      config.alicePassword,
      [],
      undefined,
    );
    this.#add(
      { id: "admin", username: "admin", email: "admin@example.com", firstName: "Ada", lastName: "Admin", groups: ["administrators"], createdAt: created, tenant: config.tenant, status: "active", locked: true },
      config.adminPassword,
      // Rocket.Chat gives its admin role all three: see every device, end any session, log out any user.
      ["view-device-management", "logout-device-management", "logout-other-user"],
      config.adminTotpSecret,
    );
    // Only the hash of the API secret is kept, as the library requires of every bearer secret.
    this.#apiKeys.set(config.apiKey, { id: `apikey-${config.apiKey}`, userId: "alice", secretHash: hashSecret(config.apiSecret) });
    this.#tenants.set(config.tenantKey, config.tenant);
  }

  #add(record: UserRecord, password: string, permissions: readonly string[], totpSecret: string | undefined): void {
    const passwordSalt = randomBytes(16);
    this.#users.set(record.id, {
      record,
      passwordSalt,
      passwordHash: scryptSync(password, passwordSalt, 32),
      permissions: new Set(permissions),
      totpSecret,
    });
    this.#byName.set(record.username, record.id);
  }

  /** Adds a user at run time (tests and benchmarks make many). */
  addUser(record: UserRecord, password: string, permissions: readonly string[] = [], totpSecret?: string): void {
    this.#add(record, password, permissions, totpSecret);
  }

  /**
   * Replaces a user's password when `current` is right (compared in constant time); answers whether it did. The
   * new password is kept as a salted scrypt hash, like every password here.
   */
  changePassword(userId: string, current: unknown, next: unknown): boolean {
    const user = this.#users.get(userId);
    if (user === undefined || typeof next !== "string" || next.length < 8 || next.length > 1024) return false;
    if (this.checkPassword(user.record.username, current)?.id !== userId) return false;
    this.#add(user.record, next, [...user.permissions], user.totpSecret);
    return true;
  }

  /** The user whose username and password match, or `undefined`; the password is compared in constant time. */
  checkPassword(username: unknown, password: unknown): UserRecord | undefined {
    if (typeof username !== "string" || typeof password !== "string" || password.length > 1024) return undefined;
    const user = this.#users.get(this.#byName.get(username) ?? "");
    const salt = user?.passwordSalt ?? Buffer.alloc(16);
    const expected = user?.passwordHash ?? Buffer.alloc(32);
    const ok = timingSafeEqual(scryptSync(password, salt, 32), expected);
    return ok && user !== undefined ? user.record : undefined;
  }

  /** The user with this username, or `undefined` (the admin page's search). */
  findByUsername(username: string): UserRecord | undefined {
    return this.#users.get(this.#byName.get(username) ?? "")?.record;
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

  findApiKey(key: string): Promise<ApiKeyRecord | undefined> {
    return Promise.resolve(this.#apiKeys.get(key));
  }

  resolveTenantKey(key: string): Promise<TenantRecord | undefined> {
    return Promise.resolve(this.#tenants.get(key));
  }
}
