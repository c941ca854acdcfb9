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
  "idleTimeoutMs",
  "authenticatedAt",
  "amr",
] as const;

/**
 * Lua helpers every script that decides liveness shares. A session ends at the earlier of its absolute
 * `expiresAt` and, with an idle timeout, `idleTimeoutMs` after `lastSeenAt` (or `createdAt`): the same rule as
 * `sessionEndsAt` in JavaScript. The record's own key TTL follows that moment too, so Redis frees an idle session
 * by itself; the check here is what makes the answer exact whatever the TTL's rounding.
 */
const ENDS_LUA = `
local function ends(e, seen, created, idle)
  local d = tonumber(e)
  if idle then
    local i = tonumber(seen or created) + tonumber(idle)
    if i < d then d = i end
  end
  return d
end
local function endsOf(key)
  local f = redis.call('HMGET', key, 'expiresAt', 'lastSeenAt', 'createdAt', 'idleTimeoutMs')
  if not f[1] then return nil end
  return ends(f[1], f[2], f[3], f[4])
end
`;

const fieldList = SESSION_FIELDS.map((f) => `'${f}'`).join(", ");

export interface RedisScript {
  readonly name: string;
  readonly source: string;
  /** SHA-1 of the source, as Redis computes it: EVALSHA needs no SCRIPT LOAD round trip to learn it. */
  readonly sha: string;
}

/** A script and its SHA-1, computed here so EVALSHA needs no SCRIPT LOAD. */
export function script(name: string, source: string): RedisScript {
  const text = source.trim();
  return { name, source: text, sha: createHash("sha1").update(text, "utf8").digest("hex") };
}

/**
 * Lua for the store's `keyPart`: escapes `%`, `{`, `}` and `:` as `%xx`, and a character outside the BMP (four
 * UTF-8 bytes here, a surrogate pair in JavaScript) as its two `%uxxxx` halves, so a key built in a script is
 * byte for byte the key the store builds in JavaScript. The empty string is `%`.
 *
 * A part with nothing to escape (most user ids) is returned after one scan: the two substitutions would each
 * build a closure and a new string for nothing, about 1.5 µs of Redis time on every routed lookup and logout.
 */
const KEY_PART_LUA = `
local function keypart(s)
  if s == '' then return '%' end
  if not string.find(s, '[%%{}:\\240-\\244]') then return s end
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
 * The body shared by both create scripts: refuses a live duplicate id ({1}) or token hash ({2}), then writes the
 * record, the token index and the user index with their TTLs and trims the user index of expired members. With a
 * limit (`limitArg` names the ARGV index of the maximum, the next one the policy), the user's live sessions are
 * counted in the same script: at the limit it refuses ({3}) or ends the least recently used first, announcing each
 * on the revocation feed (the ARGV after the policy names the publish command), and answers {0, ended ids...}.
 * KEYS[1] user index, KEYS[2] record, KEYS[3] token index. ARGV[1] now, ARGV[2] ttl ms (until the session's
 * end, idle or absolute), ARGV[3] that end (the index score), ARGV[4] index member, ARGV[5] user key base.
 */
function createLua(fieldsFrom: number, limitArg: number | undefined): string {
  const limit = limitArg === undefined ? "" : `
