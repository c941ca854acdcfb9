import { createHash } from "node:crypto";

/**
 * The Lua scripts of `RedisSessionStore`. Each runs in one slot: its keys share one hash tag, either passed in
 * `KEYS` or built from a key base under that same tag (Redis Cluster checks the slot of every key a script
 * touches, so a key built under the declared tag is as safe as a declared one; BullMQ relies on the same rule).
 *
 * Why Lua: a script runs alone on its node, so "check, then write several keys" cannot interleave with another
 * instance's change of the same user (a revoke-all racing a login, two logouts of one session). MULTI/EXEC
 * cannot branch on what it reads; WATCH would need retries.
 *
 * Times: `now` and `expiresAt` come from the app (the same clock that wrote `expiresAt`); TTLs are sent as
 * relative milliseconds, so a clock difference between the app and Redis never shortens or stretches them.
 */

/** The session fields, in the order the scripts return them (HMGET). */
export const SESSION_FIELDS = [
  "id",
  "userId",
  "tokenHash",
  "createdAt",
  "expiresAt",
  "lastSeenAt",
  "authenticationSource",
  "apiKeyId",
  "tenant",
  "ip",
  "userAgent",
] as const;

const fieldList = SESSION_FIELDS.map((f) => `'${f}'`).join(", ");

export interface RedisScript {
  readonly name: string;
  readonly source: string;
  /** SHA-1 of the source, as Redis computes it: EVALSHA needs no SCRIPT LOAD round trip to learn it. */
  readonly sha: string;
}

function script(name: string, source: string): RedisScript {
  const text = source.trim();
  return { name, source: text, sha: createHash("sha1").update(text, "utf8").digest("hex") };
}

/**
 * Lua for the store's `keyPart`: escapes `%`, `{`, `}` and `:` as `%xx`, and a character outside the BMP (four
 * UTF-8 bytes here, a surrogate pair in JavaScript) as its two `%uxxxx` halves, so a key built in a script is
 * byte for byte the key the store builds in JavaScript. The empty string is `%`.
 */
const KEY_PART_LUA = `
local function keypart(s)
  if s == '' then return '%' end
  s = string.gsub(s, '[%%{}:]', function(c) return string.format('%%%02x', string.byte(c)) end)
  return (string.gsub(s, '[\\240-\\244][\\128-\\191][\\128-\\191][\\128-\\191]', function(c)
    local b1, b2, b3, b4 = string.byte(c, 1, 4)
    local cp = (b1 % 8) * 262144 + (b2 % 64) * 4096 + (b3 % 64) * 64 + (b4 % 64) - 65536
    return string.format('%%u%04x%%u%04x', 55296 + math.floor(cp / 1024), 56320 + cp % 1024)
  end))
end
`;

/**
 * A script that works in one user's slot, in two variants with the same body and arguments:
 * - `direct`: the caller knows the user. KEYS[1] is a key in the user's slot (it routes the command in a
 *   Cluster) and ARGV[1] the user's key base.
 * - `routed`: the caller knows only a session id or token hash. KEYS[1] is its route key, ARGV[1] the store's
 *   prefix; the script reads the route and builds the user's key base itself, so the lookup costs no round trip
 *   of its own. Only for standalone Redis: in a Cluster the route and the user's keys live in different slots.
 * The body sees `base` (the user's key base) and its own arguments from ARGV[2]. A route that names nobody
 * answers `miss`, the body's own "not found".
 */
export interface UserSlotScript {
  readonly direct: RedisScript;
  readonly routed: RedisScript;
}

export function userSlotScript(name: string, miss: string, body: string): UserSlotScript {
  return {
    direct: script(name, `local base = ARGV[1]\n${body}`),
    routed: script(`${name} (routed)`, `${KEY_PART_LUA}
local owner = redis.call('GET', KEYS[1])
if not owner then return ${miss} end
local base = ARGV[1] .. 'user:{' .. keypart(owner) .. '}:'
${body}`),
  };
}

/**
 * The revocation feed, inside the scripts that end sessions: the notice is published by the same atomic step,
 * so no end goes unannounced and none is announced that did not happen. The channel is the user's key base ..
 * "ended": under the user's hash tag, so SPUBLISH stays in the script's slot on a Cluster. `command` is
 * "SPUBLISH", "PUBLISH", or "" for none; the notice holds ids only.
 */
