/**
 * A session store on PostgreSQL, as a worked example of writing your own (docs/custom-store.md walks through
 * it), in two parts:
 *
 * - `PostgresCoreSessionStore`: the core `SessionStore` in one table, `sessions`. It is all that
 *   `createLogoutHandler`, `requireSession`, `listSessions`, `whoAmI`, every shape and the browser logout flow
 *   need.
 * - `PostgresSessionStore`: the core plus the add-on table `markers`, which holds one-time markers, counters
 *   and JWT revocations as expiring keys, for `requireTotp` (`MarkerStore`) and `jwtBearer`
 *   (`JwtRevocationStore`). Leave it out until you use them.
 *
 * Both pass the conformance kit of their capabilities:
 *
 * ```ts
 * import { describeSessionStoreConformance } from "express-logout/testing";
 * describeSessionStoreConformance("core", { createStore: () => new PostgresCoreSessionStore(pool), sharedBackend: true, capabilities: ["touch"] });
 * describeSessionStoreConformance("complete", { createStore: () => new PostgresSessionStore(pool), sharedBackend: true });
 * ```
 *
 * Choices worth copying to any SQL database:
 * - Expiry is a column (`expires_at`, epoch ms from the app's clock, like `SessionRecord.expiresAt`) checked in
 *   every query, so an expired row is never returned even if nothing ever deletes it. `cleanup()` deletes
 *   expired rows; run it on a timer if you like, correctness never depends on it.
 * - Every method is one statement, so each is atomic on its own without an explicit transaction: the claim is
 *   `INSERT ... ON CONFLICT DO UPDATE ... WHERE <expired>`, the counter an upsert, revoke-all one `DELETE`. The
 *   one exception, `createSession`, first deletes expired rows that still hold its id or token hash (dead to
 *   every reader already), then inserts; the insert alone decides.
 * - Uniqueness of the session id and token hash is the database's (primary key, unique index).
 */
import type { Pool } from "pg";
import type { EpochMs, JwtRevocation, JwtRevocationStore, MarkerStore, RevokeUserSessionsOptions, SessionRecord, SessionStore } from "express-logout";

export interface PostgresSessionStoreOptions {
  /** The schema that holds the tables. Default `"public"`. Letters, digits and `_` only. */
  readonly schema?: string;
}

interface SessionRow {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string | null;
  authentication_source: string | null;
  api_key_id: string | null;
  tenant: string | null;
  ip: string | null;
  user_agent: string | null;
}

const SESSION_COLUMNS = "id, user_id, token_hash, created_at, expires_at, last_seen_at, authentication_source, api_key_id, tenant, ip, user_agent";

/** The core: sessions in one table. */
export class PostgresCoreSessionStore implements SessionStore {
  protected readonly pool: Pool;
  /** `"schema".` ready to put before a table name. */
  protected readonly s: string;

  constructor(pool: Pool, options: Readonly<PostgresSessionStoreOptions> = {}) {
    const schema = options.schema ?? "public";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new TypeError("PostgresSessionStore `schema` must be letters, digits and `_`.");
    this.pool = pool;
    this.s = `"${schema}".`;
  }

  /** Creates the table and its indexes if they do not exist yet. Run it once at start-up (or as a migration). */
  async init(): Promise<void> {
    await this.pool.query(`
      CREATE TABLE IF NOT EXISTS ${this.s}sessions (
        id text PRIMARY KEY,
        user_id text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        last_seen_at bigint,
        authentication_source text,
        api_key_id text,
        tenant text,
        ip text,
        user_agent text
      );
      CREATE INDEX IF NOT EXISTS sessions_user_id ON ${this.s}sessions (user_id, created_at);
      CREATE INDEX IF NOT EXISTS sessions_expires_at ON ${this.s}sessions (expires_at);
    `);
  }

