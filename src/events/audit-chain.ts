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

/**
 * What links a router's audit records before they are emitted: `AuditChain` (in memory, at
 * once) or `SharedAuditChain` (heads in the store, when linked). `deliver` is called once
 * per record, a tenant's records in their chain order.
 */
export interface AuditLinker {
  link(record: AuditRecord, deliver: (record: AuditRecord) => void): void;
  /** Resolves when every record given to `link` has been delivered. */
  drain(): Promise<void>;
}

/** Links each tenant's audit records into a hash chain in this process, in the order they are emitted. */
export class AuditChain implements AuditLinker {
  private readonly last = new Map<string, { hash: string; seq: number }>();

  link(record: AuditRecord, deliver: (record: AuditRecord) => void): void {
    const head = this.last.get(record.tenant);
    record.prevHash = head?.hash ?? GENESIS_HASH;
    record.seq = (head?.seq ?? 0) + 1;
    record.hash = hashRecord(record);
    if (head) {
      head.hash = record.hash;
      head.seq = record.seq;
    } else this.last.set(record.tenant, { hash: record.hash, seq: record.seq });
    deliver(record);
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }
}

/** The outcome of `verifyAuditChain`. `index` is the position in the array given. */
export type AuditChainVerdict = { ok: true } | { ok: false; index: number; reason: string };

/** A problem found in one tenant's chain. */
interface Problem {
  index: number;
  reason: string;
}

/**
 * Verifies audit records emitted with `createRouter({ audit: { chain: true } })`, as stored
 * by one router or merged from many on one shared store, in any order: each tenant's
 * records are put in order by the chain itself (from genesis, or from `from`, each record's
 * `prevHash` is the `hash` of the record before it, and its `seq` is one more).
 *
 * It finds a changed record (its hash no longer matches), a dropped one (a `prevHash` no
 * record has, or records the chain does not reach), and an inserted one (two records that
 * follow the same record: a fork; the record reported is the one on the shorter branch).
 * Records cannot be reordered within the chain without breaking it; their order in the
 * array does not matter.
 *
 * A fork is also what a router leaves when the shared store (Redis) could not link its
 * records: it emits them anyway, linked after the head it last knew, and reports each as a
 * `store.error` event with the tenant and `requestId`. If the store did not apply that
 * link, those records form a branch beside the shared chain, and this function reports a
 * fork naming them: compare the names with the `store.error` events before suspecting an
 * insertion.
 *
 * When several problems are found, the one at the lowest index is reported. `from` gives
 * the hash each tenant's chain starts from when the records are a later part of it
 * (default: genesis).
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
  const byTenant = new Map<string, number[]>();
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    if (typeof record.hash !== 'string' || typeof record.prevHash !== 'string') {
      return { ok: false, index, reason: 'no hash: the router was not created with audit: { chain: true }' };
    }
    if (hashRecord(record) !== record.hash) {
      return { ok: false, index, reason: `record ${record.requestId} was changed after it was hashed` };
    }
    const indices = byTenant.get(record.tenant);
    if (indices) indices.push(index);
    else byTenant.set(record.tenant, [index]);
  }
  let first: Problem | undefined;
  for (const [tenant, indices] of byTenant) {
    const problem = verifyTenant(records, tenant, indices, options.from?.[tenant]);
    if (problem && (!first || problem.index < first.index)) first = problem;
  }
  return first ? { ok: false, ...first } : { ok: true };
}

/** One tenant's records (`indices`, ascending), followed from `from` (default genesis). */
function verifyTenant(
  records: readonly AuditRecord[],
  tenant: string,
  indices: readonly number[],
  from: string | undefined,
): Problem | undefined {
  const start = from ?? GENESIS_HASH;
  /** Records by the hash they follow. */
  const after = new Map<string, number[]>();
  const byHash = new Map<string, number>();
  for (const index of indices) {
    const record = records[index]!;
    const twin = byHash.get(record.hash!);
    if (twin !== undefined) {
      return {
        index,
        reason: `record ${record.requestId} of tenant '${tenant}' appears twice (also at ${twin})`,
      };
    }
    byHash.set(record.hash!, index);
    const siblings = after.get(record.prevHash!);
    if (siblings) siblings.push(index);
    else after.set(record.prevHash!, [index]);
  }

  let fork: Problem | undefined;
  const lengths = new Map<number, number>();
  for (const [prev, siblings] of after) {
    if (siblings.length < 2) continue;
    const problem = forkAt(records, tenant, prev, siblings, after, byHash, start, lengths);
    if (!fork || problem.index < fork.index) fork = problem;
  }
  if (fork) return fork;

  let at = start;
  let seq = from === undefined ? 0 : undefined;
  let reached = 0;
  for (let next = after.get(at); next !== undefined && reached < indices.length; next = after.get(at)) {
    const index = next[0]!;
    const record = records[index]!;
    if (seq !== undefined && record.seq !== undefined && record.seq !== seq + 1) {
      return {
        index,
        reason: `tenant '${tenant}' chain is broken at record ${record.requestId}: seq ${record.seq} follows seq ${seq}`,
      };
    }
    seq = record.seq;
    at = record.hash!;
    reached++;
  }
  if (reached === indices.length) return undefined;

  // Not reached: each unreached part starts at a record whose prevHash no record has.
  for (const index of indices) {
    const record = records[index]!;
    if (record.prevHash === start || byHash.has(record.prevHash!)) continue;
    const where =
      after.has(start) || from !== undefined
        ? 'no record has its prevHash: a record before it was dropped'
        : 'the chain does not start at genesis: the records before it were dropped (or pass `from`)';
    return {
      index,
      reason: `tenant '${tenant}' chain is broken before record ${record.requestId}: ${where}`,
    };
  }
  return { index: indices[0]!, reason: `tenant '${tenant}' chain does not reach every record` };
}