const ANNOUNCE_END_LUA = `
local function announce(command, base, id, user, now)
  if command == nil or command == '' or not id or not user then return end
  redis.call(command, base .. 'ended', cjson.encode({ sessionId = id, userId = user, at = tonumber(now) }))
end
`;

/**
 * Points a route key (session id or token hash, in its own slot) at a user. A route never changes owner while
 * it is alive, except when `ARGV[3]` names the dead owner it may replace. Keeps the longer TTL.
 * KEYS[1] route. ARGV[1] user id, ARGV[2] ttl ms, ARGV[3] "=" .. replaceable owner, or "".
 * Answers nil when the route is the user's, or the other owner.
 */
export const CLAIM_ROUTE = script("claimRoute", `
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] and ('=' .. owner) ~= ARGV[3] then return owner end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[2]) then ttl = ARGV[2] end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
return false
`);

/**
 * Creates a session in its user's slot: the record, the token index and the user index, with their TTLs, and
 * trims the user index of expired members. Refuses a live duplicate id (1) or token hash (2).
 * KEYS[1] user index, KEYS[2] record, KEYS[3] token index.
 * ARGV[1] now, ARGV[2] ttl ms, ARGV[3] expiresAt, ARGV[4] index member, ARGV[5] user key base, ARGV[6..] field/value pairs.
 */
export const CREATE_SESSION = script("createSession", `
local now = tonumber(ARGV[1])
local function live(key)
  local e = redis.call('HGET', key, 'expiresAt')
  return e and tonumber(e) > now
end
if live(KEYS[2]) then return 1 end
local holder = redis.call('GET', KEYS[3])
if holder and live(ARGV[5] .. 'session:' .. holder) then return 2 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 6))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

/**
 * The session a token index names, only if its record still carries that token hash (so a leftover index
 * entry can never lend another session's record).
 * ARGV[2] token index key part, ARGV[3] token hash.
 */
export const FIND_BY_TOKEN = userSlotScript("findSessionByTokenHash", "false", `
local member = redis.call('GET', base .. 'token:' .. ARGV[2])
if not member then return false end
local f = redis.call('HMGET', base .. 'session:' .. member, ${fieldList})
if f[3] ~= ARGV[3] then return false end
return f
`);

/**
 * A session's fields by its id. ARGV[2] the session id's key part.
 */
export const GET_SESSION = userSlotScript("getSession", "false", `
return redis.call('HMGET', base .. 'session:' .. ARGV[2], ${fieldList})
`);

/**
 * Looks a session up by token hash and ends it, in one step: the logout of the caller's own session. Answers the
 * fields of the session that was live (nil when there was none, or when its record no longer carries that token
 * hash). Removes record, token index and user index entry together, as REVOKE_SESSION does, and announces it.
 * ARGV[2] token index key part, ARGV[3] token hash, ARGV[4] now, ARGV[5] publish command.
 */
export const END_SESSION_BY_TOKEN = userSlotScript("endSessionByTokenHash", "false", `
${ANNOUNCE_END_LUA}
local tokenKey = base .. 'token:' .. ARGV[2]
local member = redis.call('GET', tokenKey)
if not member then return false end
local rec = base .. 'session:' .. member
local f = redis.call('HMGET', rec, ${fieldList})
if f[3] ~= ARGV[3] then return false end
redis.call('DEL', rec)
redis.call('DEL', tokenKey)
redis.call('ZREM', base .. 'sessions', member)
if not f[5] or tonumber(f[5]) <= tonumber(ARGV[4]) then return false end
announce(ARGV[5], base, f[1], f[2], ARGV[4])
return f
`);

/**
 * Every live session of a user, the fields of each in a row; drops expired and dangling index members first.
 * KEYS[1] user index. ARGV[1] now, ARGV[2] user key base.
 */
export const LIST_SESSIONS = script("listSessions", `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local out = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[2] .. 'session:' .. member, ${fieldList})
  if f[1] then
    for i = 1, #f do out[#out + 1] = f[i] end
  else
    redis.call('ZREM', KEYS[1], member)
  end
