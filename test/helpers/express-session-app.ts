import { randomUUID } from "node:crypto";
import { RedisStore } from "connect-redis";
import connectPgSimple from "connect-pg-simple";
import type { Request, RequestHandler } from "express";
import session, { MemoryStore, type SessionOptions, type Store } from "express-session";
import { generate } from "otplib";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import pg from "pg";
import {
  bodySessionId,
  createLogoutHandler,
  expressSession,
  getAuthentication,
  listSessions,
  requirePermission,
  requireSession,
  requireTotp,
  sessionStoreUnavailable,
  shapes,
  trackSessions,
  type CompleteSessionStore,
  type TrackSessionsOptions,
  type UserDirectory,
} from "../../src/index.js";
import type { ExpressFactory } from "./express.js";
import { connectRedisV5, scanKeys, testPrefix, type RedisV5Client } from "./redis.js";
import { needService, portOpen } from "./services.js";

export const SESSION_SECRETS = ["current-session-secret-0123456789abcdef", "previous-session-secret-0123456789abcdef"];
export const ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/** The people of the test app. Passport serializes the numeric id; express-logout sees it as a string. */
export const people = [
  { id: 1, username: "alice", password: "alice-password", permissions: [] as string[], totp: undefined as string | undefined },
  { id: 2, username: "bob", password: "bob-password", permissions: [], totp: undefined },
  { id: 3, username: "admin", password: "admin-password", permissions: ["logout-device-management"], totp: ADMIN_TOTP_SECRET },
];
export const userIds = people.map((p) => String(p.id));

export const users: UserDirectory = {
  findUser: (id) => {
    const person = people.find((p) => String(p.id) === id);
    return Promise.resolve(person === undefined ? undefined : { id: String(person.id), username: person.username });
  },
  hasPermission: (user, permission) => Promise.resolve(people.find((p) => String(p.id) === user.id)?.permissions.includes(permission) ?? false),
  totpSecret: (user) => Promise.resolve(people.find((p) => String(p.id) === user.id)?.totp),
};

export function adminTotp(): Promise<string> {
  return generate({ secret: ADMIN_TOTP_SECRET });
}

/** One of the app's own express-session stores, with a raw view of what it holds (tracking field included). */
export interface InnerStoreHandle {
  readonly store: Store;
  entries(): Promise<Record<string, Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface InnerStoreKind {
  readonly name: string;
  create(): Promise<InnerStoreHandle>;
}

const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));
const postgres = await needService("PostgreSQL on 127.0.0.1:5432", () => portOpen(5432));
const POSTGRES_URL = process.env.POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export const memoryInner: InnerStoreKind = {
  name: "MemoryStore",
  create() {
    const store = new MemoryStore();
    return Promise.resolve({
      store,
      entries: () =>
        new Promise((resolve, reject) => {
          store.all((err, all) => {
            if (err) reject(err as Error);
            else resolve(JSON.parse(JSON.stringify(all ?? {})) as Record<string, Record<string, unknown>>);
          });
        }),
      close: () => Promise.resolve(),
    });
  },
};

const redisInner: InnerStoreKind = {
  name: "connect-redis",
  async create() {
    const client: RedisV5Client = await connectRedisV5("redis://127.0.0.1:6379");
    const prefix = testPrefix("connect-redis");
    const store = new RedisStore({ client, prefix });
    return {
      store,
      async entries() {
        const out: Record<string, Record<string, unknown>> = {};
        for (const key of await scanKeys(client, prefix)) {
          const raw = await client.get(key);
          if (raw !== null) out[key.slice(prefix.length)] = JSON.parse(raw) as Record<string, unknown>;
        }
        return out;
      },
      async close() {
        for (const key of await scanKeys(client, prefix)) await client.del(key);
        await client.close();
      },
    };
  },
};

const postgresInner: InnerStoreKind = {
  name: "connect-pg-simple",
  async create() {
    // One schema per store, dropped on close: runs sharing the server never see each other's rows.
    const schema = `express_logout_cps_${randomUUID().replaceAll("-", "")}`;
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    const PgStore = connectPgSimple(session);
    const store = new PgStore({ pool, schemaName: schema, createTableIfMissing: true, pruneSessionInterval: false });
    return {
      store,
      async entries() {
        const { rows } = await pool.query<{ sid: string; sess: Record<string, unknown> }>(`SELECT sid, sess FROM "${schema}"."session" WHERE expire > now()`);
        return Object.fromEntries(rows.map((r) => [r.sid, r.sess]));
      },
      async close() {
        store.close();
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await pool.end();
      },
    };
  },
};