/** A fork: `siblings` all follow `prev`. Reports the one on the shortest branch (ties: the last in the array). */
function forkAt(
  records: readonly AuditRecord[],
  tenant: string,
  prev: string,
  siblings: readonly number[],
  after: ReadonlyMap<string, number[]>,
  byHash: ReadonlyMap<string, number>,
  start: string,
  lengths: Map<number, number>,
): Problem {
  let suspect = siblings[0]!;
  let shortest = Number.POSITIVE_INFINITY;
  for (const index of siblings) {
    const length = branchLength(records, index, after, lengths);
    if (length <= shortest) {
      shortest = length;
      suspect = index;
    }
  }
  const parent = byHash.get(prev);
  const what =
    parent !== undefined
      ? `record ${records[parent]!.requestId}`
      : prev === start
        ? 'the start of the chain'
        : prev;
  const names = siblings.map((i) => records[i]!.requestId).join(', ');
  return {
    index: suspect,
    reason: `tenant '${tenant}' chain forks after ${what}: records ${names} all follow it; a record was inserted, or a router linked records while the shared store was unavailable (see its store.error events)`,
  };
}

/**
 * How many records follow `index` along first children, itself included; memoized in
 * `lengths`, so the branches of many forks cost one pass over the records.
 */
function branchLength(
  records: readonly AuditRecord[],
  index: number,
  after: ReadonlyMap<string, number[]>,
  lengths: Map<number, number>,
): number {
  const path: number[] = [];
  let at: number | undefined = index;
  let tail = 0;
  while (at !== undefined) {
    const known = lengths.get(at);
    if (known !== undefined) {
      tail = known;
      break;
    }
    path.push(at);
    if (path.length > records.length) break;
    at = after.get(records[at]!.hash!)?.[0];
  }
  for (let i = path.length - 1; i >= 0; i--) lengths.set(path[i]!, ++tail);
  return lengths.get(index)!;
}
