/**
 * The head of one tenant's audit chain: the hash of its last record and that record's `seq`
 * (genesis: `GENESIS_HASH` and 0).
 */
export interface ChainHead {
  hash: string;
  seq: number;
}

/** The reply of `AuditChainStore.link`: `ok`, or the head as it is now. */
export type ChainLinkResult = { ok: true } | { ok: false; head: ChainHead };

/**
 * A store's shared audit chain heads (optional `Store.auditChain`): with it, every router on
 * the store links a tenant's audit records into one chain. Lua has no SHA-256, so the router
 * hashes and the store only compares and sets: the router hashes its records after the head
 * it believes, and `link` moves the head only if it is still that one; otherwise the router
 * hashes them again after the head returned, and retries.
 */
export interface AuditChainStore {
  /**
   * One atomic compare-and-set of the head at `key` (`audit:{tenant}`): if it is `expected`
   * (a key never written is at genesis), sets it to `next`. The head never expires.
   */
  link(key: string, expected: ChainHead, next: ChainHead): Promise<ChainLinkResult>;
}
