import { createHash } from 'node:crypto';
import type { AuditRecord } from './types.js';

/** The `prevHash` of a tenant's first record. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted and undefined fields left out, at every depth: the form the
 * audit hash covers, so a record stored as JSON (by any serializer) verifies later.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** SHA-256 (hex) of the record's canonical form without its own `hash`. */
export function hashRecord(record: AuditRecord): string {
  const { hash: _hash, ...rest } = record;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** Links each tenant's audit records into a hash chain, in the order they are emitted. */
export class AuditChain {
  private readonly last = new Map<string, string>();

  link(record: AuditRecord): AuditRecord {
    record.prevHash = this.last.get(record.tenant) ?? GENESIS_HASH;
    record.hash = hashRecord(record);
    this.last.set(record.tenant, record.hash);
    return record;
  }
}

/** The outcome of `verifyAuditChain`. `index` is the position in the array given. */
export type AuditChainVerdict = { ok: true } | { ok: false; index: number; reason: string };

/**
 * Verifies audit records emitted with `createRouter({ audit: { chain: true } })`, as stored
 * (any order of tenants, each tenant's records in emission order). Finds a changed record
 * (its hash no longer matches), and a dropped, inserted or reordered one (its `prevHash` is
 * not the hash of the tenant's record before it). `from` gives the hash each tenant's first
 * record must follow when the records are a later part of the chain (default: genesis).
 *
 * @example
 * ```ts
 * const records = readFileSync('audit.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
 * const verdict = verifyAuditChain(records);
 * if (!verdict.ok) console.error(`record ${verdict.index}: ${verdict.reason}`);
 * ```
 */
export function verifyAuditChain(
  records: readonly AuditRecord[],
  options: { from?: Record<string, string> } = {},
): AuditChainVerdict {
  const last = new Map<string, string>(Object.entries(options.from ?? {}));
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    if (typeof record.hash !== 'string' || typeof record.prevHash !== 'string') {
      return { ok: false, index, reason: 'no hash: the router was not created with audit: { chain: true }' };
    }
    if (hashRecord(record) !== record.hash) {
      return { ok: false, index, reason: `record ${record.requestId} was changed after it was hashed` };
    }
    const expected = last.get(record.tenant) ?? GENESIS_HASH;
    if (record.prevHash !== expected) {
      return {
        ok: false,
        index,
        reason: `tenant '${record.tenant}' chain is broken before record ${record.requestId}: a record was dropped, inserted or moved`,
      };
    }
    last.set(record.tenant, record.hash);
  }
  return { ok: true };
}
