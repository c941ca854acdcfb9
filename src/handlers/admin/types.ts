import type { Request } from "express";
import type { CredentialSource, EpochMs, Reply, SessionView, UserRecord } from "../../types.js";

/** A session as an administrator sees it: what its owner sees, and whose it is. Never the token hash. */
export interface AdminSessionView extends SessionView {
  /** The session's user as the host's directory knows it, or `undefined` when it no longer exists. */
  readonly user: UserRecord | undefined;
}

/** What a shape read from an admin list request. */
export interface AdminListQuery {
  /** Most sessions on the page (the shape applies its own default and bounds). */
  readonly limit: number;
  /** Keyset paging: the store cursor of the previous page (`SessionDirectory.listAllSessions`). */
  readonly cursor?: string;
  /**
   * Offset paging: sessions to skip, in the list's order.
   * @defaultValue 0
   */
  readonly offset?: number;
  /** Only this user's sessions (read from the user's own index, never by a scan). */
  readonly userId?: string;
  /** Only sessions opened this way (`SessionRecord.authenticationSource`). */
  readonly authenticationSource?: string;
  /**
   * Kratos' `active`: `true` or absent lists live sessions; `false` lists ended ones, and the library keeps none
   * (an ended session is deleted), so that page is empty.
   */
  readonly active?: boolean;
  /** A shape's own free-text match (Rocket.Chat's `filter`); sessions for which it answers `false` are left out. */
  readonly match?: (session: AdminSessionView) => boolean;
  /**
   * Checks the rest of the query once the gate has passed, throwing a `bad-request` LogoutError (Rocket.Chat
   * parses `sort` inside its handler, after permission and 2FA).
   */
  readonly afterGate?: () => void;
  /** A shape's own ordering of one page once it is cut (Rocket.Chat sorts a page after paging by login time). */
  readonly arrange?: (page: readonly AdminSessionView[]) => AdminSessionView[];
}

/** A page of sessions for a shape to render. */
export interface AdminSessionPage {
  /** The paging and filters the page answers. */
  readonly query: AdminListQuery;
  /** The sessions on the page, with their users. */
  readonly sessions: readonly AdminSessionView[];
  /** Every session that matches, when known (a count of all sessions, or of one user's); `undefined` otherwise. */
  readonly total: number | undefined;
  /** The offset of the first session on the page. */
  readonly offset: number;
  /** For keyset paging: the cursor of the next page, `undefined` on the last. */
  readonly nextCursor: string | undefined;
  /** The store cursor this page started at. */
  readonly cursor: string | undefined;
}

/** What an administrator's ending of sessions did, for a shape to render. */
export interface AdminEndedOutcome {
  /** `"session"`: one session ended; `"user"`: every session of one user. */
  readonly target: "session" | "user";
  /** The session ended (`target: "session"`). */
  readonly sessionId: string | undefined;
  /** Whose sessions ended. */
  readonly userId: string;
  /** How many sessions ended. */
  readonly count: number;
  /** When, in epoch milliseconds. */
  readonly endedAt: EpochMs;
}

/**
 * How a product's administrator routes speak: each reads its request (throwing a `bad-request` LogoutError
 * with the product's wording) and renders its answer. A product's `Shape` carries it as `admin`.
 */
export interface AdminShape {
  /** The product asks a second factor of every admin session route (Rocket.Chat); a gate without one is refused at setup. */
  readonly requiresSecondFactor: boolean;
  /**
   * Where admin callers' credentials are read from, when the host names none.
   * @defaultValue the shape's own
   */
  readonly credentials?: readonly CredentialSource[];
  /** Reads the paging and filters of a listing of every session; throw a `bad-request` LogoutError to refuse. */
  readonly readAllSessionsQuery?: (req: Request) => AdminListQuery;
  /** The reply to a listing of every session. */
  readonly allSessions?: (page: AdminSessionPage, req: Request) => Reply;
  /** Reads the paging of a listing of one user's sessions, and that user's id. */
  readonly readUserSessionsQuery?: (req: Request) => AdminListQuery & {
    /** The user whose sessions are listed. */
    readonly userId: string;
  };
  /** The reply to a listing of one user's sessions. */
  readonly userSessions?: (page: AdminSessionPage, req: Request) => Reply;
  /** Reads the id of one session from the request. */
  readonly readSessionId?: (req: Request) => string;
  /** Reads the id of one user from the request. */
  readonly readUserId?: (req: Request) => string;
  /** The reply to a lookup of one session. */
  readonly session?: (session: AdminSessionView, req: Request) => Reply;
  /** The reply once an administrator ended one session or a user's sessions. */
  readonly ended?: (outcome: AdminEndedOutcome, req: Request) => Reply;
  /** The reply once an administrator extended a session. */
  readonly extended?: (session: AdminSessionView, req: Request) => Reply;
}

/** The `details.kind` of a permission refusal the product answers from inside its handler (Rocket.Chat's `unauthorized()`). */
export const PERMISSION_IN_HANDLER = "permission-in-handler";