local max = tonumber(ARGV[${String(limitArg)}])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local alive = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local rec = ARGV[5] .. 'session:' .. member
  local f = redis.call('HMGET', rec, 'expiresAt', 'lastSeenAt', 'createdAt', 'idleTimeoutMs', 'id', 'tokenKey', 'userId')
  if not f[1] then
    redis.call('ZREM', KEYS[1], member)
  elseif ends(f[1], f[2], f[3], f[4]) > now then
    alive[#alive + 1] = { member = member, rec = rec, seen = tonumber(f[2] or f[3]), created = tonumber(f[3]), id = f[5], tokenKey = f[6], user = f[7] }
  end
end
local excess = #alive - max + 1
if excess > 0 and ARGV[${String(limitArg + 1)}] == 'refuse' then return {3} end
if excess > 0 then
  table.sort(alive, function(a, b)
    if a.seen ~= b.seen then return a.seen < b.seen end
    return a.created < b.created
  end)
  for i = 1, excess do
    local v = alive[i]
    redis.call('ZREM', KEYS[1], v.member)
    redis.call('DEL', v.rec)
    if v.tokenKey and redis.call('GET', v.tokenKey) == v.member then redis.call('DEL', v.tokenKey) end
    announce(ARGV[${String(limitArg + 2)}], ARGV[5], v.id, v.user, ARGV[1])
    ended[#ended + 1] = v.id
  end
end`;
  return `${ENDS_LUA}
${limitArg === undefined ? "" : ANNOUNCE_END_LUA}
local now = tonumber(ARGV[1])
local function live(key)
  local e = endsOf(key)
  return e and e > now
end
if live(KEYS[2]) then return {1} end
local holder = redis.call('GET', KEYS[3])
if holder and live(ARGV[5] .. 'session:' .. holder) then return {2} end
local ended = {}
${limit}
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, ${String(fieldsFrom)}))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local out = {0}
for i = 1, #ended do out[#out + 1] = ended[i] end
return out
`;
}

/** Creates a session. ARGV[6..] field/value pairs. Answers {0}, or {1}/{2} for a live duplicate id/token hash. */
export const CREATE_SESSION = script("createSession", createLua(6, undefined));

/**
 * Creates a session within a per-user limit, atomically with counting the user's live sessions (two instances
 * logging the same user in at once cannot both take the last place). ARGV[6] the limit, ARGV[7] `"refuse"` or
 * `"end-least-recently-used"`, ARGV[8] the publish command ("" for none), ARGV[9..] field/value pairs. Answers
 * {0, ended ids...}, {1}, {2}, or {3} (refused).
 */
export const CREATE_SESSION_WITHIN_LIMIT = script("createSessionWithinLimit", createLua(9, 6));

/**
 * Lua that finds the session a token hash names in the user's slot `base`: its fields (as HMGET of
 * SESSION_FIELDS), its index member and its token key; nil when there is none, or when its record no longer
 * carries that token hash. `part` is the token hash's key part.
 */
const TOKEN_SESSION_LUA = `
local function tokenSession(base, part, hash)
  local tokenKey = base .. 'token:' .. part
  local member = redis.call('GET', tokenKey)
  if not member then return nil end
  local f = redis.call('HMGET', base .. 'session:' .. member, ${fieldList})
  if f[3] ~= hash then return nil end
  return f, member, tokenKey
end
`;

/**
 * The session a token index names, only if its record still carries that token hash (so a leftover index
 * entry can never lend another session's record).
 * ARGV[2] token index key part, ARGV[3] token hash.
 */
export const FIND_BY_TOKEN = userSlotScript("findSessionByTokenHash", "false", `${TOKEN_SESSION_LUA}
return tokenSession(base, ARGV[2], ARGV[3]) or false
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
 * With ARGV[6], a live session's ending also claims that one-time marker (SET NX), for ARGV[7] ms or until the
 * session would have expired, whichever is later.
 * ARGV[2] token index key part, ARGV[3] token hash, ARGV[4] now, ARGV[5] publish command, ARGV[6] marker key, or
 * "", ARGV[7] the marker's least ttl ms.
 */
