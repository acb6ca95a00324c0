/**
 * Shared circuit breakers on Redis (`Store.circuits` of `createRedisStore`): one hash per
 * deployment, changed only by the Lua scripts below, on the Redis server's clock (`TIME`),
 * so the instances' own clocks do not matter.
 *
 * Hash `<prefix>{circuit}:<model>:<provider>:<credential id>` (each part URI-encoded; the
 * `{circuit}` hash tag keeps every circuit in one Cluster slot, so one script reads them
 * all): `ws` start of the current window bucket, `cf`/`ct` failures and attempts in it,
 * `pf`/`pt` in the bucket before (weighted by how much of it the sliding window still
 * covers), `consec` consecutive failures, `until` open until (0: closed), `opened` when it
 * opened, `reason`, `code`, and the probe lease `probe` (its holder's token) until
 * `probeUntil`. It expires two windows after its last write (plus any cooldown left).
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type {
  CircuitReport,
  SharedCircuitOptions,
  SharedCircuitState,
  SharedCircuits,
  SharedOpenReason,
} from '../store/circuits.js';

const PRELUDE = `
local function int(x) return string.format('%.0f', x) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function load(key)
  local v = redis.call('HMGET', key, 'ws', 'cf', 'ct', 'pf', 'pt', 'consec', 'until', 'opened',
    'reason', 'code', 'probe', 'probeUntil')
  local c = {
    ws = tonumber(v[1]) or now, cf = tonumber(v[2]) or 0, ct = tonumber(v[3]) or 0,
    pf = tonumber(v[4]) or 0, pt = tonumber(v[5]) or 0, consec = tonumber(v[6]) or 0,
    untl = tonumber(v[7]) or 0, opened = tonumber(v[8]) or 0, reason = v[9] or '',
    code = v[10] or '', probe = v[11] or '', probeUntil = tonumber(v[12]) or 0,
  }
  if c.probeUntil <= now then c.probe = '' end
  return c
end

-- Moves the buckets on to now: the current one becomes the previous one, or both empty
-- (and the consecutive count with them) when a whole window has passed without a write.
local function roll(c, window)
  local elapsed = now - c.ws
  if elapsed < window then return end
  if elapsed >= 2 * window then
    c.pf, c.pt, c.consec = 0, 0, 0
  else
    c.pf, c.pt = c.cf, c.ct
  end
  c.cf, c.ct = 0, 0
  c.ws = now - (elapsed % window)
end

local function reply(c, changed)
  local state, retry = 'closed', 0
  if c.untl > 0 then
    if c.untl > now then state, retry = 'open', c.untl - now
    elseif c.probe ~= '' then state = 'half-open'
    else state = 'open' end
  end
  local failing = 0
  if c.untl > 0 or c.consec > 0 or c.cf > 0 or c.pf > 0 then failing = 1 end
  return {state, retry, failing, c.opened, c.reason, c.code, changed}
end
`;

/**
 * KEYS: circuit. ARGV: successes, failed (0/1), errorCode, probe (0/1), owner token,
 * consecutiveFailures, errorRate, minSamples, cooldownMs, windowMs.
 * → {state, retryInMs, failing, openedAt, reason, errorCode, changed}
 */
export const CIRCUIT_RECORD = `${PRELUDE}
local window = tonumber(ARGV[10])
local c = load(KEYS[1])
roll(c, window)
local successes = tonumber(ARGV[1])
local failed = ARGV[2] == '1'
c.ct = c.ct + successes
if successes > 0 then c.consec = 0 end
if failed then
  c.cf = c.cf + 1
  c.ct = c.ct + 1
  c.consec = c.consec + 1
end
local reason = nil
local changed = 0
if ARGV[4] == '1' and c.untl > 0 and c.probe == ARGV[5] then
  -- The probe's verdict: success closes the circuit for everyone, failure re-opens it.
  c.probe, c.probeUntil = '', 0
  if failed then
    reason = 'probe_failed'
  else
    c.untl, c.opened, c.reason, c.code = 0, 0, '', ''
    c.consec, c.cf, c.ct, c.pf, c.pt, c.ws = 0, 0, 0, 0, 0, now
    changed = 1
  end
elseif failed and c.untl == 0 then
  if c.consec >= tonumber(ARGV[6]) then
    reason = 'consecutive_failures'
  else
    local w = 1 - (now - c.ws) / window
    local total = c.ct + c.pt * w
    if total >= tonumber(ARGV[8]) and (c.cf + c.pf * w) / total >= tonumber(ARGV[7]) then
      reason = 'error_rate'
    end
  end
end
if reason then
  c.untl, c.opened, c.reason, c.code = now + tonumber(ARGV[9]), now, reason, ARGV[3]
  changed = 1
end
redis.call('HSET', KEYS[1], 'ws', int(c.ws), 'cf', int(c.cf), 'ct', int(c.ct), 'pf', int(c.pf),
  'pt', int(c.pt), 'consec', int(c.consec), 'until', int(c.untl), 'opened', int(c.opened),
  'reason', c.reason, 'code', c.code, 'probe', c.probe, 'probeUntil', int(c.probeUntil))
redis.call('PEXPIRE', KEYS[1], int(2 * window + math.max(0, c.untl - now, c.probeUntil - now)))
return reply(c, changed)
`;