  /** Deletes every expired row. Optional housekeeping: queries already ignore expired rows. */
  async cleanup(now: EpochMs = Date.now()): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.s}sessions WHERE expires_at <= $1`, [now]);
  }

  async createSession(session: SessionRecord): Promise<void> {
    const now = Date.now();
    // Like the built-in stores: a session that has already expired is never stored.
    if (session.expiresAt <= now) return;
    // An expired row may still hold this id or token hash (nobody ran cleanup): it must not block the insert.
    await this.pool.query(`DELETE FROM ${this.s}sessions WHERE (id = $1 OR token_hash = $2) AND expires_at <= $3`, [session.id, session.tokenHash, now]);
    // A live duplicate id or token hash violates a unique constraint, and the insert rejects.
    await this.pool.query(
      `INSERT INTO ${this.s}sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [session.id, session.userId, session.tokenHash, session.createdAt, session.expiresAt, session.lastSeenAt ?? null,
        session.authenticationSource ?? null, session.apiKeyId ?? null, session.tenant ?? null, session.ip ?? null, session.userAgent ?? null],
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.pool.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM ${this.s}sessions WHERE id = $1 AND expires_at > $2`, [id, Date.now()]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.pool.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM ${this.s}sessions WHERE token_hash = $1 AND expires_at > $2`, [tokenHash, Date.now()]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    const { rows } = await this.pool.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM ${this.s}sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at, id`, [userId, Date.now()]);
    return rows.map(toRecord);
  }

  async touchSession(id: string, at: EpochMs): Promise<void> {
    // An UPDATE never inserts: a touch that loses the race with a revoke cannot bring the session back.
    await this.pool.query(`UPDATE ${this.s}sessions SET last_seen_at = $2 WHERE id = $1 AND expires_at > $3`, [id, at, Date.now()]);
  }

  async revokeSession(id: string): Promise<boolean> {
    // DELETE ... RETURNING answers "was it live" from the row it removed: two concurrent revokes cannot both see it.
    const { rows } = await this.pool.query<{ expires_at: string }>(`DELETE FROM ${this.s}sessions WHERE id = $1 RETURNING expires_at`, [id]);
    return rows[0] !== undefined && Number(rows[0].expires_at) > Date.now();
  }

  async revokeUserSessions(userId: string, options: RevokeUserSessionsOptions = {}): Promise<number> {
    const result = await this.pool.query(
      `DELETE FROM ${this.s}sessions
        WHERE user_id = $1 AND expires_at > $2
          AND ($3::text IS NULL OR id <> $3)
          AND ($4::text IS NULL OR api_key_id = $4)`,
      [userId, Date.now(), options.exceptSessionId ?? null, options.apiKeyId ?? null],
    );
    return result.rowCount ?? 0;
  }
}

/**
 * The add-on: markers, counters and JWT revocations as expiring keys in one more table, `markers`
 * (`namespace`, `key`, `value`, `expires_at`). Each capability keeps to its own namespaces, so a marker, a
 * counter and a JWT cut-off with the same key string never meet.
 */
export class PostgresSessionStore extends PostgresCoreSessionStore implements MarkerStore, JwtRevocationStore {
  override async init(): Promise<void> {
    await super.init();
    await this.pool.query(`
      CREATE TABLE IF NOT EXISTS ${this.s}markers (
        namespace text NOT NULL,
        key text NOT NULL,
        value bigint NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (namespace, key)
      );
      CREATE INDEX IF NOT EXISTS markers_expires_at ON ${this.s}markers (expires_at);
    `);
  }

  override async cleanup(now: EpochMs = Date.now()): Promise<void> {
    await super.cleanup(now);
    await this.pool.query(`DELETE FROM ${this.s}markers WHERE expires_at <= $1`, [now]);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    // Inserts the marker, or takes over an expired one; a live marker makes the statement return no row.
    const { rows } = await this.pool.query(
      `INSERT INTO ${this.s}markers (namespace, key, value, expires_at) VALUES ('claim', $1, 1, $2)
       ON CONFLICT (namespace, key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE ${this.s}markers.expires_at <= $3
       RETURNING 1`,
      [key, now + Math.ceil(ttlMs), now],
    );
    return rows.length === 1;
  }

  async isClaimed(key: string): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM ${this.s}markers WHERE namespace = 'claim' AND key = $1 AND expires_at > $2`, [key, Date.now()]);
    return rows.length === 1;
  }

  async incrementCounter(key: string, windowMs: number): Promise<number> {
    const now = Date.now();
    const m = `${this.s}markers`;
    const { rows } = await this.pool.query<{ value: string }>(
      `INSERT INTO ${m} (namespace, key, value, expires_at) VALUES ('counter', $1, 1, $2)
       ON CONFLICT (namespace, key) DO UPDATE SET
         value = CASE WHEN ${m}.expires_at <= $3 THEN 1 ELSE ${m}.value + 1 END,
         expires_at = CASE WHEN ${m}.expires_at <= $3 THEN EXCLUDED.expires_at ELSE ${m}.expires_at END
       RETURNING value`,
      [key, now + Math.ceil(windowMs), now],
    );
    return Number(rows[0]?.value ?? 0);
  }

  async readCounter(key: string): Promise<number> {
    const { rows } = await this.pool.query<{ value: string }>(
      `SELECT value FROM ${this.s}markers WHERE namespace = 'counter' AND key = $1 AND expires_at > $2`, [key, Date.now()]);
    return Number(rows[0]?.value ?? 0);
  }

  async denyJwt(userId: string, jti: string, expiresAt: EpochMs): Promise<void> {
    if (expiresAt <= Date.now()) return;
    await this.pool.query(
      `INSERT INTO ${this.s}markers (namespace, key, value, expires_at) VALUES ('jwt-denied', $1, 1, $2)
       ON CONFLICT (namespace, key) DO UPDATE SET expires_at = GREATEST(${this.s}markers.expires_at, EXCLUDED.expires_at)`,
      [jwtKey(userId, jti), expiresAt],
    );
  }

  async revokeJwtsIssuedBefore(userId: string, issuedBefore: EpochMs, keepUntil: EpochMs): Promise<void> {
    const now = Date.now();
    const m = `${this.s}markers`;
    // Keeps the later cut-off and the later keepUntil, so a late, older revoke never un-revokes anything. An
    // expired row counts as absent.
    await this.pool.query(
      `INSERT INTO ${m} (namespace, key, value, expires_at) VALUES ('jwt-cutoff', $1, $2, $3)
       ON CONFLICT (namespace, key) DO UPDATE SET
         value = CASE WHEN ${m}.expires_at <= $4 THEN EXCLUDED.value ELSE GREATEST(${m}.value, EXCLUDED.value) END,
         expires_at = GREATEST(${m}.expires_at, EXCLUDED.expires_at)`,
      [userId, issuedBefore, keepUntil, now],
    );
  }

  async jwtRevocation(userId: string, jti: string): Promise<JwtRevocation> {
    const m = `${this.s}markers`;
    const { rows } = await this.pool.query<{ denied: boolean; issued_before: string | null }>(
      `SELECT EXISTS (SELECT 1 FROM ${m} WHERE namespace = 'jwt-denied' AND key = $1 AND expires_at > $3) AS denied,
              (SELECT value FROM ${m} WHERE namespace = 'jwt-cutoff' AND key = $2 AND expires_at > $3) AS issued_before`,
      [jwtKey(userId, jti), userId, Date.now()],
    );
    const row = rows[0];
    return { denied: row?.denied === true, issuedBefore: row?.issued_before == null ? undefined : Number(row.issued_before) };
  }
}

/** The deny-list key of a user's token: JSON keeps the pair unambiguous whatever characters either part holds. */
function jwtKey(userId: string, jti: string): string {
  return JSON.stringify([userId, jti]);
}

/** A row as a `SessionRecord`: `bigint` columns come back from `pg` as strings; absent fields are left out. */
function toRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    tokenHash: row.token_hash,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    ...(row.last_seen_at === null ? {} : { lastSeenAt: Number(row.last_seen_at) }),
    ...(row.authentication_source === null ? {} : { authenticationSource: row.authentication_source }),
    ...(row.api_key_id === null ? {} : { apiKeyId: row.api_key_id }),
    ...(row.tenant === null ? {} : { tenant: row.tenant }),
    ...(row.ip === null ? {} : { ip: row.ip }),
    ...(row.user_agent === null ? {} : { userAgent: row.user_agent }),
  };
}