export const END_SESSION_BY_TOKEN = userSlotScript("endSessionByTokenHash", "false", `${ENDS_LUA}
${ANNOUNCE_END_LUA}
${TOKEN_SESSION_LUA}
local f, member, tokenKey = tokenSession(base, ARGV[2], ARGV[3])
if not f then return false end
local now = tonumber(ARGV[4])
local live = f[5] and ends(f[5], f[6], f[4], f[12]) > now
-- The marker first: a key this script may not reach (another slot of a Cluster) fails it before anything is removed.
if live and ARGV[6] ~= '' then redis.call('SET', ARGV[6], '1', 'NX', 'PX', math.max(tonumber(ARGV[7]), math.ceil(tonumber(f[5]) - now))) end
redis.call('DEL', base .. 'session:' .. member, tokenKey)
redis.call('ZREM', base .. 'sessions', member)
if not live then return false end
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
 * Records activity of a live session and never recreates an ended one (a touch racing a logout loses).
 * lastSeenAt is stored as sent. With an idle timeout, the record's and the token index's TTLs and the user-index
 * score follow the new end, capped by the absolute expiry.
 * ARGV[2] session id key part (the index member), ARGV[3] lastSeenAt, ARGV[4] now.
 */
export const TOUCH_SESSION = userSlotScript("touchSession", "0", `${ENDS_LUA}
local rec = base .. 'session:' .. ARGV[2]
local now = tonumber(ARGV[4])
local f = redis.call('HMGET', rec, 'expiresAt', 'lastSeenAt', 'createdAt', 'idleTimeoutMs', 'tokenKey')
if not f[1] or ends(f[1], f[2], f[3], f[4]) <= now then return 0 end
redis.call('HSET', rec, 'lastSeenAt', ARGV[3])
if f[4] then
  local e = ends(f[1], ARGV[3], f[3], f[4])
  local ttl = math.ceil(e - now)
  if ttl > 0 then
    local index = base .. 'sessions'
    redis.call('PEXPIRE', rec, ttl)
    if f[5] and redis.call('GET', f[5]) == ARGV[2] then redis.call('PEXPIRE', f[5], ttl) end
    redis.call('ZADD', index, 'XX', e, ARGV[2])
    if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
  end
end
return 1
`);

/**
 * Lua that records a step-up on the live session record `rec`, for RECORD_AUTHENTICATION and the TOTP attempt
 * that passes: authenticatedAt becomes the later of its value and `at` (stored as sent), and `method` moves to the
 * end of amr (comma-separated, each method once, at most 8). Answers 1 when the session was live at `now`, else 0.
 */
export const RECORD_AUTHENTICATION_LUA = `${ENDS_LUA}
local function recordAuthentication(rec, at, now, method)
  local f = redis.call('HMGET', rec, 'expiresAt', 'lastSeenAt', 'createdAt', 'idleTimeoutMs', 'authenticatedAt', 'amr')
  if not f[1] or ends(f[1], f[2], f[3], f[4]) <= tonumber(now) then return 0 end
  if tonumber(at) > tonumber(f[5] or f[3]) then redis.call('HSET', rec, 'authenticatedAt', at) end
  local methods = {}
  if f[6] then
    for m in string.gmatch(f[6], '[^,]+') do
      if m ~= method then methods[#methods + 1] = m end
    end
  end
  methods[#methods + 1] = method
  while #methods > 8 do table.remove(methods, 1) end
  redis.call('HSET', rec, 'amr', table.concat(methods, ','))
  return 1
end
`;

/**
 * Records a step-up of a live session: authenticatedAt becomes the later of its value and ARGV[3] (stored as
 * sent), and the method moves to the end of amr (comma-separated, each method once, at most 8).
 * ARGV[2] session id key part, ARGV[3] at, ARGV[4] now, ARGV[5] method. Answers 1 when the session was live.
 */
export const RECORD_AUTHENTICATION = userSlotScript("recordAuthentication", "0", `${RECORD_AUTHENTICATION_LUA}
return recordAuthentication(base .. 'session:' .. ARGV[2], ARGV[3], ARGV[4], ARGV[5])
`);

/**
 * Ends one session: record, token index and user index entry together, and announces it on the revocation feed.
 * Answers 1 when it was live.
 * ARGV[2] session id key part (the index member), ARGV[3] now, ARGV[4] publish command.
 */
export const REVOKE_SESSION = userSlotScript("revokeSession", "0", `${ENDS_LUA}
${ANNOUNCE_END_LUA}
local rec = base .. 'session:' .. ARGV[2]
local f = redis.call('HMGET', rec, 'expiresAt', 'tokenKey', 'id', 'userId', 'lastSeenAt', 'createdAt', 'idleTimeoutMs')
redis.call('ZREM', base .. 'sessions', ARGV[2])
if not f[1] then return 0 end
redis.call('DEL', rec)
if f[2] and redis.call('GET', f[2]) == ARGV[2] then redis.call('DEL', f[2]) end
if ends(f[1], f[5], f[6], f[7]) > tonumber(ARGV[3]) then
  announce(ARGV[4], base, f[3], f[4], ARGV[3])
  return 1
end
return 0
`);

/**
 * Ends the live session with this id and answers its fields as they were (nil, with nothing changed, when there is
 * none, it has ended, or it is not the user's that ARGV[6] names): the read and the revoke of a session named by id
 * in one step. With ARGV[7], also claims that one-time marker (SET NX, ARGV[8] ms) before anything is removed, so a
 * session never ends without it and a refusal to reach the marker's key leaves everything as it was.
 * ARGV[2] session id key part (the index member), ARGV[3] session id, ARGV[4] now, ARGV[5] publish command,
 * ARGV[6] "=" .. required user id, or "", ARGV[7] marker key, or "", ARGV[8] marker ttl ms.
 */
export const END_SESSION_BY_ID = userSlotScript("endSessionById", "false", `${ENDS_LUA}
${ANNOUNCE_END_LUA}
local rec = base .. 'session:' .. ARGV[2]
-- The record's token key is read with its fields (one call, not two) and left out of the answer.
local f = redis.call('HMGET', rec, ${fieldList}, 'tokenKey')
local tokenKey = f[${String(SESSION_FIELDS.length + 1)}]
f[${String(SESSION_FIELDS.length + 1)}] = nil
if f[1] ~= ARGV[3] then return false end
if ARGV[6] ~= '' and ('=' .. (f[2] or '')) ~= ARGV[6] then return false end
if not f[5] or ends(f[5], f[6], f[4], f[12]) <= tonumber(ARGV[4]) then return false end
if ARGV[7] ~= '' then redis.call('SET', ARGV[7], '1', 'NX', 'PX', ARGV[8]) end
redis.call('ZREM', base .. 'sessions', ARGV[2])
redis.call('DEL', rec)
if tokenKey and redis.call('GET', tokenKey) == ARGV[2] then redis.call('DEL', tokenKey) end
announce(ARGV[5], base, f[1], f[2], ARGV[4])
return f
`);

/**
 * Lua that ends every live session of a user, for REVOKE_USER_SESSIONS and END_USER_SESSIONS_BY_TOKEN: every
 * member of the user index `index` (key base `base`) but `except` (a member, or nil), and only those of API key
 * `apiKeyId` when it is given, announcing each on the revocation feed. Drops expired and dangling members on the
 * way. Answers how many live sessions ended and the id of every record removed (so the all-sessions index can
 * forget them).
 */
const END_USER_SESSIONS_LUA = `
local function endUserSessions(base, index, now, except, apiKeyId, publish)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  local n = 0
  local removed = {}
  for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if member ~= except then
      local rec = base .. 'session:' .. member
      local f = redis.call('HMGET', rec, 'expiresAt', 'tokenKey', 'apiKeyId', 'id', 'userId', 'lastSeenAt', 'createdAt', 'idleTimeoutMs')
      if not f[1] then
        redis.call('ZREM', index, member)
      elseif not apiKeyId or f[3] == apiKeyId then
        redis.call('ZREM', index, member)
        redis.call('DEL', rec)
        if f[2] and redis.call('GET', f[2]) == member then redis.call('DEL', f[2]) end
        if ends(f[1], f[6], f[7], f[8]) > tonumber(now) then
          n = n + 1
          announce(publish, base, f[4], f[5], now)
        end
        removed[#removed + 1] = f[4] or member
      end
    end
  end
  return n, removed
end
`;

/**
 * Ends every live session of a user, but the one named in ARGV[4] when ARGV[3] is "1", and only those of the
 * API key ARGV[6] when ARGV[5] is "1", announcing each on the revocation feed (ARGV[7] publish command).
 * Answers how many live sessions ended, followed by the id of every record it removed.
 * KEYS[1] user index. ARGV[1] now, ARGV[2] user key base.
 */
export const REVOKE_USER_SESSIONS = script("revokeUserSessions", `${ENDS_LUA}
${ANNOUNCE_END_LUA}
${END_USER_SESSIONS_LUA}
local n, removed = endUserSessions(ARGV[2], KEYS[1], ARGV[1], ARGV[3] == '1' and ARGV[4] or nil, ARGV[5] == '1' and ARGV[6] or nil, ARGV[7])
table.insert(removed, 1, n)
return removed
`);

/**
 * Looks a session up by token hash and ends every live session of its user, in one step: the logout of "all"
 * (ARGV[6] "0") or of "others" (ARGV[6] "1": the caller's own session stays). Nothing ends unless the token
 * names a live session. Answers `{ fields of the caller's session, sessions ended, ids removed... }`, or nil.
 * ARGV[2] token index key part, ARGV[3] token hash, ARGV[4] now, ARGV[5] publish command.
 */
export const END_USER_SESSIONS_BY_TOKEN = userSlotScript("endUserSessionsByTokenHash", "false", `${ENDS_LUA}
${ANNOUNCE_END_LUA}
${END_USER_SESSIONS_LUA}
${TOKEN_SESSION_LUA}
local f, caller, tokenKey = tokenSession(base, ARGV[2], ARGV[3])
if not f then return false end
local rec = base .. 'session:' .. caller
if not f[5] or ends(f[5], f[6], f[4], f[12]) <= tonumber(ARGV[4]) then return false end
local keep = ARGV[6] == '1'
local n, removed = endUserSessions(base, base .. 'sessions', ARGV[4], keep and caller or nil, nil, ARGV[5])
if not keep and redis.call('EXISTS', rec) == 1 then
  -- A live session missing from its user's index still ends with the rest.
  redis.call('DEL', rec, tokenKey)
  n = n + 1
  announce(ARGV[5], base, f[1], f[2], ARGV[4])
  removed[#removed + 1] = f[1]
end
return { f, n, removed }
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
  CREATE_SESSION_WITHIN_LIMIT,
  ...[FIND_BY_TOKEN, GET_SESSION, END_SESSION_BY_TOKEN, END_USER_SESSIONS_BY_TOKEN, END_SESSION_BY_ID, TOUCH_SESSION, RECORD_AUTHENTICATION, REVOKE_SESSION].flatMap((s) => [s.direct, s.routed]),
  REVOKE_USER_SESSIONS,
  INCREMENT_COUNTER,
  JWT_CUTOFF,
];
