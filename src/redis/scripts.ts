/**
 * The Lua scripts of the Redis store: one per operation, each one atomic round trip.
 * Their semantics are those of `createMemoryStore` (src/store/memory.ts), step for step.
 *
 * Budgets are hashes {spent, reserved, inputTokens, outputTokens, requests} of integers
 * (nano-USD and counts, changed with HINCRBY). A GCRA key is a string holding the
 * theoretical arrival time and the clock reading of its last write, `"<tat> <at>"`, doubles
 * written with `%.17g` so they round-trip exactly (Lua's `tostring` keeps 14 digits, which
 * loses sub-millisecond precision on epoch times). A key written by an older version holds
 * the arrival time alone, and is read as written now.
 */

import { CLOCK_STEP_MS } from '../store/types.js';

/** Reads the five counters into locals; the reply of every budget script. */
const READ = `
local function int(x) return string.format('%.0f', x) end
local v = redis.call('HMGET', KEYS[1], 'spent', 'reserved', 'inputTokens', 'outputTokens', 'requests')
local spent = tonumber(v[1]) or 0
local reserved = tonumber(v[2]) or 0
local inputTokens = tonumber(v[3]) or 0
local outputTokens = tonumber(v[4]) or 0
local requests = tonumber(v[5]) or 0
`;

/** ARGV: amount, limit ('' = none), ttlMs ('' = keep). → {ok, spent, reserved, in, out, requests} */
export const RESERVE = `${READ}
local amount = tonumber(ARGV[1])
local ok = 0
if ARGV[2] == '' or spent + reserved + amount <= tonumber(ARGV[2]) then
  reserved = redis.call('HINCRBY', KEYS[1], 'reserved', amount)
  ok = 1
end
if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return {ok, spent, reserved, inputTokens, outputTokens, requests}
`;

/**
 * KEYS: budget, settlement marker. ARGV: reservedAmount, cost, inputTokens, outputTokens,
 * ttlMs ('' = keep), markerTtlMs ('' = no settlement id). With a settlement id, a marker
 * already set means this settlement was applied: nothing changes (idempotent retries).
 * → {spent, reserved, in, out, requests}
 */
export const SETTLE = `${READ}
if ARGV[6] ~= '' and not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[6]) then
  return {spent, reserved, inputTokens, outputTokens, requests}
end
local left = math.max(0, reserved - tonumber(ARGV[1]))
reserved = redis.call('HINCRBY', KEYS[1], 'reserved', int(left - reserved))
spent = redis.call('HINCRBY', KEYS[1], 'spent', ARGV[2])
inputTokens = redis.call('HINCRBY', KEYS[1], 'inputTokens', ARGV[3])
outputTokens = redis.call('HINCRBY', KEYS[1], 'outputTokens', ARGV[4])
requests = redis.call('HINCRBY', KEYS[1], 'requests', 1)
if ARGV[5] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
return {spent, reserved, inputTokens, outputTokens, requests}
`;

/** ARGV: amount. An unknown key stays unknown. → {spent, reserved, in, out, requests} */
export const RELEASE = `${READ}
if redis.call('EXISTS', KEYS[1]) == 1 then
  local left = math.max(0, reserved - tonumber(ARGV[1]))
  reserved = redis.call('HINCRBY', KEYS[1], 'reserved', int(left - reserved))
end
return {spent, reserved, inputTokens, outputTokens, requests}
`;

/** → {spent, reserved, in, out, requests} */
export const READ_BUDGET = `${READ}
return {spent, reserved, inputTokens, outputTokens, requests}
`;

/**
 * Reads a GCRA key on the clock `now` into `tat` and `at` (nil when the key is unknown). A
 * clock stepped back by more than CLOCK_STEP_MS since the last write moves the key back by
 * the step, and the move is written at once (see `Store.rateTake`).
 */
const READ_RATE = `
local function write(tat, at, ttl)
  redis.call('SET', KEYS[1], string.format('%.17g %.17g', tat, at), 'PX', string.format('%.0f', ttl))
end
local window = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local tat, at
local raw = redis.call('GET', KEYS[1])
if raw then
  local t, a = string.match(raw, '^(%S+) (%S+)$')
  if t then
    tat, at = tonumber(t), tonumber(a)
  else
    tat, at = tonumber(raw), now
  end
  if at - now > ${CLOCK_STEP_MS} then
    tat = tat - (at - now)
    at = now
    write(tat, at, math.max(1, math.ceil(math.max(window, tat - now))))
  end
end
`;

/** ARGV: cost, limit, windowMs, now. → {ok, retryAfterMs} */
export const RATE_TAKE = `${READ_RATE}
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local interval = window / limit
if tat == nil or tat < now then tat = now end
local newTat = tat + cost * interval
local allowAt = newTat - window
if allowAt > now then
  return {0, math.ceil(allowAt - now)}
end
write(newTat, math.max(at or now, now), math.max(1, math.ceil(math.max(window, newTat - now))))
return {1, 0}
`;

/** ARGV: delta, limit, windowMs, now. An unknown (or expired) key is left alone. */
export const RATE_ADJUST = `${READ_RATE}
if tat == nil then return 0 end
local newTat = math.max(now, tat + (tonumber(ARGV[1]) * window) / tonumber(ARGV[2]))
write(newTat, math.max(at, now), math.max(1, math.ceil(math.max(window, newTat - now))))
return 1
`;
