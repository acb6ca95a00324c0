import type { Redis } from 'ioredis';
import { type AuditRecord, createRouter, type Router, verifyAuditChain } from 'routeplane';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/redis/index.js';
import { collect, useEmulator, waitFor } from '../support/harness.js';
import { hasRedisServer, type RedisServer, startRedisServer } from './setup.js';

const ask = [{ role: 'user' as const, content: 'x' }];
const models = [
  { id: 'meter', provider: 'openai', model: 'meter-up', pricing: { inputPerMTok: 1, outputPerMTok: 10 } },
];
const tenants = { acme: { model: 'meter' }, globex: { model: 'meter' } };

const emu = useEmulator();
let server: RedisServer;
let clients: Redis[];
beforeAll(async () => {
  if (!hasRedisServer) return;
  server = await startRedisServer();
  clients = await Promise.all(Array.from({ length: 3 }, () => server.client()));
});
afterAll(() => server?.close());
beforeEach(async () => {
  if (!hasRedisServer) return;
  await clients[0]!.flushall();
});

/** One router per client, all on the same Redis, chain on, each recording its audit records and store errors. */
function fleet(count = clients.length, onError: 'fail-closed' | 'fail-open' = 'fail-closed') {
  return clients.slice(0, count).map((redis) => {
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants,
      audit: { chain: true },
      store: createRedisStore(redis, { onError }),
    });
    return { router, audits: collect(router, 'audit'), storeErrors: collect(router, 'store.error') };
  });
}

type Instance = ReturnType<typeof fleet>[number];

/** As a sink stores them: a JSON round trip. */
const stored = (records: AuditRecord[]) => records.map((r) => JSON.parse(JSON.stringify(r)) as AuditRecord);

/** A seeded shuffle (mulberry32), so a failure replays. */
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

describe.skipIf(!hasRedisServer)('one audit chain per tenant across router instances', () => {
  it('three instances, 300 concurrent calls for two tenants: the merged records verify in any order', async () => {
    const routers = fleet();
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) =>
        routers[i % 3]!.router.complete({ tenant: i % 2 === 0 ? 'acme' : 'globex', messages: ask }),
      ),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    await Promise.all(routers.map((r) => r.router.close()));

    // Exactly one record per call, none reported as unlinked.
    expect(routers.map((r) => r.audits.length)).toEqual([100, 100, 100]);
    expect(routers.flatMap((r) => r.storeErrors)).toEqual([]);
    const merged = stored(routers.flatMap((r) => r.audits));
    expect(new Set(merged.map((r) => r.requestId)).size).toBe(300);
    // One chain per tenant: seq 1..150 each, and the head in Redis is the last record's.
    for (const tenant of ['acme', 'globex']) {
      const own = merged.filter((r) => r.tenant === tenant);
      expect(own.map((r) => r.seq).sort((x, y) => x! - y!)).toEqual(
        Array.from({ length: 150 }, (_, i) => i + 1),
      );
      const head = await clients[0]!.hgetall(`routeplane:audit:{${tenant}}`);
      expect(head).toEqual({ h: own.find((r) => r.seq === 150)!.hash, s: '150' });
    }
    // Each instance emitted a tenant's records in chain order.
    for (const { audits } of routers) {
      for (const tenant of ['acme', 'globex']) {
        const seqs = audits.filter((r) => r.tenant === tenant).map((r) => r.seq!);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
    }

    expect(verifyAuditChain(merged)).toEqual({ ok: true });
    const mixed = shuffled(merged, 17);
    expect(verifyAuditChain(mixed)).toEqual({ ok: true });
    expect(verifyAuditChain([...merged].sort((a, b) => a.timestamp - b.timestamp))).toEqual({ ok: true });

    const tampered = [...mixed];
    tampered[123] = { ...tampered[123]!, costUsd: tampered[123]!.costUsd + 1 };
    expect(verifyAuditChain(tampered)).toMatchObject({
      ok: false,
      index: 123,
      reason: expect.stringContaining('changed'),
    });

    // Drop a record in the middle of acme's chain: the record after it is reported.
    const dropped = mixed.filter((r) => !(r.tenant === 'acme' && r.seq === 75));
    expect(verifyAuditChain(dropped)).toMatchObject({
      ok: false,
      index: dropped.findIndex((r) => r.tenant === 'acme' && r.seq === 76),
      reason: expect.stringContaining('dropped'),
    });
  });

  it('a record the store cannot link is emitted anyway, reported, and shows as a fork at it', async () => {
    // fail-open: the calls go on while a's connection is down, with a's own limits.
    const [a, b] = fleet(2, 'fail-open') as [Instance, Instance];
    const call = (router: Router) => router.complete({ tenant: 'acme', messages: ask });
    const linked = (n: number, of: Instance) =>
      waitFor(() => of.audits.length === n, { what: `${n} records` });
    await call(a.router);
    await linked(1, a);
    await call(b.router);
    await linked(1, b);

    // a's connection drops: its records cannot reach the chain head in Redis.
    clients[0]!.disconnect();
    await call(a.router);
    await call(a.router);
    await linked(3, a);
    await call(b.router);
    await linked(2, b);
    clients[0]!.connect().catch(() => {});
    await waitFor(() => clients[0]!.status === 'ready', { what: 'reconnected' });
    await call(a.router);
    await Promise.all([a.router.close(), b.router.close()]);

    const offline = a.audits.slice(1, 3).map((r) => r.requestId);
    const errors = a.storeErrors.filter((e) => e.message.startsWith('audit chain'));
    expect(errors.map((e) => [e.tenant, e.requestId])).toEqual(offline.map((id) => ['acme', id]));
    expect(b.storeErrors).toEqual([]);

    const merged = shuffled(stored([...a.audits, ...b.audits]), 5);
    expect(merged).toHaveLength(6);
    const verdict = verifyAuditChain(merged);
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining('fork') });
    expect(offline).toContain(merged[(verdict as { index: number }).index]!.requestId);
    // Without the records linked locally, the shared chain is whole.
    expect(verifyAuditChain(merged.filter((r) => !offline.includes(r.requestId)))).toEqual({ ok: true });
  });
});
