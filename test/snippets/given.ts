/**
 * What a fragment of the documentation takes as given: the host app's own objects and functions, which every
 * app has and no snippet can show (its Express app, its database, its password check). `test/readme-snippets.test.ts`
 * imports each of these names into a snippet that does not declare the name itself, together with every export
 * of `express-logout`; a snippet's relative imports (`../src/my-store.js`, the host's own files) resolve here
 * too. Everything else a snippet uses it must import or declare, as an app would.
 *
 * Types only: nothing here runs. Each is typed as strictly as a real app's would be, so a snippet that
 * compiles against them compiles in an app.
 */
import type { KeyObject } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import type { Express, Request, RequestHandler, Response } from "express";
import type { Store as ExpressSessionStore } from "express-session";
import type { Configuration } from "openid-client";
import type { Pool } from "pg";
import type { createClient } from "redis";
import type { Server as SocketIoServer } from "socket.io";
import type {
  CompleteSessionStore,
  CredentialSource,
  JwtCredentialSource,
  LogoutEvents,
  MemorySessionStore,
  SessionStore,
  SessionWatcher,
  TenantRecord,
  UserDirectory,
  UserRecord,
} from "express-logout";

export { PostgresCoreSessionStore, PostgresSessionStore } from "../../examples/postgres-store.js";

/** The host's user: the library's fields and its own. */
export interface HostUser extends UserRecord {
  readonly roles: readonly string[];
}

/** The host's database, as the snippets call it. */
export interface HostDatabase {
  readonly users: { find(id: string): Promise<HostUser | undefined> };
  can(user: HostUser, permission: string): Promise<boolean>;
  totpSecretOf(user: HostUser): Promise<string | undefined>;
}

export declare const app: Express;
export declare const server: HttpServer;
export declare const io: SocketIoServer;
export declare const req: Request;
export declare const res: Response;

export declare const store: MemorySessionStore;
export declare const events: LogoutEvents;
export declare const credentials: readonly CredentialSource[];
export declare const jwt: JwtCredentialSource;
export declare const sessions: SessionWatcher;

export declare const db: HostDatabase;
export declare const users: UserDirectory<HostUser>;
export declare function findUser(id: string): Promise<HostUser | undefined>;
export declare function hasPermission(user: HostUser, permission: string): Promise<boolean>;
export declare function totpSecret(user: HostUser): Promise<string | undefined>;
export declare const tenants: { byKey(key: string): Promise<TenantRecord | undefined> };
/** The host's own password check: the user, or `undefined` for a wrong password. */
export declare function checkPassword(input: unknown): Promise<HostUser | undefined>;
export declare const user: HostUser;
export declare const userId: string;

export declare const handler: RequestHandler;
export declare const showAccount: RequestHandler;
export declare const changePassword: RequestHandler;

export declare const secret: string;
export declare const publicKeyA: KeyObject;
export declare const publicKeyB: KeyObject;
export declare const claims: { readonly iss: string; readonly sub: string; readonly sid?: string };
export declare const idTokens: Map<string, string>;
export declare const config: Configuration;
export declare const currentUrl: URL;
export declare const pkceCodeVerifier: string;
export declare const expectedState: string;
export declare const expectedNonce: string;

export declare const url: string;
export declare const client: ReturnType<typeof createClient>;
export declare const pool: Pool;
export declare const yourStore: ExpressSessionStore;
/** A custom store of the core, and one of every capability, as a host writes them. */
export declare const MyStore: new (db?: unknown) => SessionStore & { close(): Promise<void> };
export type MyStore = InstanceType<typeof MyStore>;
export declare const MyCompleteStore: new (db?: unknown) => CompleteSessionStore;

export declare const log: { warn(value: unknown): void };
export declare const audit: { info(value: unknown): void; warn(value: unknown): void };
export declare function alert(value: unknown): void;
