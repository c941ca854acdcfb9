import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresCoreSessionStore, PostgresSessionStore } from "../examples/postgres-store.js";
import { describeSessionStoreConformance, sampleSession } from "../src/testing/index.js";
import { needService, portOpen } from "./helpers/services.js";

const POSTGRES_URL = process.env.POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const postgres = await needService("PostgreSQL on 127.0.0.1:5432", () => portOpen(5432));

describe.skipIf(!postgres)("PostgresSessionStore (examples/postgres-store.ts) on PostgreSQL", () => {
  // One schema per run, dropped afterwards: runs never see each other's rows.
  const schema = `express_logout_test_${randomUUID().replaceAll("-", "")}`;
  let pool: pg.Pool;
  let store: PostgresSessionStore;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 8 });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    store = new PostgresSessionStore(pool, { schema });
    await store.init();
    // init() is idempotent: running it again at the next start-up changes nothing.
    await store.init();
  });

  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  describeSessionStoreConformance("PostgresSessionStore", {
    createStore: () => new PostgresSessionStore(pool, { schema }),
    sharedBackend: true,
  });

  // The core alone, in its one table: what a store needs for every factory but requireTotp and JWTs.
  describeSessionStoreConformance("PostgresCoreSessionStore", {
    createStore: () => new PostgresCoreSessionStore(pool, { schema }),
    sharedBackend: true,
    capabilities: ["touch"],
  });

  it("deletes expired rows with cleanup() and keeps live ones", async () => {
    const user = `cleanup-${randomUUID()}`;
    const live = sampleSession(user);
    const dying = sampleSession(user, { expiresAt: Date.now() + 20 });
    await store.createSession(live);
    await store.createSession(dying);
    await store.claim(`m-${user}`, 20);
    await new Promise((r) => setTimeout(r, 50));
    await store.cleanup();
    const { rows } = await pool.query<{ id: string }>(`SELECT id FROM "${schema}".sessions WHERE user_id = $1`, [user]);
    expect(rows.map((r) => r.id)).toEqual([live.id]);
    const markers = await pool.query(`SELECT 1 FROM "${schema}".markers WHERE key = $1`, [`m-${user}`]);
    expect(markers.rowCount).toBe(0);
  });

  it("lets a new session reuse the id of an expired row nobody cleaned up", async () => {
    const user = `reuse-${randomUUID()}`;
    const old = sampleSession(user, { expiresAt: Date.now() + 20 });
    await store.createSession(old);
    await new Promise((r) => setTimeout(r, 50));
    const fresh = sampleSession(user, { id: old.id, tokenHash: old.tokenHash });
    await store.createSession(fresh);
    expect(await store.getSession(old.id)).toEqual(fresh);
  });

  it("refuses a schema name that is not a plain identifier", () => {
    expect(() => new PostgresSessionStore(pool, { schema: 'x"; DROP TABLE y; --' })).toThrow(TypeError);
  });
});
