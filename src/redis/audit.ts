import type { Cluster, Redis } from 'ioredis';
import { GENESIS_HASH } from '../events/audit-chain.js';
import type { AuditChainStore, ChainHead } from '../store/audit.js';

/**
 * Compare-and-set of a tenant's audit chain head, a hash {h, s} (hash, seq) with no expiry.
 * ARGV: expected hash, new hash, new seq, genesis hash. → {1} when set, else {0, h, s}.
 */
const LINK = `
local v = redis.call('HMGET', KEYS[1], 'h', 's')
local h = v[1] or ARGV[4]
local s = v[2] or '0'
if h ~= ARGV[1] then return {0, h, s} end
redis.call('HSET', KEYS[1], 'h', ARGV[2], 's', ARGV[3])
return {1}
`;

interface LinkCommand {
  routeplaneAuditLink(
    key: string,
    expected: string,
    hash: string,
    seq: number,
    genesis: string,
  ): Promise<[number, string?, string?]>;
}

/**
 * The Redis store's `auditChain`: one Lua compare-and-set per batch of records, on the key
 * `prefix + key` (`<prefix>audit:{tenant}`, the tenant's hash tag keeps it in its Cluster
 * slot). `call` is the store's guard (ready check, `timeoutMs`). A failure rejects: the
 * router links the records without the store and reports it (`store.error`).
 */
export function createRedisAuditChain(
  redis: Redis | Cluster,
  prefix: string,
  call: <T>(send: () => Promise<T>) => Promise<T>,
): AuditChainStore {
  redis.defineCommand('routeplaneAuditLink', { numberOfKeys: 1, lua: LINK });
  const scripts = redis as unknown as LinkCommand;
  return {
    async link(key, expected, next) {
      const [ok, hash, seq] = await call(() =>
        scripts.routeplaneAuditLink(prefix + key, expected.hash, next.hash, next.seq, GENESIS_HASH),
      );
      if (ok === 1) return { ok: true };
      const head: ChainHead = { hash: String(hash), seq: Number(seq) };
      return { ok: false, head };
    },
  };
}
