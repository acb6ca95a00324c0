/**
 * The Lua scripts of the Redis store: one per operation, each one atomic round trip, every
 * budget line of a call in the same script (they share the tenant's hash tag, so one slot).
 * Their semantics are those of `createMemoryStore` (src/store/memory.ts), step for step;
 * each reply ends with the clock the script ran on, so the store can follow the server's.
 *
 * Budgets are hashes {spent, reserved, inputTokens, outputTokens, requests} of integers
 * (nano-USD and counts, changed with HINCRBY). A GCRA key is a string holding the
 * theoretical arrival time and the clock reading of its last write, `"<tat> <at>"`, doubles
 * written with `%.17g` so they round-trip exactly (Lua's `tostring` keeps 14 digits, which
 * loses sub-millisecond precision on epoch times). A key written by an older version holds
 * the arrival time alone, and is read as written now.
 */

import { CLOCK_STEP_MS } from '../store/types.js';

/**
 * The clock of every script: ARGV[1], or the Redis server's `TIME` when it is '' (the
 * default), so instance clocks do not matter. Scripts that write after reading `TIME` are
 * replicated by their effects (the default since Redis 5).
 */
const CLOCK = `
local function int(x) return string.format('%.0f', x) end
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Budgets. KEYS come in pairs per budget line: the counters hash `b` (spent, reserved,
 * inputTokens, outputTokens, requests, and `lease:<id>` = the amount a lease holds) and the
 * leases' expiry zset `z` (member: lease id; score: when it lapses). `reap` gives back what
 * lapsed leases held (at most 100 per touch: a backlog drains over the next touches).
 */
const BUDGET = `${CLOCK}
local function reap(b, z)
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', now, 'LIMIT', 0, 100)
  if #gone == 0 then return end
  local freed = 0
  for _, id in ipairs(gone) do
    freed = freed + (tonumber(redis.call('HGET', b, 'lease:' .. id)) or 0)
    redis.call('HDEL', b, 'lease:' .. id)
  end
  redis.call('ZREM', z, unpack(gone))
  if freed > 0 then
    local reserved = tonumber(redis.call('HGET', b, 'reserved')) or 0
    redis.call('HSET', b, 'reserved', int(math.max(0, reserved - freed)))
  end
end
local function state(b)
  local v = redis.call('HMGET', b, 'spent', 'reserved', 'inputTokens', 'outputTokens', 'requests')
  return {tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[4]) or 0, tonumber(v[5]) or 0}
end
-- Ends lease id in b/z: what it held is reserved no more.
local function finish(b, z, id)
  local held = tonumber(redis.call('HGET', b, 'lease:' .. id))
  redis.call('ZREM', z, id)
  if not held then return end
  redis.call('HDEL', b, 'lease:' .. id)
  local reserved = tonumber(redis.call('HGET', b, 'reserved')) or 0
  redis.call('HSET', b, 'reserved', int(math.max(0, reserved - held)))
end
local function lines() return #KEYS / 2 end
`;

/**
 * KEYS: b1, z1, b2, z2, …. ARGV: now, amount, lease id, lease ttl, then per line its limit
 * ('' = none) and its key's ttl ('' = keep). All or nothing.
 * → {ok, index, spent, reserved, in, out, requests, now}
 */
export const RESERVE = `${BUDGET}
local amount = tonumber(ARGV[2])
local id, ttl = ARGV[3], tonumber(ARGV[4])
for i = 1, lines() do
  local b, z = KEYS[2 * i - 1], KEYS[2 * i]
  reap(b, z)
  local limit = ARGV[3 + 2 * i]
  if limit ~= '' then
    local s = state(b)
    if s[1] + s[2] + amount > tonumber(limit) then
      return {0, i - 1, s[1], s[2], s[3], s[4], s[5], now}
    end
  end
end
for i = 1, lines() do
  local b, z = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('HINCRBY', b, 'reserved', amount)
  redis.call('HINCRBY', b, 'lease:' .. id, amount)
  redis.call('ZADD', z, now + ttl, id)
  if redis.call('PTTL', z) < ttl then redis.call('PEXPIRE', z, ttl + 60000) end
  local keyTtl = ARGV[4 + 2 * i]
  if keyTtl ~= '' then redis.call('PEXPIRE', b, keyTtl) end
