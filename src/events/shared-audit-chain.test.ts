import { describe, expect, it } from 'vitest';
import type { AuditChainStore, ChainHead, ChainLinkResult } from '../store/audit.js';
import { GENESIS_HASH, verifyAuditChain } from './audit-chain.js';
import { SharedAuditChain } from './shared-audit-chain.js';
import type { AuditRecord } from './types.js';

/** Chain heads in memory, each link answered after a turn of the event loop (as a network store would). */
function fakeStore(fail?: (call: number) => 'reject' | 'apply-then-reject' | undefined): AuditChainStore & {
  calls: number;
} {
  const heads = new Map<string, ChainHead>();
  const store = {
    calls: 0,
    async link(key: string, expected: ChainHead, next: ChainHead): Promise<ChainLinkResult> {
      const call = ++store.calls;
      await new Promise((r) => setImmediate(r));
      const mode = fail?.(call);
      if (mode === 'reject') throw new Error('store down');
      const head = heads.get(key) ?? { hash: GENESIS_HASH, seq: 0 };
      if (head.hash !== expected.hash) return { ok: false, head };
      heads.set(key, next);
      if (mode === 'apply-then-reject') throw new Error('timed out after it applied');
      return { ok: true };
    },
  };
  return store;
}

let n = 0;
const record = (tenant: string): AuditRecord => ({
  requestId: `r${++n}`,
  timestamp: n,
  tenant,
  outcome: 'success',
  costUsd: 0,
  latencyMs: 1,
  cached: false,
  attempts: [],
  fallbacks: [],
  stream: false,
});

/** A router's chain on `store`, recording what it delivers and what it reports. */
function instance(store: AuditChainStore) {
  const delivered: AuditRecord[] = [];
  const failed: string[] = [];
  const chain = new SharedAuditChain(store, (r) => failed.push(r.requestId));
  const deliver = (r: AuditRecord) => delivered.push(r);
  return { chain, delivered, failed, link: (r: AuditRecord) => chain.link(r, deliver) };
}

describe('SharedAuditChain', () => {
  it('links three instances’ concurrent records into one chain per tenant, each delivered once, in chain order', async () => {
    const store = fakeStore();
    const fleet = [instance(store), instance(store), instance(store)];
    for (let i = 0; i < 90; i++) fleet[i % 3]!.link(record(i % 2 ? 'acme' : 'globex'));
    await Promise.all(fleet.map((f) => f.chain.drain()));
    const all = fleet.flatMap((f) => f.delivered);
    expect(all).toHaveLength(90);
    expect(new Set(all.map((r) => r.requestId)).size).toBe(90);
    expect(verifyAuditChain(all.reverse())).toEqual({ ok: true });
    for (const f of fleet) {
      const seqs = f.delivered.filter((r) => r.tenant === 'acme').map((r) => r.seq!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(f.failed).toEqual([]);
    }
    // Batching: fewer round trips than records even with retries.
    expect(store.calls).toBeLessThan(90 * 2);
  });

  it('delivers records the store refused, reports each, and verify sees the fork', async () => {
    const store = fakeStore((call) => (call === 2 ? 'reject' : undefined));
    const a = instance(store);
    const b = instance(store);
    a.link(record('acme'));
    await a.chain.drain();
    a.link(record('acme')); // refused: linked after a's head without the store
    b.link(record('acme')); // linked by the store after the same head
    await Promise.all([a.chain.drain(), b.chain.drain()]);
    expect(a.failed).toEqual([a.delivered[1]!.requestId]);
    const verdict = verifyAuditChain([...a.delivered, ...b.delivered]);
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining('fork') });
  });

  it('leaves the chain whole when a link the router counted as failed had applied', async () => {
    const store = fakeStore((call) => (call === 2 ? 'apply-then-reject' : undefined));
    const a = instance(store);
    const b = instance(store);
    a.link(record('acme'));
    await a.chain.drain();
    a.link(record('acme'));
    await a.chain.drain();
    b.link(record('acme'));
    a.link(record('acme'));
    await Promise.all([a.chain.drain(), b.chain.drain()]);
    expect(a.failed).toHaveLength(1);
    expect(verifyAuditChain([...b.delivered, ...a.delivered])).toEqual({ ok: true });
  });

  it('drain waits for every record given before and during it', async () => {
    const a = instance(fakeStore());
    a.link(record('acme'));
    const drained = a.chain.drain();
    a.link(record('acme'));
    a.link(record('globex'));
    expect(a.delivered).toHaveLength(0);
    await drained;
    expect(a.delivered).toHaveLength(3);
  });
});
