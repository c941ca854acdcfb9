import { RECORD_AUTHENTICATION_LUA, script } from "./redis-scripts.js";
import { TOTP_COUNTER_SLACK_MS, TOTP_DAY_MS } from "../totp/throttle-clock.js";

/**
 * A TOTP attempt in one script, so one round trip (`RedisSessionStore.attemptTotp`). The rules are those of the
 * marker-based throttle in `handlers/totp-throttle.ts`, run atomically instead of in several calls:
 *
 * 1. Refused, counting nothing, while the day's lock-outs have reached the cap or a lock-out holds.
 * 2. The attempt is counted in the clock-aligned window of `now`; failures are this window's attempts minus its
 *    passes, plus the previous window's unless a lock-out already punished them.
 * 3. More failures than `maxFailures`: a parallel burst got past the count; it is refused and locks out.
 * 4. A matching step is spent with `SET NX` (and the earlier steps the window still takes); already spent, it is
 *    a replay, which is a failure. A pass is counted so it does not count as a failure.
 * 5. The failure that reaches `maxFailures` starts a lock-out of `failureWindowMs` from `now`, counted towards
 *    the day's cap, and marks this window's failures as punished.
 *
 * 6. With a step-up asked for, a pass also records it on the caller's session record (as `recordAuthentication`
 *    does), in the same step: the code is spent and the session fresh together, or neither.
 *
 * Every key lives under the user's hash tag (`{prefix}totp:{user}:`, and the session record `{prefix}user:{user}:…`
 * carries the same tag), so the script runs in one slot on a Cluster too. Times come from the app (`now`): the lock-out holds its end as its value, so it ends when the
 * app's clock says, and each key's TTL only frees memory after.
 *
 * KEYS[1] the user's lock key (routes the call). ARGV[1] the user's key base, [2] now, [3] failureWindowMs,
 * [4] maxFailures, [5] maxLockoutsPerDay, [6] periodMs, [7] window, [8] matched step or "", [9] the session record
 * to record a pass's step-up on, or "", [10] its method, [11..] older steps.
 * Answers `{ "throttled", retryAfterMs }`, `{ "wrong" | "replayed", failures }` or `{ "passed", failures }`, with
 * a third entry on a pass with a step-up: 1 when the session was live and the step-up recorded, else 0.
 */
export const TOTP_ATTEMPT = script("attemptTotp", `${RECORD_AUTHENTICATION_LUA}
local base = ARGV[1]
local now = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local maxFailures = tonumber(ARGV[4])
local maxLockouts = tonumber(ARGV[5])
local periodMs = tonumber(ARGV[6])
local steps = tonumber(ARGV[7])
local DAY = ${String(TOTP_DAY_MS)}
local SLACK = ${String(TOTP_COUNTER_SLACK_MS)}
local win = math.floor(now / windowMs)
local day = math.floor(now / DAY)
local dayEnd = (day + 1) * DAY
local counterTtl = (win + 2) * windowMs - now + SLACK
local lock = KEYS[1]
local lockouts = base .. 'lockouts:' .. day
local function count(key, ttl)
  local n = redis.call('INCR', key)
  if n == 1 or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ttl) end
  return n
end
local function number(key)
  return tonumber(redis.call('GET', key) or '0')
end

if number(lockouts) >= maxLockouts then return { 'throttled', dayEnd - now } end
local lockedUntil = tonumber(redis.call('GET', lock) or '0')
if lockedUntil > now then return { 'throttled', lockedUntil - now } end

local attempts = count(base .. 'attempts:' .. win, counterTtl)
local passes = number(base .. 'passes:' .. win)
local earlier = 0
if redis.call('EXISTS', base .. 'punished:' .. (win - 1)) == 0 then
  earlier = math.max(0, number(base .. 'attempts:' .. (win - 1)) - number(base .. 'passes:' .. (win - 1)))
end
local failures = math.max(0, attempts - passes) + earlier

local function lockOut()
  redis.call('SET', lock, tostring(now + windowMs), 'PX', windowMs + SLACK)
  count(lockouts, dayEnd - now + SLACK)
  redis.call('SET', base .. 'punished:' .. win, '1', 'PX', counterTtl)
end

if failures > maxFailures then
  lockOut()
  return { 'throttled', windowMs }
end
if ARGV[8] ~= '' then
  local step = tonumber(ARGV[8])
  if redis.call('SET', base .. 'step:' .. step, '1', 'NX', 'PX', (step + steps + 2) * periodMs - now) then
    for i = 11, #ARGV do
      local older = tonumber(ARGV[i])
      redis.call('SET', base .. 'step:' .. older, '1', 'NX', 'PX', (older + steps + 2) * periodMs - now)
    end
    count(base .. 'passes:' .. win, counterTtl)
    if ARGV[9] ~= '' then return { 'passed', failures, recordAuthentication(ARGV[9], ARGV[2], ARGV[2], ARGV[10]) } end
    return { 'passed', failures }
  end
  if failures >= maxFailures then lockOut() end
  return { 'replayed', failures }
end
if failures >= maxFailures then lockOut() end
return { 'wrong', failures }
`);
