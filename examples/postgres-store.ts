/**
 * A `SessionStore` on PostgreSQL, as a worked example of writing your own store (docs/custom-store.md walks
 * through it). It passes the same conformance kit as the built-in stores:
 *
 * ```ts
 * import { describeSessionStoreConformance } from "express-logout/testing";
 * describeSessionStoreConformance("PostgresSessionStore", { createStore: () => store, sharedBackend: true });
 * ```
 *
 * Choices worth copying to any SQL database:
 * - Expiry is a column (`expires_at`, epoch ms from the app's clock, like `SessionRecord.expiresAt`) checked in
 *   every query, so an expired row is never returned even if nothing ever deletes it. `cleanup()` deletes
 *   expired rows; run it on a timer if you like, correctness never depends on it.
 * - Every method is one statement, so each is atomic on its own without an explicit transaction: the claim is
 *   `INSERT ... ON CONFLICT DO UPDATE ... WHERE <expired>`, the counter an upsert, revoke-all one `DELETE`.
 * - Uniqueness of the session id and token hash is the database's (primary key, unique index).
 */
import type { Pool } from "pg";
import type { EpochMs, JwtRevocation, RevokeUserSessionsOptions, SessionRecord, SessionStore } from "express-logout";

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

export class PostgresSessionStore implements SessionStore {
  readonly #pool: Pool;
  /** `"schema".` ready to put before a table name. */
  readonly #s: string;

  constructor(pool: Pool, options: Readonly<PostgresSessionStoreOptions> = {}) {
    const schema = options.schema ?? "public";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new TypeError("PostgresSessionStore `schema` must be letters, digits and `_`.");
    this.#pool = pool;
    this.#s = `"${schema}".`;
  }

  /** Creates the schema's tables and indexes if they do not exist yet. Run it once at start-up (or as a migration). */
  async init(): Promise<void> {
    const s = this.#s;
    await this.#pool.query(`
      CREATE TABLE IF NOT EXISTS ${s}sessions (
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
      CREATE INDEX IF NOT EXISTS sessions_user_id ON ${s}sessions (user_id, created_at);
      CREATE INDEX IF NOT EXISTS sessions_expires_at ON ${s}sessions (expires_at);
      CREATE TABLE IF NOT EXISTS ${s}markers (key text PRIMARY KEY, expires_at bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}counters (key text PRIMARY KEY, count integer NOT NULL, expires_at bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}denied_jwts (user_id text NOT NULL, jti text NOT NULL, expires_at bigint NOT NULL, PRIMARY KEY (user_id, jti));
      CREATE TABLE IF NOT EXISTS ${s}jwt_cutoffs (user_id text PRIMARY KEY, issued_before bigint NOT NULL, keep_until bigint NOT NULL);
    `);
  }

  /** Deletes every expired row. Optional housekeeping: queries already ignore expired rows. */
  async cleanup(now: EpochMs = Date.now()): Promise<void> {
    const s = this.#s;
    await this.#pool.query(`
      WITH a AS (DELETE FROM ${s}sessions WHERE expires_at <= $1),
           b AS (DELETE FROM ${s}markers WHERE expires_at <= $1),
           c AS (DELETE FROM ${s}counters WHERE expires_at <= $1),
           d AS (DELETE FROM ${s}denied_jwts WHERE expires_at <= $1)
      DELETE FROM ${s}jwt_cutoffs WHERE keep_until <= $1`, [now]);
  }

  async createSession(session: SessionRecord): Promise<void> {
    const now = Date.now();
    // Like the built-in stores: a session that has already expired is never stored.
    if (session.expiresAt <= now) return;
    // An expired row may still hold this id or token hash (nobody ran cleanup): it must not block the insert.
    await this.#pool.query(`DELETE FROM ${this.#s}sessions WHERE (id = $1 OR token_hash = $2) AND expires_at <= $3`, [session.id, session.tokenHash, now]);
    // A live duplicate id or token hash violates a unique constraint, and the insert rejects.
    await this.#pool.query(
      `INSERT INTO ${this.#s}sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [session.id, session.userId, session.tokenHash, session.createdAt, session.expiresAt, session.lastSeenAt ?? null,
        session.authenticationSource ?? null, session.apiKeyId ?? null, session.tenant ?? null, session.ip ?? null, session.userAgent ?? null],
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#pool.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM ${this.#s}sessions WHERE id = $1 AND expires_at > $2`, [id, Date.now()]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#pool.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM ${this.#s}sessions WHERE token_hash = $1 AND expires_at > $2`, [tokenHash, Date.now()]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    const { rows } = await this.#pool.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM ${this.#s}sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at, id`, [userId, Date.now()]);
    return rows.map(toRecord);
  }

  async touchSession(id: string, at: EpochMs): Promise<void> {
    // An UPDATE never inserts: a touch that loses the race with a revoke cannot bring the session back.
    await this.#pool.query(`UPDATE ${this.#s}sessions SET last_seen_at = $2 WHERE id = $1 AND expires_at > $3`, [id, at, Date.now()]);
  }

  async revokeSession(id: string): Promise<boolean> {
    // DELETE ... RETURNING answers "was it live" from the row it removed: two concurrent revokes cannot both see it.
    const { rows } = await this.#pool.query<{ expires_at: string }>(`DELETE FROM ${this.#s}sessions WHERE id = $1 RETURNING expires_at`, [id]);
    return rows[0] !== undefined && Number(rows[0].expires_at) > Date.now();
  }

  async revokeUserSessions(userId: string, options: RevokeUserSessionsOptions = {}): Promise<number> {
    const result = await this.#pool.query(
      `DELETE FROM ${this.#s}sessions
        WHERE user_id = $1 AND expires_at > $2
          AND ($3::text IS NULL OR id <> $3)
          AND ($4::text IS NULL OR api_key_id = $4)`,
      [userId, Date.now(), options.exceptSessionId ?? null, options.apiKeyId ?? null],
    );
    return result.rowCount ?? 0;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    // Inserts the marker, or takes over an expired one; a live marker makes the statement return no row.
    const { rows } = await this.#pool.query(
      `INSERT INTO ${this.#s}markers (key, expires_at) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE ${this.#s}markers.expires_at <= $3
       RETURNING 1`,
      [key, now + Math.ceil(ttlMs), now],
    );
    return rows.length === 1;
  }

