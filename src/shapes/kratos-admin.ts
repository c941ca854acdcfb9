import type { Request } from "express";
import { LogoutError, errorKinds } from "../errors.js";
import { bearerToken, headerToken } from "../credentials/index.js";
import type { AdminListQuery, AdminSessionPage, AdminSessionView, AdminShape } from "../handlers/admin/types.js";
import { cursorAfter, decodeCursor } from "../store/session-directory.js";
import type { Reply } from "../types.js";
import { kratosError, kratosSession, parseSessionId, queryEscape } from "./kratos.js";

/**
 * Ory Kratos' admin plane for sessions (`session/handler.go`'s admin routes), as `@ory/client`'s `IdentityApi`
 * calls it:
 *
 * - `GET /admin/sessions`: keyset pages (`page_size` 1 to 1000, default 250; `page_token`), `active`, `expand`;
 *   a `Link` header with `rel="first"` and, unless on the last page, `rel="next"`.
 * - `GET /admin/sessions/{id}` (`expand`), `DELETE /admin/sessions/{id}` (204), `PATCH /admin/sessions/{id}/extend`
 *   (204).
 * - `GET /admin/identities/{id}/sessions`: page pagination (`page`/`per_page`, or `page_token`/`page_size`), a
 *   `Link` header with first/next/prev/last and `X-Total-Count`; `DELETE` of it (204, or 404 with none).
 */

/** `x.PageTokenInvalid`: a page token that decodes, but whose session id is no UUID. */
const PAGE_TOKEN_INVALID = "The page token is invalid, do not craft your own page tokens";
/** The persister's `paginationDefaultItemsSize` and `paginationMaxItemsSize` for `GET /admin/sessions`. */
const KEYSET_DEFAULT_SIZE = 250;
const KEYSET_MAX_SIZE = 1000;
/** migrationpagination's defaults for `GET /admin/identities/{id}/sessions`. */
const PAGE_DEFAULT_SIZE = 250;
const PAGE_MAX_SIZE = 1000;
/** The first page's token: `Session.DefaultPageToken()`, the nil UUID at a moment after every session. */
const NIL_UUID = "00000000-0000-0000-0000-000000000000";
const DEFAULT_TOKEN_CREATED_AT = Date.UTC(2200, 11, 31, 23, 59, 59);

type Expandable = "identity" | "devices";

/** A refusal worded as herodot's `WithError` (the text lands in `message`). */
function badMessage(message: string): LogoutError {
  return new LogoutError("bad-request", message, { reason: message, kind: errorKinds.invalidSessionId });
}

/** A refusal worded as herodot's `WithReason` (the text lands in `reason`, `message` is the default). */
function badReason(reason: string): LogoutError {
  return new LogoutError("bad-request", reason, { reason });
}

/** The query as Go's `r.URL.Query()` reads it: every value of every key, `+` as a space. */
function queryOf(req: Request): URLSearchParams {
  const url = req.originalUrl;
  const at = url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : url.slice(at + 1));
}

/** The request's path as Go's `url.URL` writes it back (the raw path, never decoded). */
function pathOf(req: Request): string {
  const url = req.originalUrl;
  const at = url.indexOf("?");
  return at === -1 ? url : url.slice(0, at);
}

/** Go's `url.Values.Encode`: keys sorted, each value escaped with `url.QueryEscape`. */
function encodeQuery(values: ReadonlyMap<string, readonly string[]>): string {
  return [...values.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap((key) => (values.get(key) ?? []).map((value) => `${queryEscape(key)}=${queryEscape(value)}`))
    .join("&");
}

/** The request's query with some keys set (Go's `q.Set`), as a `Link` target `<path?query>; rel="..."`. */
function link(req: Request, rel: string, set: Readonly<Record<string, string>>): string {
  const values = new Map<string, string[]>();
  for (const [key, value] of queryOf(req)) values.set(key, [...(values.get(key) ?? []), value]);
  for (const [key, value] of Object.entries(set)) values.set(key, [value]);
  return `<${pathOf(req)}?${encodeQuery(values)}>; rel="${rel}"`;
}

/** Go's `strconv.ParseBool`. */
function parseBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}