/** KEYS: circuits. ARGV: windowMs. Reads only. → one reply (as CIRCUIT_RECORD's) per key. */
export const CIRCUIT_READ = `${PRELUDE}
local window = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local c = load(key)
  roll(c, window)
  out[i] = reply(c, 0)
end
return out
`;

/** KEYS: circuit. ARGV: ttlMs, owner token. → 'probe' | 'refused' | 'closed' */
export const CIRCUIT_ACQUIRE_PROBE = `${PRELUDE}
local c = load(KEYS[1])
if c.untl == 0 then return 'closed' end
if c.untl > now or c.probe ~= '' then return 'refused' end
local ttl = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'probe', ARGV[2], 'probeUntil', int(now + ttl))
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], int(ttl)) end
return 'probe'
`;

/** KEYS: circuit. ARGV: owner token. Frees the probe if that owner holds it. */
export const CIRCUIT_RELEASE_PROBE = `
if redis.call('HGET', KEYS[1], 'probe') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'probe', '', 'probeUntil', '0')
end
return 0
`;

type Reply = [string, number, number, number, string, string, number];

interface Scripts {
  routeplaneCircuitRecord(key: string, ...args: (string | number)[]): Promise<Reply>;
  routeplaneCircuitRead(count: number, ...keysAndArgs: (string | number)[]): Promise<Reply[]>;
  routeplaneCircuitAcquireProbe(key: string, ttlMs: number, owner: string): Promise<string>;
  routeplaneCircuitReleaseProbe(key: string, owner: string): Promise<number>;
}

/** How a store runs a command: within its timeout, reporting a failure before it rejects. */
export type RunCommand = <T>(send: () => Promise<T>) => Promise<T>;

/**
 * The `SharedCircuits` of a Redis store. `run` sends each command the store's way (ready
 * check, timeout, failure reported to `store.error` with `failOpen: true`, since the
 * router falls back to its own breaker).
 */
export function createRedisCircuits(redis: Redis | Cluster, prefix: string, run: RunCommand): SharedCircuits {
  redis.defineCommand('routeplaneCircuitRecord', { numberOfKeys: 1, lua: CIRCUIT_RECORD });
  redis.defineCommand('routeplaneCircuitRead', { lua: CIRCUIT_READ, readOnly: true });
  redis.defineCommand('routeplaneCircuitAcquireProbe', { numberOfKeys: 1, lua: CIRCUIT_ACQUIRE_PROBE });
  redis.defineCommand('routeplaneCircuitReleaseProbe', { numberOfKeys: 1, lua: CIRCUIT_RELEASE_PROBE });
  const scripts = redis as unknown as Scripts;
  /** This store's probe leases: a verdict or release counts only from the holder. */
  const owner = randomUUID();
  const names = new Map<string, string>();
  const nameOf = (key: string): string => {
    let name = names.get(key);
    if (name === undefined) {
      name = circuitKey(prefix, key);
      if (names.size >= 10_000) names.clear();
      names.set(key, name);
    }
    return name;
  };

  return {
    async record(key, report: CircuitReport, options: SharedCircuitOptions) {
      const reply = await run(() =>
        scripts.routeplaneCircuitRecord(
          nameOf(key),
          report.successes,
          report.failure === undefined ? 0 : 1,
          report.failure ?? '',
          report.probe === true ? 1 : 0,
          owner,
          options.consecutiveFailures,
          options.errorRate,
          options.minSamples,
          Math.max(0, Math.ceil(options.cooldownMs)),
          Math.max(1, Math.ceil(options.windowMs)),
        ),
      );
      return toState(reply, true);
    },
    async read(keys, windowMs) {
      if (keys.length === 0) return [];
      const replies = await run(() =>
        scripts.routeplaneCircuitRead(keys.length, ...keys.map(nameOf), Math.max(1, Math.ceil(windowMs))),
      );
      return replies.map((reply) => toState(reply, false));
    },
    async acquireProbe(key, ttlMs) {
      const answer = await run(() =>
        scripts.routeplaneCircuitAcquireProbe(nameOf(key), Math.max(1, Math.ceil(ttlMs)), owner),
      );
      return answer === 'probe' || answer === 'closed' ? answer : 'refused';
    },
    async releaseProbe(key) {
      await run(() => scripts.routeplaneCircuitReleaseProbe(nameOf(key), owner));
    },
  };
}

/**
 * The Redis key of a deployment's circuit. The router's deployment key is model id,
 * provider entry and credential id (a tenant's label for its key, never the key itself),
 * joined by NUL; each part is URI-encoded, so no part can add a hash tag or a separator.
 */
export function circuitKey(prefix: string, key: string): string {
  return `${prefix}{circuit}:${key.split('\u0000').map(encodeURIComponent).join(':')}`;
}

function toState(reply: Reply, withChange: boolean): SharedCircuitState {
  const [state, retryInMs, failing, openedAt, reason, errorCode, changed] = reply;
  return {
    state: state === 'open' || state === 'half-open' ? state : 'closed',
    retryInMs: Number(retryInMs),
    failing: failing === 1,
    openedAt: Number(openedAt),
    ...(reason !== '' && { reason: reason as SharedOpenReason }),
    ...(errorCode !== '' && { errorCode }),
    ...(withChange && { changed: changed === 1 }),
  };
}