  async incrementCounter(key: string, windowMs: number): Promise<number> {
    const now = Date.now();
    const c = `${this.#s}counters`;
    const { rows } = await this.#pool.query<{ count: number }>(
      `INSERT INTO ${c} (key, count, expires_at) VALUES ($1, 1, $2)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN ${c}.expires_at <= $3 THEN 1 ELSE ${c}.count + 1 END,
         expires_at = CASE WHEN ${c}.expires_at <= $3 THEN EXCLUDED.expires_at ELSE ${c}.expires_at END
       RETURNING count`,
      [key, now + Math.ceil(windowMs), now],
    );
    return rows[0]?.count ?? 0;
  }

  async readCounter(key: string): Promise<number> {
    const { rows } = await this.#pool.query<{ count: number }>(`SELECT count FROM ${this.#s}counters WHERE key = $1 AND expires_at > $2`, [key, Date.now()]);
    return rows[0]?.count ?? 0;
  }

  async denyJwt(userId: string, jti: string, expiresAt: EpochMs): Promise<void> {
    if (expiresAt <= Date.now()) return;
    await this.#pool.query(
      `INSERT INTO ${this.#s}denied_jwts (user_id, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [userId, jti, expiresAt],
    );
  }

  async revokeJwtsIssuedBefore(userId: string, issuedBefore: EpochMs, keepUntil: EpochMs): Promise<void> {
    const now = Date.now();
    const t = `${this.#s}jwt_cutoffs`;
    // Keeps the later cut-off and the later keepUntil, so a late, older revoke never un-revokes anything. An
    // expired row counts as absent.
    await this.#pool.query(
      `INSERT INTO ${t} (user_id, issued_before, keep_until) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET
         issued_before = CASE WHEN ${t}.keep_until <= $4 THEN EXCLUDED.issued_before ELSE GREATEST(${t}.issued_before, EXCLUDED.issued_before) END,
         keep_until = GREATEST(${t}.keep_until, EXCLUDED.keep_until)`,
      [userId, issuedBefore, keepUntil, now],
    );
  }

  async jwtRevocation(userId: string, jti: string): Promise<JwtRevocation> {
    const s = this.#s;
    const { rows } = await this.#pool.query<{ denied: boolean; issued_before: string | null }>(
      `SELECT EXISTS (SELECT 1 FROM ${s}denied_jwts WHERE user_id = $1 AND jti = $2 AND expires_at > $3) AS denied,
              (SELECT issued_before FROM ${s}jwt_cutoffs WHERE user_id = $1 AND keep_until > $3) AS issued_before`,
      [userId, jti, Date.now()],
    );
    const row = rows[0];
    return { denied: row?.denied === true, issuedBefore: row?.issued_before == null ? undefined : Number(row.issued_before) };
  }
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
