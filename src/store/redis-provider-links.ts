import type { ProviderSessionLink } from "./types.js";
import { script, type RedisScript } from "./redis-scripts.js";

/**
 * Provider-session links in Redis, for OpenID Connect back-channel logout.
 *
 * Layout: two sorted sets per provider session, each in the slot of its own hash tag:
 * `{prefix}oidc:sid:{["iss","sid"]}` (the local sessions of one provider session) and
 * `{prefix}oidc:sub:{["iss","sub"]}` (the local sessions of one provider user). A member is the JSON array
 * `[userId, sessionId, subject, sid]`, its score the local session's `expiresAt`; the set's TTL is the longest of
 * its members'. So a lookup reads one key (no scan) and expired members are trimmed by score.
 *
 * The links live outside the user's slot: an `(iss, sid)` may name sessions of any local user, and Redis Cluster
 * cannot run one script across slots. Ending a session therefore does not touch its links; a lookup checks each
 * member's session record (in the user's slot) and drops the members whose session is gone.
 */

/**
 * Adds a member to a link set, trims expired members and keeps the longer TTL.
 * KEYS[1] link set. ARGV[1] now, ARGV[2] expiresAt, ARGV[3] member, ARGV[4] ttl ms.
 */
export const LINK_PROVIDER_SESSION = script("linkProviderSession", `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 0
`);

/**
 * The unexpired members of a link set, with their scores; trims the expired ones first.
 * KEYS[1] link set. ARGV[1] now.
 */
export const FIND_PROVIDER_LINKS = script("findProviderLinks", `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
`);

export const PROVIDER_LINK_SCRIPTS: readonly RedisScript[] = [LINK_PROVIDER_SESSION, FIND_PROVIDER_LINKS];

/** What the provider-link operations need of the store: its scripts, commands and key layout. */
export interface RedisLinkContext {
  readonly prefix: string;
  readonly keyPart: (value: string) => string;
  readonly sessionKey: (userId: string, sessionId: string) => string;
  readonly evalScript: (script: RedisScript, keys: readonly string[], args: readonly string[]) => Promise<unknown>;
  readonly command: (args: string[], key: string) => Promise<unknown>;
}

type LinkKind = "sid" | "sub";

function linkSetKey(ctx: RedisLinkContext, kind: LinkKind, issuer: string, value: string): string {
  return `${ctx.prefix}oidc:${kind}:{${ctx.keyPart(JSON.stringify([issuer, value]))}}`;
}

export async function linkProviderSession(ctx: RedisLinkContext, link: ProviderSessionLink): Promise<void> {
  const now = Date.now();
  const ttl = Math.ceil(link.expiresAt - now);
  if (!(ttl > 0)) return;
  const member = JSON.stringify([link.userId, link.sessionId, link.subject, link.sid ?? null]);
  const args = [String(now), String(link.expiresAt), member, String(ttl)];
  const sets = [linkSetKey(ctx, "sub", link.issuer, link.subject)];
  if (link.sid !== undefined) sets.push(linkSetKey(ctx, "sid", link.issuer, link.sid));
  // One script per set: they live in different slots. Both are idempotent, so a retry after a failure is safe.
  await Promise.all(sets.map((key) => ctx.evalScript(LINK_PROVIDER_SESSION, [key], args)));
}

export async function findProviderLinks(ctx: RedisLinkContext, kind: LinkKind, issuer: string, value: string): Promise<ProviderSessionLink[]> {
  const key = linkSetKey(ctx, kind, issuer, value);
  const now = Date.now();
  const reply = await ctx.evalScript(FIND_PROVIDER_LINKS, [key], [String(now)]);
  if (!Array.isArray(reply)) throw new TypeError("express-logout: RedisSessionStore: expected an array reply; sendCommand must answer the raw reply.");
  const candidates: { link: ProviderSessionLink; member: string }[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const member = text(reply[i]);
    const link = parseMember(member, Number(text(reply[i + 1])), issuer);
    if (link !== undefined && (kind === "sid" ? link.sid === value : link.subject === value)) candidates.push({ link, member });
  }
  // The session records live in their users' slots: one HGET each, sent together (one round trip of latency).
  const expiries = await Promise.all(candidates.map(({ link }) => {
    const record = ctx.sessionKey(link.userId, link.sessionId);
    return ctx.command(["HGET", record, "expiresAt"], record);
  }));
  const live: ProviderSessionLink[] = [];
  const ended: string[] = [];
  candidates.forEach(({ link, member }, i) => {
    const expiresAt = Number(text(expiries[i]));
    if (Number.isFinite(expiresAt) && expiresAt > now) live.push(link);
    else ended.push(member);
  });
  // Members of ended sessions would only cost later lookups a read: drop them now.
  if (ended.length > 0) await ctx.command(["ZREM", key, ...ended], key);
  return live;
}

function text(reply: unknown): string {
  if (typeof reply === "string") return reply;
  if (Buffer.isBuffer(reply)) return reply.toString("utf8");
  if (typeof reply === "number") return String(reply);
  return "";
}

function parseMember(member: string, expiresAt: number, issuer: string): ProviderSessionLink | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(member);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || !Number.isFinite(expiresAt)) return undefined;
  const [userId, sessionId, subject, sid] = parsed as unknown[];
  if (typeof userId !== "string" || typeof sessionId !== "string" || typeof subject !== "string" || (sid !== null && typeof sid !== "string")) return undefined;
  return { issuer, subject, ...(sid === null ? {} : { sid }), sessionId, userId, expiresAt };
}