end
return out
`);

/**
 * Sets lastSeenAt of a live session; never recreates an ended one (a touch racing a logout loses).
 * ARGV[2] session id key part, ARGV[3] lastSeenAt, ARGV[4] now.
 */
export const TOUCH_SESSION = userSlotScript("touchSession", "0", `
local rec = base .. 'session:' .. ARGV[2]
local e = redis.call('HGET', rec, 'expiresAt')
if not e or tonumber(e) <= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', rec, 'lastSeenAt', ARGV[3])
return 1
`);

/**
 * Ends one session: record, token index and user index entry together, and announces it on the revocation feed.
 * Answers 1 when it was live.
 * ARGV[2] session id key part (the index member), ARGV[3] now, ARGV[4] publish command.
 */
export const REVOKE_SESSION = userSlotScript("revokeSession", "0", `
${ANNOUNCE_END_LUA}
local rec = base .. 'session:' .. ARGV[2]
local f = redis.call('HMGET', rec, 'expiresAt', 'tokenKey', 'id', 'userId')
redis.call('ZREM', base .. 'sessions', ARGV[2])
if not f[1] then return 0 end
redis.call('DEL', rec)
if f[2] and redis.call('GET', f[2]) == ARGV[2] then redis.call('DEL', f[2]) end
if tonumber(f[1]) > tonumber(ARGV[3]) then
  announce(ARGV[4], base, f[3], f[4], ARGV[3])
  return 1
end
return 0
`);

/**
 * Ends every live session of a user, but the one named in ARGV[4] when ARGV[3] is "1", and only those of the
 * API key ARGV[6] when ARGV[5] is "1", announcing each on the revocation feed (ARGV[7] publish command).
 * Answers how many live sessions ended, followed by the id of every record it removed (so the all-sessions
 * index can forget them).
 * KEYS[1] user index. ARGV[1] now, ARGV[2] user key base.
 */
export const REVOKE_USER_SESSIONS = script("revokeUserSessions", `
${ANNOUNCE_END_LUA}
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = 0
local removed = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not (ARGV[3] == '1' and member == ARGV[4]) then
    local rec = ARGV[2] .. 'session:' .. member
    local f = redis.call('HMGET', rec, 'expiresAt', 'tokenKey', 'apiKeyId', 'id', 'userId')
    if not f[1] then
      redis.call('ZREM', KEYS[1], member)
    elseif ARGV[5] ~= '1' or f[3] == ARGV[6] then
      redis.call('ZREM', KEYS[1], member)
      redis.call('DEL', rec)
      if f[2] and redis.call('GET', f[2]) == member then redis.call('DEL', f[2]) end
      if tonumber(f[1]) > now then
        n = n + 1
        announce(ARGV[7], ARGV[2], f[4], f[5], ARGV[1])
      end
      removed[#removed + 1] = f[4] or member
    end
  end
end
table.insert(removed, 1, n)
return removed
`);

/**
 * A counter whose window starts at its first hit: INCR and PEXPIRE in one step, so a crash between them can
 * never leave a counter without a TTL (that would throttle a user forever).
 * KEYS[1] counter. ARGV[1] window ms.
 */
export const INCREMENT_COUNTER = script("incrementCounter", `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`);

/**
 * Keeps the later of the stored and the new JWT cut-off (a late, older revoke never un-revokes anything), and
 * the longer TTL. The winning value is stored as sent, never re-formatted by Lua.
 * KEYS[1] cut-off. ARGV[1] issuedBefore, ARGV[2] ttl ms (may be <= 0).
 */
export const JWT_CUTOFF = script("revokeJwtsIssuedBefore", `
local cut = ARGV[1]
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) > tonumber(cut) then cut = cur end
local ttl = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[1], cut, 'PX', ttl)
return 1
`);

export const ALL_SCRIPTS: readonly RedisScript[] = [
  CLAIM_ROUTE,
  CREATE_SESSION,
  ...[FIND_BY_TOKEN, GET_SESSION, END_SESSION_BY_TOKEN, TOUCH_SESSION, REVOKE_SESSION].flatMap((s) => [s.direct, s.routed]),
  REVOKE_USER_SESSIONS,
  INCREMENT_COUNTER,
  JWT_CUTOFF,
];