/** Go's `strconv.Atoi` (64-bit): an optional sign and decimal digits, or `undefined`. */
function atoi(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : n > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
}

/** `active` as the admin list handlers read it: absent or empty is "every session". */
function activeOf(q: URLSearchParams): boolean | undefined {
  const raw = q.get("active") ?? "";
  if (raw === "") return undefined;
  const active = parseBool(raw);
  if (active === undefined) throw badMessage("could not parse parameter active");
  return active;
}

/** Each `expand` value, matched case-insensitively (`ParseExpandable`); an unknown one is refused. */
function expandOf(q: URLSearchParams): ReadonlySet<Expandable> {
  const expand = new Set<Expandable>();
  for (const value of q.getAll("expand")) {
    const lower = value.toLowerCase();
    if (lower !== "identity" && lower !== "devices") throw badReason(`Could not parse expand option: ${value}`);
    expand.add(lower);
  }
  return expand;
}

/** Go's `time.Format("2006-01-02 15:04:05.99999")` in UTC: trailing zeros of the fraction dropped. */
function tokenTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === "" ? "" : `.${fraction}`}`;
}

function parseTokenTime(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, f = ""] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(f.padEnd(3, "0").slice(0, 3)));
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * A keyset page token as Kratos makes it (`MapPageToken.Encode`): unpadded standard base64 of
 * `id=<uuid>/created_at=<time>`. Go writes the map's keys in a random order; this writes `id` first.
 */
function encodePageToken(createdAt: number, id: string): string {
  return Buffer.from(`id=${id}/created_at=${tokenTime(createdAt)}`, "utf8").toString("base64").replace(/=+$/, "");
}

/**
 * `keysetpagination.Parse` and the persister's check: the first non-empty `page_token` must be unpadded standard
 * base64 (else Kratos' odd "could not parse parameter page_size"), and its `id` a UUID (else `PageTokenInvalid`).
 * A token without a readable `created_at` is refused too (Kratos would hand it to SQL). Answers the store cursor.
 */
function keysetCursor(q: URLSearchParams): string | undefined {
  const raw = q.getAll("page_token").find((value) => value !== "");
  if (raw === undefined) return undefined;
  const text = raw.replace(/[\r\n]/g, "");
  if (text.length > 4096 || !/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) throw badMessage("could not parse parameter page_size");
  const fields = new Map<string, string>();
  for (const part of Buffer.from(text, "base64").toString("utf8").split("/")) {
    const at = part.indexOf("=");
    if (at !== -1) fields.set(part.slice(0, at), part.slice(at + 1));
  }
  let id: string;
  try {
    id = parseSessionId(fields.get("id") ?? "");
  } catch {
    throw badReason(PAGE_TOKEN_INVALID);
  }
  const createdAt = parseTokenTime(fields.get("created_at") ?? "");
  if (createdAt === undefined) throw badReason(PAGE_TOKEN_INVALID);
  return cursorAfter(createdAt, id);
}

/** `Paginator.Size()`: no or a non-positive size is the default, a larger one than the maximum is the maximum. */
function keysetSize(q: URLSearchParams): number {
  const raw = q.getAll("page_size").find((value) => value !== "");
  if (raw === undefined) return KEYSET_DEFAULT_SIZE;
  const size = atoi(raw);
  if (size === undefined) throw badMessage("could not parse parameter page_size");
  return size <= 0 ? KEYSET_DEFAULT_SIZE : Math.min(size, KEYSET_MAX_SIZE);
}

/**
 * migrationpagination's `ParsePagination`: with `page_token` or `page_size`, the token's offset (base64url JSON,
 * unreadable is 0) and `page_size`; else `page` and `per_page`. Sizes are clamped to 1..1000, never refused.
 */
function pagePagination(q: URLSearchParams): { page: number; perPage: number } {
  const clamp = (n: number | undefined) => Math.max(1, Math.min(PAGE_MAX_SIZE, n ?? PAGE_DEFAULT_SIZE));
  if (q.has("page_token") || q.has("page_size")) {
    const perPage = clamp(atoi(q.get("page_size") ?? ""));
    let offset = 0;
    const token = q.get("page_token") ?? "";
    if (token !== "" && /^[A-Za-z0-9_-]*$/.test(token) && token.length % 4 !== 1) {
      const match = /"offset"\s*:\s*"?(-?\d+)"?/.exec(Buffer.from(token, "base64url").toString("utf8"));
      offset = match?.[1] === undefined ? 0 : Number(match[1]);
    }
    return { page: offset > 0 ? Math.trunc(offset / perPage) : 0, perPage };
  }
  return { page: Math.max(0, atoi(q.get("page") ?? "") ?? 0), perPage: clamp(atoi(q.get("per_page") ?? "")) };
}

/** tokenpagination's `Encode`: `{"offset":"<n>","v":2}` in unpadded base64url. */
function offsetToken(offset: number): string {
  return Buffer.from(`{"offset":"${String(offset)}","v":2}`, "utf8").toString("base64url");
}

/**
 * `pagination.HeaderWithFormatter` with migrationpagination's formatter: `X-Total-Count`, and a `Link` to the
 * first, next, previous and last pages that exist, each with `page`, `page_size`, `page_token` and `per_page`.
 * Its edge cases are Kratos' own (an empty list links a `next` and a `prev` page; a single page only `first`).
 */
function pageHeaders(req: Request, total: number, page: number, perPage: number): Record<string, string> {
  const to = (rel: string, size: number, offset: number) =>
    link(req, rel, { page_size: String(size), page_token: offsetToken(offset), per_page: String(size), page: String(Math.trunc(offset / size)) });
  const offset = page * perPage;
  const lastOffset = total % perPage === 0 ? total - perPage : Math.trunc(total / perPage) * perPage;
  const next = (Math.trunc(offset / perPage) + 1) * perPage;
  const prev = (Math.trunc(offset / perPage) - 1) * perPage;
  let links: string[];
  if (offset >= lastOffset) {
    if (total === 0) links = [to("first", perPage, 0), to("next", perPage, next), to("prev", perPage, prev)];
    else if (total <= perPage) links = [to("first", total, 0)];
    else links = [to("first", perPage, 0), to("prev", perPage, lastOffset - perPage)];
  } else if (offset < perPage) {
    links = [to("next", perPage, perPage), to("last", perPage, lastOffset)];
  } else {
    links = [to("first", perPage, 0), to("next", perPage, next), to("prev", perPage, prev), to("last", perPage, lastOffset)];
  }
  return { "X-Total-Count": String(total), Link: links.join(",") };
}

/** An identity id as the host's directory knows it; throws a `bad-request` LogoutError for one it refuses. */
export type IdentityIdParser = (text: string) => string;

/** Options of `kratosAdminShape(options)`. */
export interface KratosAdminOptions {
  /**
   * Reads `{id}` of `/admin/identities/{id}/sessions`. A host whose user ids are not UUIDs passes its own, which
   * throws `parseSessionId`'s refusal (or another `bad-request`) for an id it cannot have.
   * @defaultValue as Kratos, a UUID (any form gofrs/uuid reads, answered lower-case), else 400 with the UUID
   * parser's message
   */
  readonly parseIdentityId?: IdentityIdParser;
}

/** A Kratos session of the admin plane: `identity` and `devices` only when expanded, as the persister loads them. */
function adminSession(view: AdminSessionView, expand: ReadonlySet<Expandable>, devicesWhenNotExpanded: null | []): Record<string, unknown> {
  const full = kratosSession(view, view.user);
  return {
    ...full,
    identity: expand.has("identity") ? full.identity : null,
    devices: expand.has("devices") ? full.devices : devicesWhenNotExpanded,
  };
}

const EVERYTHING: ReadonlySet<Expandable> = new Set<Expandable>(["identity", "devices"]);

/** What `GET /admin/sessions` read, beside the library's query. */
interface KeysetQuery extends AdminListQuery {
  readonly expand: ReadonlySet<Expandable>;
}

/** What `GET /admin/identities/{id}/sessions` read, beside the library's query. */
interface PageQuery extends AdminListQuery {
  readonly userId: string;
  readonly page: number;
}

function json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Reply {
  return { status, headers: { "Content-Type": "application/json; charset=utf-8", ...headers }, body };
}

/** The path's `{id}`. */
function pathId(req: Request): string {
  const id: unknown = (req.params as Record<string, unknown>).id;
  return typeof id === "string" ? id : "";
}

/**
 * The admin wire of Kratos, for the admin factories. Admin callers authenticate with the gate's credential (an
 * API key in `Authorization: Bearer`, or a session token with a permission); the browser's session cookie is
 * never read on these routes, so a page of another site cannot use them through a signed-in administrator.
 */
export function kratosAdminShape(options: Readonly<KratosAdminOptions> = {}): AdminShape {
  const parseIdentityId = options.parseIdentityId ?? parseSessionId;
  if (typeof parseIdentityId !== "function") throw new TypeError("express-logout: kratosAdminShape `parseIdentityId` must be a function.");
  return {
    requiresSecondFactor: false,
    credentials: [headerToken("x-session-token"), bearerToken()],
    readAllSessionsQuery(req): KeysetQuery {
      const q = queryOf(req);
      // Kratos' order: active, then page_token and page_size, then expand.
      const active = activeOf(q);
      const cursor = keysetCursor(q);
      const limit = keysetSize(q);
      const expand = expandOf(q);
      return { limit, ...(cursor === undefined ? {} : { cursor }), ...(active === undefined ? {} : { active }), expand };
    },
    allSessions(page: AdminSessionPage, req) {
      const { expand, limit } = page.query as KeysetQuery;
      const first = link(req, "first", { page_token: encodePageToken(DEFAULT_TOKEN_CREATED_AT, NIL_UUID), page_size: String(limit) });
      const links = [first];
      if (page.nextCursor !== undefined) {
        const last = page.sessions[page.sessions.length - 1];
        const position = decodeCursor(page.nextCursor) ?? (last === undefined ? undefined : [last.createdAt, last.id] as const);
        if (position !== undefined) links.push(link(req, "next", { page_token: encodePageToken(position[0], position[1]), page_size: String(limit) }));
      }
      return json(200, page.sessions.map((s) => adminSession(s, expand, null)), { Link: links.join(",") });
    },
    readUserSessionsQuery(req): PageQuery {
      const userId = parseIdentityId(pathId(req));
      const q = queryOf(req);
      const active = activeOf(q);
      const { page, perPage } = pagePagination(q);
      return { userId, page, limit: perPage, offset: page * perPage, ...(active === undefined ? {} : { active }) };
    },
    userSessions(result, req) {
      const { page, limit } = result.query as PageQuery;
      return json(200, result.sessions.map((s) => adminSession(s, EVERYTHING, [])), pageHeaders(req, result.total ?? result.sessions.length, page, limit));
    },
    readSessionId(req) {
      const id = parseSessionId(pathId(req));
      // `GET /admin/sessions/{id}` reads `expand` after the id; DELETE and PATCH ignore the query.
      if (req.method === "GET" || req.method === "HEAD") expandOf(queryOf(req));
      return id;
    },
    readUserId(req) {
      return parseIdentityId(pathId(req));
    },
    session(view, req) {
      return json(200, adminSession(view, expandOf(queryOf(req)), []));
    },
    ended(outcome, req) {
      // `DeleteSessionsByIdentity` deleting nothing is sqlcon's ErrNoRows.
      if (outcome.target === "user" && outcome.count === 0) return kratosError(404, { message: "Unable to locate the resource" }, req);
      return { status: 204 };
    },
    extended() {
      // Kratos' default since `FeatureFlagFasterSessionExtend`: 204, no body.
      return { status: 204 };
    },
  };
}
