import { createHash } from "node:crypto";
import { SESSION_FIELDS, userSlotScript, type RedisScript } from "./redis-scripts.js";

/**
 * `RedisSessionStore`'s index of every session, for the administrator's `listAllSessions`: two sorted sets
 * under one hash tag (`{all-sessions}`), so every script over them runs in one slot of a Cluster.
 *
 * - `by-created`: score `createdAt`, the order pages come in (newest first);
 * - `by-expiry`: score `expiresAt`, so expired members are dropped by a range, never by a scan.
 *
 * A member is the session id (ids are unique across users: their route keys see to it). The record lives in
 * its user's slot, so a script here cannot read it: a page is one script for the members, then one lookup by
 * id per member, sent together, and a member whose record is gone (ended by a path that could not reach the
 * index, or half-written) is skipped and removed.
 */

function script(name: string, source: string): RedisScript {
  const text = source.trim();
  return { name, source: text, sha: createHash("sha1").update(text, "utf8").digest("hex") };
}

/** Drops members that expired by ARGV[1] (at most 1000 per call), in both sets. */
const TRIM = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for i = 1, #gone, 500 do
  local part = {unpack(gone, i, math.min(i + 499, #gone))}
  redis.call('ZREM', KEYS[1], unpack(part))
  redis.call('ZREM', KEYS[2], unpack(part))
end
`;

/**
 * Adds or moves one member; both keys live as long as their longest-lived member (every key of the store has
 * a TTL). KEYS[1] by-created, KEYS[2] by-expiry.
 * ARGV[1] now, ARGV[2] createdAt, ARGV[3] expiresAt, ARGV[4] member, ARGV[5] ttl ms.
 */
export const INDEX_ADD = script("indexAllSessionsAdd", `
${TRIM}
-- NX and GT: a create that loses to a live duplicate (and is refused in the user's slot) can neither move
-- the live session's position nor shorten its stay in the index.
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[2], 'GT', ARGV[3], ARGV[4])
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < tonumber(ARGV[5]) then redis.call('PEXPIRE', key, ARGV[5]) end
end
return 1
`);

/** Removes members. KEYS[1] by-created, KEYS[2] by-expiry. ARGV[1..] members. */
export const INDEX_REMOVE = script("indexAllSessionsRemove", `
for i = 1, #ARGV, 500 do
  local part = {unpack(ARGV, i, math.min(i + 499, #ARGV))}
  redis.call('ZREM', KEYS[1], unpack(part))
  redis.call('ZREM', KEYS[2], unpack(part))
end
return 1
`);

/**
 * A page of members, newest first, after a cursor position. KEYS[1] by-created, KEYS[2] by-expiry.
 * ARGV[1] now, ARGV[2] how many, ARGV[3] cursor score or "", ARGV[4] cursor member.
 * The cursor's member may have ended since: it is put back for the rank lookup and taken out again, all
 * inside the script, so the page starts right after its position whatever happened to it. Answers a flat
 * list of member, score pairs.
 */
export const INDEX_PAGE = script("indexAllSessionsPage", `
${TRIM}
local start = 0
if ARGV[3] ~= '' then
  local added = redis.call('ZADD', KEYS[1], 'NX', ARGV[3], ARGV[4])
  start = redis.call('ZREVRANK', KEYS[1], ARGV[4])
  if added == 1 then redis.call('ZREM', KEYS[1], ARGV[4]) else start = start + 1 end
end
return redis.call('ZREVRANGE', KEYS[1], start, start + tonumber(ARGV[2]) - 1, 'WITHSCORES')
`);

/** How many members, after trimming the expired. KEYS[1] by-created, KEYS[2] by-expiry. ARGV[1] now. */
export const INDEX_COUNT = script("indexAllSessionsCount", `
${TRIM}
return redis.call('ZCARD', KEYS[1])
`);

/**
 * Moves a live session's expiresAt, in its user's slot: the record, its token index and its entry in the user
 * index, each kept at least as long. Answers the record's fields (HMGET order), or false when it is not live.
 * ARGV[2] session id key part (the user-index member), ARGV[3] now, ARGV[4] new expiresAt, ARGV[5] ttl ms.
 */
export const EXTEND_SESSION = userSlotScript("extendSession", "false", `
local rec = base .. 'session:' .. ARGV[2]
local index = base .. 'sessions'
local ttl = tonumber(ARGV[5])
local f = redis.call('HMGET', rec, 'expiresAt', 'tokenKey')
if not f[1] or tonumber(f[1]) <= tonumber(ARGV[3]) then return false end
redis.call('HSET', rec, 'expiresAt', ARGV[4])
if redis.call('PTTL', rec) < ttl then redis.call('PEXPIRE', rec, ttl) end
if f[2] and redis.call('GET', f[2]) == ARGV[2] and redis.call('PTTL', f[2]) < ttl then redis.call('PEXPIRE', f[2], ttl) end
redis.call('ZADD', index, ARGV[4], ARGV[2])
if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
return redis.call('HMGET', rec, ${SESSION_FIELDS.map((f) => `'${f}'`).join(", ")})
`);

export const INDEX_SCRIPTS: readonly RedisScript[] = [INDEX_ADD, INDEX_REMOVE, INDEX_PAGE, INDEX_COUNT, EXTEND_SESSION.direct, EXTEND_SESSION.routed];

/** The two keys of the index under `prefix`. */
export function indexKeys(prefix: string): [string, string] {
  return [`${prefix}all-sessions:{all-sessions}:by-created`, `${prefix}all-sessions:{all-sessions}:by-expiry`];
}

