import type { FailureCause } from "./failure-cause.js";
import type { EpochMs, LogoutTargetKind } from "./types.js";

/**
 * What each event carries. No event ever carries a secret: no token, no token hash, no TOTP code, no API
 * secret. A session id is not a credential (it authenticates nobody), but it is not public either: it names
 * a session that an administrator's route can end, so keep events in an audit log that only operators read,
 * and never show one user's session ids to another.
 */
export interface LogoutEventMap {
  /** One session ended (own logout, admin logout, native logout, browser flow). */
  "session.ended": {
    /** The session that ended. */
    readonly sessionId: string;
    /** Its user. */
    readonly userId: string;
    /** Who ended it: the caller's user id, `"admin-api-key"`, or `undefined` when nobody did (a limit, a provider). */
    readonly by: string | undefined;
    /** Which logout ended it. */
    readonly target: LogoutTargetKind;
    /** Why, when it was not a logout: `"session-limit"` (made room for a new login) or a credential change's reason. */
    readonly reason?: string;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
  /** Several sessions of one user ended (all, all-but-current, an API key's). */
  "sessions.ended": {
    /** Whose sessions ended. */
    readonly userId: string;
    /** Who ended them: the caller's user id, `"admin-api-key"`, or `undefined` when nobody did. */
    readonly by: string | undefined;
    /** Which logout ended them. */
    readonly target: LogoutTargetKind;
    /** How many ended (0 is a success too). */
    readonly count: number;
    /** Why, when it was not a logout: a credential change's reason (`"password-changed"`, `"account-disabled"`, ...). */
    readonly reason?: string;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
  /**
   * The host changed or removed a credential of a user, or disabled or deleted the account
   * (`endSessionsAfterCredentialChange`): what ended, for the audit log.
   */
  "credentials.changed": {
    /** Whose credential changed. */
    readonly userId: string;
    /** What happened, as the host named it (`"password-changed"`, ...). */
    readonly reason: string;
    /** The session kept alive (the caller's own), if any. */
    readonly keptSessionId: string | undefined;
    /** How many sessions ended. */
    readonly sessionsEnded: number;
    /** JWTs of the user issued before this moment are refused, or `undefined` when JWTs were left alone. */
    readonly jwtsIssuedBefore: EpochMs | undefined;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
  /** A session proved its user again (`requireTotp` or `markAuthenticated`): it is fresh for `requireRecentAuth`. */
  "session.authenticated": {
    /** The session that is fresh again. */
    readonly sessionId: string;
    /** Its user. */
    readonly userId: string;
    /** How the user proved it (`"totp"`, `"password"`, ...), as recorded in the session's `amr`. */
    readonly method: string;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
  /** An administrator extended a session (`adminExtendSession`). */
  "session.extended": {
    /** The session extended. */
    readonly sessionId: string;
    /** Its user. */
    readonly userId: string;
    /** The administrator's user id, or `"admin-api-key"`. */
    readonly by: string;
    /** The session's new absolute end, in epoch milliseconds. */
    readonly expiresAt: EpochMs;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
  /** A request was refused. */
  "logout.refused": {
    /** The `LogoutError` code (`"unauthenticated"`, `"forbidden"`, ...). */
    readonly code: string;
    /** The HTTP status answered. */
    readonly status: number;
    /** The caller's user id, when the refusal came after authentication. */
    readonly userId: string | undefined;
    /** The request's method. */
    readonly method: string;
    /** The request's path, without its query. */
    readonly path: string;
    /** The request's `req.ip` (as Express' `trust proxy` says). */
    readonly ip: string | undefined;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
  /** A wrong TOTP code. */
  "totp.failed": {
    /** Whose code it was. */
    readonly userId: string;
    /** How many wrong codes the user sent in the current window, this one included. */
    readonly failures: number;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
  /** A right TOTP code presented a second time in its time step. */
  "totp.replayed": {
    /** Whose code it was. */
    readonly userId: string;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
  /**
   * An OpenID Provider's back-channel logout was carried out: `sessionIds` are the local sessions it ended
   * (`count` 0 when they had all ended already, which the specification counts as a success).
   */
  "backchannel.logout": {
    /** The provider (`iss` of the logout token). */
    readonly issuer: string;
    /** The logout token's `sub`, when it had one. */
    readonly subject: string | undefined;
    /** The logout token's `sid`, when it had one. */
    readonly sid: string | undefined;
    /** The local sessions it ended. */
    readonly sessionIds: readonly string[];
    /** How many it ended. */
    readonly count: number;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
  /** A back-channel logout request was refused; `reason` names the rule it broke (see docs/oidc-logout.md). */
  "backchannel.refused": {
    /** The rule the request broke (`"jti-replayed"`, `"request"`, ...), or `"keys-unavailable"` / `"store-unavailable"`. */
    readonly reason: string;
    /** The HTTP status answered: 400, or 503 when the store or the provider's keys could not answer. */
    readonly status: number;
    /** The request's `req.ip`. */
    readonly ip: string | undefined;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
  /** A store or host callback failed, timed out or answered a malformed value; the request got a 503. */
  "store.error": {
    /** The operation that failed (`"findSessionByTokenHash"`, `"users.hasPermission"`, ...). */
    readonly operation: string;
    /** What went wrong, naming the operation (`"findSessionByTokenHash failed"`). */
    readonly message: string;
    /**
     * What the call threw or rejected with ("connect ECONNREFUSED 127.0.0.1:6379", "db down"), as a copy with
     * only its name, `code` and message, where anything that could be a token or a token hash reads
     * `[redacted]`; absent for a timeout or a malformed answer.
     */
    readonly cause?: FailureCause;
    /** When, in epoch milliseconds. */
    readonly at: EpochMs;
  };
}

/** The name of an event of `LogoutEvents`, such as `"session.ended"`. */
export type LogoutEventName = keyof LogoutEventMap;
/** A listener of one event: it receives that event's payload. */
export type LogoutEventListener<K extends LogoutEventName> = (event: LogoutEventMap[K]) => void;

/** Marks a `LogoutEvents` of any copy of the library (the ESM and the CommonJS build loaded side by side). */
const BRAND = Symbol.for("express-logout.events");

/** Whether a value is a `LogoutEvents`, also one made by another copy of the library. */
export function isLogoutEvents(value: unknown): value is LogoutEvents {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true &&
    typeof (value as LogoutEvents).on === "function" &&
    typeof (value as LogoutEvents).emit === "function"
  );
}

/**
 * A small typed event hub for audit logs and for propagating logouts. Pass one to every factory as
 * `events`. A listener that throws is isolated: it never changes a response.
 */
export class LogoutEvents {
  /** Lets `isLogoutEvents` recognise hubs of every copy of the library, where `instanceof` cannot. */
  readonly [BRAND] = true;
  readonly #listeners = new Map<LogoutEventName, Set<(event: never) => void>>();

  /**
   * Listens to one event; answers a function that stops listening. A listener that throws is reported on the
   * process (`process.emitWarning`), never to the request.
   */
  on<K extends LogoutEventName>(name: K, listener: LogoutEventListener<K>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Tells every listener of `name`; the library emits, hosts rarely need to. */
  emit<K extends LogoutEventName>(name: K, event: LogoutEventMap[K]): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as LogoutEventListener<K>)(event);
      } catch {
        // An audit listener must not turn a finished logout into an error.
      }
    }
  }
}
