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
    readonly sessionId: string;
    readonly userId: string;
    readonly by: string | undefined;
    readonly target: LogoutTargetKind;
    /** Why, when it was not a logout: `"session-limit"` (made room for a new login) or a credential change's reason. */
    readonly reason?: string;
    readonly at: EpochMs;
  };
  /** Several sessions of one user ended (all, all-but-current, an API key's). */
  "sessions.ended": {
    readonly userId: string;
    readonly by: string | undefined;
    readonly target: LogoutTargetKind;
    readonly count: number;
    /** Why, when it was not a logout: a credential change's reason (`"password-changed"`, `"account-disabled"`, ...). */
    readonly reason?: string;
    readonly at: EpochMs;
  };
  /**
   * The host changed or removed a credential of a user, or disabled or deleted the account
   * (`endSessionsAfterCredentialChange`): what ended, for the audit log.
   */
  "credentials.changed": {
    readonly userId: string;
    readonly reason: string;
    /** The session kept alive (the caller's own), if any. */
    readonly keptSessionId: string | undefined;
    readonly sessionsEnded: number;
    /** JWTs of the user issued before this moment are refused, or `undefined` when JWTs were left alone. */
    readonly jwtsIssuedBefore: EpochMs | undefined;
    readonly at: EpochMs;
  };
  /** A session proved its user again (`requireTotp` or `markAuthenticated`): it is fresh for `requireRecentAuth`. */
  "session.authenticated": {
    readonly sessionId: string;
    readonly userId: string;
    readonly method: string;
    readonly at: EpochMs;
  };
  /** An administrator extended a session (`adminExtendSession`); `by` is the admin's user id or `"admin-api-key"`. */
  "session.extended": {
    readonly sessionId: string;
    readonly userId: string;
    readonly by: string;
    readonly expiresAt: EpochMs;
    readonly at: EpochMs;
  };
  /** A request was refused; `code` is the `LogoutError` code. */
  "logout.refused": {
    readonly code: string;
    readonly status: number;
    readonly userId: string | undefined;
    readonly method: string;
    readonly path: string;
    readonly ip: string | undefined;
    readonly at: EpochMs;
  };
  /** A wrong TOTP code; `failures` counts them in the current window. */
  "totp.failed": { readonly userId: string; readonly failures: number; readonly at: EpochMs };
  /** A right TOTP code presented a second time in its time step. */
  "totp.replayed": { readonly userId: string; readonly at: EpochMs };
  /**
   * An OpenID Provider's back-channel logout was carried out: `sessionIds` are the local sessions it ended
   * (`count` 0 when they had all ended already, which the specification counts as a success).
   */
  "backchannel.logout": {
    readonly issuer: string;
    readonly subject: string | undefined;
    readonly sid: string | undefined;
    readonly sessionIds: readonly string[];
    readonly count: number;
    readonly at: EpochMs;
  };
  /** A back-channel logout request was refused; `reason` names the rule it broke (see docs/oidc-logout.md). */
  "backchannel.refused": {
    readonly reason: string;
    readonly status: number;
    readonly ip: string | undefined;
    readonly at: EpochMs;
  };
  /**
   * A store or host callback failed, timed out or answered a malformed value; the request got a 503.
   * `message` names the operation (`"findSessionByTokenHash failed"`); `cause`, when the call threw or
   * rejected, is what it threw ("connect ECONNREFUSED 127.0.0.1:6379", "db down") as a copy with only its
   * name, `code` and message, where anything that could be a token or a token hash reads `[redacted]`.
   */
  "store.error": { readonly operation: string; readonly message: string; readonly cause?: FailureCause; readonly at: EpochMs };
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
