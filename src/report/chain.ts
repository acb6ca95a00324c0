import { GENESIS_HASH, hashRecord, verifyAuditChain } from '../events/audit-chain.js';
import type { AuditRecord } from '../events/types.js';

/**
 * A tenant's audit-chain status in the report. `position` is the record's place in the log
 * given (1 for the first record), which is its line in a JSONL file of one record a line.
 */
export type ChainStatus =
  | { status: 'ok'; records: number }
  | { status: 'unchained'; records: number }
  | { status: 'broken'; records: number; position: number; requestId: string; reason: string }
  | { status: 'unverified'; records: number; reason: string };

/** How many records a tenant's stream may hold out of chain order before the check gives up. */
export const MAX_OUT_OF_ORDER = 10_000;

/** Each tenant's status, by `verifyAuditChain` over that tenant's records of the array. */
export function verifyChains(records: readonly AuditRecord[]): Map<string, ChainStatus> {
  const byTenant = new Map<string, number[]>();
  for (let i = 0; i < records.length; i++) {
    const tenant = records[i]!.tenant;
    const indices = byTenant.get(tenant);
    if (indices) indices.push(i);
    else byTenant.set(tenant, [i]);
  }
  const statuses = new Map<string, ChainStatus>();
  for (const [tenant, indices] of byTenant) {
    const count = indices.length;
    if (indices.every((i) => typeof records[i]!.hash !== 'string')) {
      statuses.set(tenant, { status: 'unchained', records: count });
      continue;
    }
    const own = indices.map((i) => records[i]!);
    const verdict = verifyAuditChain(own);
    if (verdict.ok) statuses.set(tenant, { status: 'ok', records: count });
    else {
      const index = indices[verdict.index]!;
      statuses.set(tenant, {
        status: 'broken',
        records: count,
        position: index + 1,
        requestId: records[index]!.requestId,
        reason: verdict.reason,
      });
    }
  }
  return statuses;
}

interface TenantChain {
  records: number;
  hashed: number;
  head: string;
  seq: number;
  /** Records seen before the one they follow, by the hash they follow. */
  pending: Map<string, { hash: string; seq: number | undefined; position: number; requestId: string }>;
  problem?: ChainStatus;
}

/**
 * The chain check of a stream, in memory bounded by the tenants and `MAX_OUT_OF_ORDER`:
 * each record must hash to its `hash` and follow its tenant's previous record. A record may
 * come before the one it follows (several writers of one log), up to `MAX_OUT_OF_ORDER`
 * of them per tenant at once; beyond, the tenant is `unverified` (check the array with
 * `verifyAuditChain`). Stricter than `verifyAuditChain` in one way only: the chain must start
 * at genesis in the stream.
 */
export class StreamingChainCheck {
  private readonly tenants = new Map<string, TenantChain>();

  add(record: AuditRecord, position: number): void {
    let t = this.tenants.get(record.tenant);
    if (!t) {
      t = { records: 0, hashed: 0, head: GENESIS_HASH, seq: 0, pending: new Map() };
      this.tenants.set(record.tenant, t);
    }
    t.records++;
    if (t.problem) return;
    const hashed = typeof record.hash === 'string' && typeof record.prevHash === 'string';
    if (!hashed) {
      if (t.hashed > 0) t.problem = broken(t, record, position, 'no hash, after records that have one');
      return;
    }
    if (t.hashed === 0 && t.records > 1) {
      t.problem = broken(t, record, position, 'has a hash, after records of the tenant that have none');
      return;
    }
    t.hashed++;
    if (hashRecord(record) !== record.hash) {
      t.problem = broken(t, record, position, `record ${record.requestId} was changed after it was hashed`);
      return;
    }
    if (record.prevHash !== t.head) {
      if (t.pending.has(record.prevHash!)) {
        t.problem = broken(t, record, position, 'two records follow the same record: the chain forks');
        return;
      }
      if (t.pending.size >= MAX_OUT_OF_ORDER) {
        t.problem = {
          status: 'unverified',
          records: 0,
          reason: `more than ${MAX_OUT_OF_ORDER} records out of chain order: verify the records with verifyAuditChain`,
        };
        return;
      }
      t.pending.set(record.prevHash!, {
        hash: record.hash!,
        seq: record.seq,
        position,
        requestId: record.requestId,
      });
      return;
    }
    this.advance(t, record.hash!, record.seq, position, record.requestId);
    for (let next = t.pending.get(t.head); next && !t.problem; next = t.pending.get(t.head)) {
      t.pending.delete(t.head);
      this.advance(t, next.hash, next.seq, next.position, next.requestId);
    }
  }

  /** Each tenant's status once the stream has ended. */
  result(): Map<string, ChainStatus> {
    const statuses = new Map<string, ChainStatus>();
    for (const [tenant, t] of this.tenants) {
      if (t.problem) statuses.set(tenant, { ...t.problem, records: t.records });
      else if (t.hashed === 0) statuses.set(tenant, { status: 'unchained', records: t.records });
      else if (t.pending.size > 0) {
        let first = { position: Number.POSITIVE_INFINITY, requestId: '' };
        for (const p of t.pending.values()) if (p.position < first.position) first = p;
        statuses.set(tenant, {
          status: 'broken',
          records: t.records,
          position: first.position,
          requestId: first.requestId,
          reason: `no record of the log has the prevHash of record ${first.requestId}: a record before it was dropped, the log does not start at genesis, or the chain forks`,
        });
      } else statuses.set(tenant, { status: 'ok', records: t.records });
    }
    return statuses;
  }

  private advance(
    t: TenantChain,
    hash: string,
    seq: number | undefined,
    position: number,
    requestId: string,
  ) {
    if (seq !== undefined && seq !== t.seq + 1) {
      t.problem = {
        status: 'broken',
        records: 0,
        position,
        requestId,
        reason: `record ${requestId} has seq ${seq}, after seq ${t.seq}`,
      };
      return;
    }
    t.head = hash;
    t.seq = seq ?? t.seq + 1;
  }
}

function broken(t: TenantChain, record: AuditRecord, position: number, reason: string): ChainStatus {
  return { status: 'broken', records: t.records, position, requestId: record.requestId, reason };
}