/** Every inner store the suites run on: MemoryStore always, connect-redis and connect-pg-simple when reachable. */
export const innerStoreKinds: InnerStoreKind[] = [memoryInner, ...(redis ? [redisInner] : []), ...(postgres ? [postgresInner] : [])];

export interface PassportAppOptions {
  readonly express: ExpressFactory;
  readonly inner: Store;
  readonly store: CompleteSessionStore;
  readonly session?: Partial<SessionOptions>;
  readonly track?: Partial<TrackSessionsOptions>;
  /** Awaited by `POST /slow` and `GET /slow` before they answer: a request still running while the test acts. */
  readonly hold?: () => Promise<void>;
  /** Not tracked: the app as it was before `trackSessions` was added. */
  readonly untracked?: boolean;
}

/** A passport-local app on express-session, with every express-logout route on its sessions. */
export function passportApp(options: PassportAppOptions) {
  const { express, store } = options;
  const tracked = options.untracked === true ? options.inner : trackSessions(options.inner, { store, touchEveryMs: 3_600_000, ...options.track });
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json());
  app.use(
    session({ store: tracked, secret: SESSION_SECRETS, resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000, httpOnly: true, sameSite: "lax" }, ...options.session }),
  );
  const auth = new passport.Passport();
  auth.use(
    new LocalStrategy((username, password, done) => {
      const person = people.find((p) => p.username === username && p.password === password);
      done(null, person ?? false);
    }),
  );
  auth.serializeUser((user, done) => {
    done(null, (user as { id: number }).id);
  });
  auth.deserializeUser((id: number, done) => {
    done(null, people.find((p) => p.id === id) ?? false);
  });
  app.use(auth.session());
  app.post("/login", auth.authenticate("local"), (req, res) => {
    res.json({ userId: (req.user as { id: number }).id });
  });
  app.post("/passport-logout", (req, res, next) => {
    req.logout((err) => {
      if (err) next(err);
      else res.json({ ok: true });
    });
  });
  // The host's own protected page, guarded by passport alone.
  app.get("/profile", (req, res) => {
    if (req.user === undefined) res.status(401).json({ error: "not logged in" });
    else res.json({ username: (req.user as { username: string }).username });
  });
  const hold = options.hold ?? (() => Promise.resolve());
  const slow: RequestHandler = (req, res, next) => {
    hold().then(() => {
      if (req.method === "POST") (req.session as unknown as { visits?: number }).visits = ((req.session as unknown as { visits?: number }).visits ?? 0) + 1;
      res.json({ ok: true });
    }, next);
  };
  app.post("/slow", slow);
  app.get("/slow", slow);

  const credentials = [expressSession()];
  const common = { store, users, credentials };
  app.get("/me", requireSession(common), (req: Request, res) => {
    const caller = getAuthentication(req);
    res.json({ userId: caller?.session.userId, sessionId: caller?.session.id });
  });
  app.get("/sessions", listSessions({ ...common, shape: shapes.rocketChat }));
  app.post("/logout", createLogoutHandler(common));
  app.post("/logout/others", createLogoutHandler({ ...common, target: "others" }));
  app.post("/logout/all", createLogoutHandler({ ...common, target: "all" }));
  const rc = { ...common, shape: shapes.rocketChat };
  const sessionId = bodySessionId("sessionId");
  app.post(
    "/api/v1/sessions/logout",
    requirePermission("logout-device-management", { ...rc, validate: sessionId }),
    requireTotp(rc),
    createLogoutHandler({ ...rc, target: sessionId }),
  );
  app.use(sessionStoreUnavailable());
  return { app, tracked };
}

/**
 * Everything both stores hold, for "nothing changed" checks: the app's sessions (without `cookie`, whose expiry
 * every request that passes moves) and every record of the known users.
 */
export async function snapshot(inner: InnerStoreHandle, store: CompleteSessionStore): Promise<string> {
  const entries = await inner.entries();
  const sessions = Object.fromEntries(
    Object.entries(entries)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([sid, data]) => [sid, { ...data, cookie: undefined }]),
  );
  const records = await Promise.all(userIds.map((id) => store.listSessions(id)));
  return JSON.stringify({ sessions, records: records.flat().map((r) => ({ id: r.id, userId: r.userId, tokenHash: r.tokenHash, createdAt: r.createdAt, expiresAt: r.expiresAt })) });
}

/** A gate a slow request waits on until the test opens it. */
export function gate(): { hold: () => Promise<void>; entered: Promise<void>; open: () => void } {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
  return {
    hold: () => {
      entered();
      return opened;
    },
    entered: enteredPromise,
    open,
  };
}