end
local s = state(KEYS[1])
return {1, 0, s[1], s[2], s[3], s[4], s[5], now}
`;

/**
 * KEYS: settlement marker, then b1, z1, b2, z2, …. ARGV: now, lease id, cost, inputTokens,
 * outputTokens, marker ttl, then per line its key's ttl ('' = keep). A marker already set
 * means this lease was settled: nothing changes (idempotent retries).
 * → {now, then per line spent, reserved, in, out, requests}
 */
export const SETTLE = `${BUDGET}
local marker = table.remove(KEYS, 1)
local out = {now}
local applied = redis.call('SET', marker, '1', 'NX', 'PX', ARGV[6])
for i = 1, lines() do
  local b, z = KEYS[2 * i - 1], KEYS[2 * i]
  reap(b, z)
  if applied then
    finish(b, z, ARGV[2])
    redis.call('HSETNX', b, 'reserved', 0)
    redis.call('HINCRBY', b, 'spent', ARGV[3])
    redis.call('HINCRBY', b, 'inputTokens', ARGV[4])
    redis.call('HINCRBY', b, 'outputTokens', ARGV[5])
    redis.call('HINCRBY', b, 'requests', 1)
    local keyTtl = ARGV[6 + i]
    if keyTtl ~= '' then redis.call('PEXPIRE', b, keyTtl) end
  end
  for _, x in ipairs(state(b)) do out[#out + 1] = x end
end
return out
`;

/** KEYS: b1, z1, …. ARGV: now, lease id. An unknown key stays unknown. → now */
export const RELEASE = `${BUDGET}
for i = 1, lines() do
  local b, z = KEYS[2 * i - 1], KEYS[2 * i]
  reap(b, z)
  finish(b, z, ARGV[2])
end
return now
`;

/** KEYS: b1, z1, …. ARGV: now, lease id, lease ttl. A lease already ended stays ended. → now */
export const RENEW = `${BUDGET}
local ttl = tonumber(ARGV[3])
for i = 1, lines() do
  local b, z = KEYS[2 * i - 1], KEYS[2 * i]
  if redis.call('ZSCORE', z, ARGV[2]) then
    redis.call('ZADD', z, 'XX', now + ttl, ARGV[2])
    if redis.call('PTTL', z) < ttl then redis.call('PEXPIRE', z, ttl + 60000) end
  end
end
return now
`;

/** KEYS: b, z. ARGV: now. → {spent, reserved, in, out, requests, now} */
export const READ_BUDGET = `${BUDGET}
reap(KEYS[1], KEYS[2])
local s = state(KEYS[1])
s[6] = now
return s
`;

/**
 * Reads a GCRA key on the clock `now` into `tat` and `at` (nil when the key is unknown). A
 * clock stepped back by more than CLOCK_STEP_MS since the last write moves the key back by
 * the step, and the move is written at once (see `Store.rateTake`).
 */
const READ_RATE = `${CLOCK}
local function write(tat, at, ttl)
  redis.call('SET', KEYS[1], string.format('%.17g %.17g', tat, at), 'PX', string.format('%.0f', ttl))
end
local window = tonumber(ARGV[4])
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

/** ARGV: now, cost, limit, windowMs. → {ok, retryAfterMs, now} */
export const RATE_TAKE = `${READ_RATE}
local cost = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local interval = window / limit
if tat == nil or tat < now then tat = now end
local newTat = tat + cost * interval
local allowAt = newTat - window
if allowAt > now then
  return {0, math.ceil(allowAt - now), now}
end
write(newTat, math.max(at or now, now), math.max(1, math.ceil(math.max(window, newTat - now))))
return {1, 0, now}
`;

/** ARGV: now, delta, limit, windowMs. An unknown (or expired) key is left alone. → now */
export const RATE_ADJUST = `${READ_RATE}
if tat == nil then return now end
local newTat = math.max(now, tat + (tonumber(ARGV[2]) * window) / tonumber(ARGV[3]))
write(newTat, math.max(at, now), math.max(1, math.ceil(math.max(window, newTat - now))))
return now
`;
