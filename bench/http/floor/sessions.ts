import { hash, randomBytes, randomUUID } from "node:crypto";

/** A session of a hand-written floor: what a server-side session needs to be checked and ended. */
export interface FloorSession {
  readonly id: string;
  readonly userId: string;
  readonly expiresAt: number;
  readonly tokenHash: string;
}

const LIFETIME_MS = 60 * 60_000;

/** A token as the library's hashes it at rest (SHA-256, base64url): a floor must not skip the hash. */
export function floorTokenHash(token: string): string {
  return hash("sha256", token, "base64url");
}

/**
 * The least a server-side session store can be: one Map by token hash (and one by id, for routes that end a
 * session named by id), read and written synchronously in the server's own process. No index by user, no
 * expiry sweep, no deadline: every floor route is the lower bound of any implementation of it.
 */
export class FloorSessions {
  readonly #byTokenHash = new Map<string, FloorSession>();
  readonly #byId = new Map<string, FloorSession>();

  /** Sessions held (expired ones included: nothing sweeps them); a logout floor's count of what it ended. */
  get size(): number {
    return this.#byId.size;
  }

  /** Opens a session for `userId` and answers its token (32 random bytes, base64url) and id (a UUID), as the library's. */
  open(userId: string): { readonly token: string; readonly session: FloorSession } {
    const token = randomBytes(32).toString("base64url");
    const session: FloorSession = { id: randomUUID(), userId, expiresAt: Date.now() + LIFETIME_MS, tokenHash: floorTokenHash(token) };
    this.#byTokenHash.set(session.tokenHash, session);
    this.#byId.set(session.id, session);
    return { token, session };
  }

  /** The live session of this token, or `undefined`. */
  find(token: string): FloorSession | undefined {
    const session = this.#byTokenHash.get(floorTokenHash(token));
    return session !== undefined && session.expiresAt > Date.now() ? session : undefined;
  }

  /** Ends the live session of this token and answers it, or `undefined`. */
  endByToken(token: string): FloorSession | undefined {
    const session = this.find(token);
    if (session !== undefined) this.#end(session);
    return session;
  }

  /** Ends the live session with this id and answers it, or `undefined`. */
  endById(id: string): FloorSession | undefined {
    const session = this.#byId.get(id);
    if (session === undefined || session.expiresAt <= Date.now()) return undefined;
    this.#end(session);
    return session;
  }

  #end(session: FloorSession): void {
    this.#byTokenHash.delete(session.tokenHash);
    this.#byId.delete(session.id);
  }
}
