import type { Express, RequestHandler, Response } from "express";
import type { CompleteSessionStore } from "#bench/library";
import type { BenchDirectory } from "./directory.js";
import type { BenchRedisClient } from "./redis.js";

/**
 * One request as the load generator sends it. Any string may hold `{{0}}`, `{{1}}`, ...: each request fills
 * them from its own row of values (a fresh token, a TOTP code, a session id).
 */
export interface RequestTemplate {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** The values for a run: one row per request, used once (`cycle: false`) or round-robin (`cycle: true`). */
export interface Feed {
  readonly rows: readonly (readonly string[])[];
  readonly cycle: boolean;
}

/** What a route answers when it succeeds, for the checks and for the ceiling route that mimics it. */
export interface SuccessReply {
  readonly status: number;
  /** Sent as JSON by the ceiling route; `undefined` sends an empty body. */
  readonly body?: unknown;
}

/** A store as a scenario opened it, in the server process. */
export interface OpenedStore {
  readonly store: CompleteSessionStore;
  /** Live sessions now (to check that logouts really ended sessions), when the store can tell cheaply. */
  readonly liveSessions?: () => Promise<number>;
  /** Redis commands sent so far (each one round trip), for stores that talk to Redis. */
  readonly commandsSent?: () => number;
  /** The store's own Redis client, for a pipeline whose other Redis user shares it as an app would (connect-redis). */
  readonly redisClient?: BenchRedisClient;
  readonly close: () => Promise<void>;
}

/** What a scenario's server process shares with its parts. */
export interface ServerContext {
  /** Key prefix of this benchmark run in Redis; everything under it is deleted at the end. */
  readonly redisPrefix: string;
  readonly redisUrl: string;
}

/**
 * A store the library runs on. Adding a store (e.g. `RedisSessionStore`) is one entry in `stores` of
 * `registry.ts`: every pipeline then runs on it too.
 */
export interface StoreEntry {
  readonly id: string;
  readonly title: string;
  /** Needs the Redis server of `BENCH_REDIS_URL`; skipped (and said so) when it is not reachable. */
  readonly needsRedis: boolean;
  open(ctx: ServerContext): Promise<OpenedStore>;
}

/** What a pipeline's handlers use, in the server process. */
export interface PipelineEnv {
  readonly store: CompleteSessionStore;
  readonly users: BenchDirectory;
  /** The run's Redis and key prefix, for a pipeline that keeps keys of its own there (express-session's store). */
  readonly ctx?: ServerContext;
  /** The store's Redis client, on the Redis store (`OpenedStore.redisClient`). */
  readonly redisClient?: BenchRedisClient;
}

/**
 * One library route: the middleware chain a host mounts, the requests that exercise it, and the fresh state
 * each request needs. Adding a product's pipeline is one entry in `pipelines` of `registry.ts`; its ceiling
 * (a bare Express route at the same path answering the same body) comes with it.
 */
export interface Pipeline {
  readonly id: string;
  readonly title: string;
  /** `logout` pipelines end a session per request, so every request gets its own fresh one. */
  readonly kind: "guard" | "logout";
  readonly method: "GET" | "POST";
  /** Express route path, e.g. `/v1/auth/:authentication_source/logout`. */
  readonly route: string;
  readonly template: RequestTemplate;
  /** The success every request must get. The ceiling route answers exactly this. */
  readonly success: SuccessReply;
  /** Host middleware mounted before the library's and before the ceiling's handler alike (body parsers). */
  readonly host?: () => RequestHandler[];
  /**
   * What the ceiling mounts instead of the library: host code only. Default: answer \`success\` as JSON. A guard
   * pipeline passes the host's own protected route, which its library chain ends in too.
   */
  readonly ceilingHandler?: RequestHandler;
  /**
   * Another pipeline whose ceiling this one is read against (same route and body), instead of a ceiling of its
   * own: its rows are then measured in the same interleaved rounds as that pipeline's, and its peer's.
   */
  readonly ceilingOf?: string;
  /** The store entries (by id) this pipeline runs on. Default: every one of `stores`. */
  readonly stores?: readonly string[];
  /**
   * The least any implementation of this route does, written by hand without the library (the `floor/` row).
   * Its share of the ceiling bounds the library's: a goal above it is out of reach on this machine for any
   * route mounted this way, however the library is written.
   */
  readonly floor?: PipelineFloor;
  /** The library's handlers on this route, built once (factory time), in the server process. */
  handlers(env: PipelineEnv): RequestHandler[] | Promise<RequestHandler[]>;
  /** Values for `n` requests. A logout pipeline creates `n` fresh sessions (and users, codes) here, untimed. */
  feed(env: PipelineEnv, n: number): Promise<Feed>;
}

/** What a floor route is given, in the server process. */
export interface FloorEnv {
  /** The benchmark's users, as the library's rows have them; read synchronously through `userNow`. */
  readonly users: BenchDirectory;
  /**
   * Answers the route's success exactly as its ceiling does (the same replayed headers, status and JSON);
   * `body` replaces the fixed one where a route's answer depends on the request.
   */
  readonly answer: (res: Response, body?: unknown) => void;
}

/**
 * A hand-written route doing only the work no implementation can skip: the same request read, the same
 * secrets hashed and checked, the session read or ended in plain Maps (`FloorSessions`), synchronously, and
 * the ceiling's answer.
 */
export interface PipelineFloor {
  /** What it does, in a few words, for the report. */
  readonly does: string;
  /** Builds the route and its state once, in the server process. */
  start(env: FloorEnv): FloorRoute;
}

export interface FloorRoute {
  readonly handlers: RequestHandler[];
  feed(n: number): Feed | Promise<Feed>;
  /** Sessions left, for a logout floor: the run checks it really ended one per answer, as for the library. */
  liveSessions?(): number;
}

/**
 * The library's competitor: what a user would pick instead. Compared with the library's logout pipelines on
 * the same store backend.
 */
export interface PeerEntry {
  readonly id: string;
  readonly title: string;
  readonly needsRedis: boolean;
  /** The pipeline whose route shape and body the peer serves (its ceiling is the peer's ceiling). */
  readonly sameRouteAs: string;
  /** What the peer does: a logout is compared with the library's logouts, a guard with its guards. */
  readonly kind: "guard" | "logout";
  start(ctx: ServerContext): Promise<RunningApp>;
}

/** A scenario's app in the server process. */
export interface RunningApp {
  readonly app: Express;
  readonly template: RequestTemplate;
  readonly success: SuccessReply;
  feed(n: number): Promise<Feed>;
  liveSessions?(): Promise<number>;
  /** Redis commands the app sent so far, when it counts them (one command is one round trip). */
  commandsSent?(): number;
  close(): Promise<void>;
}

export type ScenarioGroup = "ceiling" | "floor" | "library" | "peer";

/** One timed HTTP run: a ceiling, a pipeline on a store, or a peer. Built from the tables of `registry.ts`. */
export interface Scenario {
  /** e.g. `ceiling/endor-logout`, `endor-logout/memory`, `peer/express-session`. */
  readonly id: string;
  readonly title: string;
  readonly group: ScenarioGroup;
  readonly kind: "guard" | "logout";
  /** `none` for a ceiling. */
  readonly store: string;
  readonly needsRedis: boolean;
  /** The ceiling scenario this one is compared with (itself for a ceiling). */
  readonly ceilingId: string;
  /** The pipeline it exercises (for a peer: the pipeline whose route it copies). */
  readonly pipelineId: string;
  start(ctx: ServerContext): Promise<RunningApp>;
}
