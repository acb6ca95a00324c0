import { describe, expect, it } from 'vitest';
import { AuditChain, hashRecord, verifyAuditChain } from './audit-chain.js';
import type { AuditRecord } from './types.js';

/** `n` records per tenant, interleaved, linked by one in-process chain, as a JSON sink stores them. */
function chained(n: number, tenants = ['acme', 'globex']): AuditRecord[] {
  const chain = new AuditChain();
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    for (const tenant of tenants) {
      const record: AuditRecord = {
        requestId: `${tenant}-${i}`,
        timestamp: 1_700_000_000_000 + i,
        tenant,
        outcome: 'success',
        costUsd: i / 1000,
        latencyMs: 10 + i,
        cached: false,
        attempts: [],
        fallbacks: [],
        stream: false,
      };
      chain.link(record, (r) => out.push(JSON.parse(JSON.stringify(r)) as AuditRecord));
    }
  }
  return out;
}

/** A seeded Fisher–Yates shuffle (mulberry32), so a failure replays. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  const random = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const indexOf = (records: AuditRecord[], requestId: string) =>
  records.findIndex((r) => r.requestId === requestId);

describe('verifyAuditChain', () => {
  it('verifies one router’s records in any order: the chain gives the order', () => {
    const records = chained(50);
    expect(records.filter((r) => r.tenant === 'acme').map((r) => r.seq)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    for (const seed of [1, 2, 3]) expect(verifyAuditChain(shuffled(records, seed))).toEqual({ ok: true });
  });

  it('reports a changed record in a shuffled array at its index', () => {
    const records = shuffled(chained(20), 7);
    const at = indexOf(records, 'acme-9');
    records[at] = { ...records[at]!, costUsd: 0 };
    expect(verifyAuditChain(records)).toMatchObject({
      ok: false,
      index: at,
      reason: expect.stringContaining('changed'),
    });
  });

  it('reports a dropped record at the record that followed it', () => {
    const records = shuffled(chained(20), 8);
    records.splice(indexOf(records, 'globex-4'), 1);
    expect(verifyAuditChain(records)).toMatchObject({
      ok: false,
      index: indexOf(records, 'globex-5'),
      reason: expect.stringContaining('dropped'),
    });
  });

  it('reports a dropped first record, and verifies a later part of the chain from the hash it follows', () => {
    const records = chained(5);
    records.splice(indexOf(records, 'acme-0'), 1);
    expect(verifyAuditChain(records)).toMatchObject({
      ok: false,
      index: indexOf(records, 'acme-1'),
      reason: expect.stringContaining('does not start at genesis'),
    });
    // A later part of the chain verifies from the hash it follows.
    const from = { acme: chained(5).find((r) => r.requestId === 'acme-0')!.hash! };
    expect(verifyAuditChain(records, { from })).toEqual({ ok: true });
  });

  it('reports an inserted record, rehashed, as a fork on its shorter branch', () => {
    const records = chained(10);
    const forged: AuditRecord = { ...records[indexOf(records, 'acme-3')]!, requestId: 'forged' };
    forged.hash = hashRecord(forged);
    const all = shuffled([...records, forged], 9);
    expect(verifyAuditChain(all)).toMatchObject({
      ok: false,
      index: indexOf(all, 'forged'),
      reason: expect.stringMatching(/forks after record acme-2/),
    });
  });

  it('reports a record stored twice', () => {
    const records = chained(3);
    records.push({ ...records[1]! });
    expect(verifyAuditChain(records)).toMatchObject({
      ok: false,
      index: 6,
      reason: expect.stringContaining('twice'),
    });
  });

  it('reports a seq that does not follow, even with valid hashes', () => {
    const records = chained(3, ['acme']);
    const first = { ...records[0]!, seq: 2 };
    first.hash = hashRecord(first);
    const second = { ...records[1]!, prevHash: first.hash };
    second.hash = hashRecord(second);
    const third = { ...records[2]!, prevHash: second.hash };
    third.hash = hashRecord(third);
    expect(verifyAuditChain([third, second, first])).toMatchObject({
      ok: false,
      index: 2,
      reason: expect.stringContaining('seq 2 follows seq 0'),
    });
  });
});
