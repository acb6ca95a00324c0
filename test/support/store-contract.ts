import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';

const WINDOW = 60_000;

/** What a store under test may add to the shared cases. */
export interface ContractOptions {
  /** Runs before each case, before `make()`: e.g. empty the Redis database. */
  reset?: () => Promise<void>;
  /** Checks how a period key written with `ttlMs` will expire, where the store can tell. */
  checkExpiry?: (key: string, ttlMs: number) => Promise<void>;
}

/**
 * The Store contract: the same cases for every implementation, so the Redis store is held
 * to the in-memory reference and the reference itself is covered without Redis.
 */
export function describeStoreContract(name: string, make: () => Store, options: ContractOptions = {}): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      await options.reset?.();
      store = make();
    });

    describe('rateTake / rateAdjust (GCRA)', () => {
      it('allows a burst of `limit`, then one per interval', async () => {
        const t0 = 1_000_000;
        for (let i = 0; i < 6; i++) expect((await store.rateTake('k', 1, 6, WINDOW, t0)).ok).toBe(true);
        expect(await store.rateTake('k', 1, 6, WINDOW, t0)).toEqual({ ok: false, retryAfterMs: 10_000 });
        expect(await store.rateTake('k', 1, 6, WINDOW, t0 + 9_999)).toEqual({ ok: false, retryAfterMs: 1 });
        expect((await store.rateTake('k', 1, 6, WINDOW, t0 + 10_000)).ok).toBe(true);
        expect((await store.rateTake('k', 1, 6, WINDOW, t0 + 10_000)).ok).toBe(false);
        expect((await store.rateTake('k', 1, 6, WINDOW, t0 + 20_000)).ok).toBe(true);
      });

      it('refills smoothly: after a whole window idle, a full burst again and no more', async () => {
        for (let i = 0; i < 3; i++) await store.rateTake('k', 1, 3, WINDOW, 0);
        let allowed = 0;
        for (let i = 0; i < 10; i++) if ((await store.rateTake('k', 1, 3, WINDOW, 120_000)).ok) allowed++;
        expect(allowed).toBe(3);
      });

      it('takes weighted costs and says when a cost would fit', async () => {
        expect((await store.rateTake('t', 700, 1_000, WINDOW, 0)).ok).toBe(true);
        expect(await store.rateTake('t', 500, 1_000, WINDOW, 0)).toEqual({ ok: false, retryAfterMs: 12_000 });
        expect((await store.rateTake('t', 300, 1_000, WINDOW, 0)).ok).toBe(true);
        expect((await store.rateTake('t', 1, 1_000, WINDOW, 0)).ok).toBe(false);
      });

      it('a refused take changes nothing', async () => {
        await store.rateTake('k', 2, 2, WINDOW, 0);
        for (let i = 0; i < 5; i++) await store.rateTake('k', 1, 2, WINDOW, 0);
        expect((await store.rateTake('k', 1, 2, WINDOW, 30_000)).ok).toBe(true);
      });

      it('rateAdjust gives back (negative) and charges (positive)', async () => {
        await store.rateTake('t', 1_000, 1_000, WINDOW, 0);
        expect((await store.rateTake('t', 100, 1_000, WINDOW, 0)).ok).toBe(false);
        await store.rateAdjust('t', -400, 1_000, WINDOW, 0);
        expect((await store.rateTake('t', 400, 1_000, WINDOW, 0)).ok).toBe(true);
        expect((await store.rateTake('t', 1, 1_000, WINDOW, 0)).ok).toBe(false);
        await store.rateAdjust('t', 100, 1_000, WINDOW, 0);
        expect(await store.rateTake('t', 1, 1_000, WINDOW, 0)).toEqual({ ok: false, retryAfterMs: 6_060 });
      });

      it('rateAdjust never gives back more than a full burst, nor touches an unknown key', async () => {
        await store.rateTake('t', 10, 100, WINDOW, 0);
        await store.rateAdjust('t', -1_000, 100, WINDOW, 0);
        let allowed = 0;
        for (let i = 0; i < 200; i++) if ((await store.rateTake('t', 1, 100, WINDOW, 0)).ok) allowed++;
        expect(allowed).toBe(100);
        await store.rateAdjust('other', -5, 100, WINDOW, 0);
        expect((await store.rateTake('other', 100, 100, WINDOW, 0)).ok).toBe(true);
        expect((await store.rateTake('other', 1, 100, WINDOW, 0)).ok).toBe(false);
      });

      it('a clock stepped back locks no key out: the key is as it was at its last write', async () => {
        const t0 = 1_763_900_000_000;
        expect((await store.rateTake('k', 1, 30, WINDOW, t0)).ok).toBe(true);
        const back = t0 - 600_000;
        // One of 30 used before the step: 29 more now, not a wait of 9 minutes.
        for (let i = 0; i < 29; i++) expect((await store.rateTake('k', 1, 30, WINDOW, back)).ok).toBe(true);
        expect(await store.rateTake('k', 1, 30, WINDOW, back)).toEqual({ ok: false, retryAfterMs: 2_000 });
        expect((await store.rateTake('k', 1, 30, WINDOW, back + 2_000)).ok).toBe(true);
      });

      it('rateAdjust after a clock stepped back gives back from the state at the last write', async () => {
        const t0 = 1_763_900_000_000;
        await store.rateTake('t', 1_000, 1_000, WINDOW, t0);
        const back = t0 - 600_000;
        await store.rateAdjust('t', -500, 1_000, WINDOW, back);
        expect((await store.rateTake('t', 500, 1_000, WINDOW, back)).ok).toBe(true);
        expect((await store.rateTake('t', 1, 1_000, WINDOW, back)).ok).toBe(false);
      });

      it('a clock behind by less than CLOCK_STEP_MS (instances skewed) moves nothing back', async () => {
        const t0 = 1_763_900_000_000;
        for (let i = 0; i < 30; i++) await store.rateTake('k', 1, 30, WINDOW, t0);
        // The lagging caller waits the skew too; the leading one gets nothing back.
        expect(await store.rateTake('k', 1, 30, WINDOW, t0 - 500)).toEqual({
          ok: false,
          retryAfterMs: 2_500,
        });
        expect(await store.rateTake('k', 1, 30, WINDOW, t0)).toEqual({ ok: false, retryAfterMs: 2_000 });
      });

      it('a clock stepped forward grants one burst at most', async () => {
        const t0 = 1_763_900_000_000;
        for (let i = 0; i < 30; i++) await store.rateTake('k', 1, 30, WINDOW, t0);
        let allowed = 0;
        for (let i = 0; i < 60; i++)
          if ((await store.rateTake('k', 1, 30, WINDOW, t0 + 3_600_000)).ok) allowed++;
        expect(allowed).toBe(30);
      });

      it('keeps keys apart', async () => {
        expect((await store.rateTake('a', 1, 1, WINDOW, 0)).ok).toBe(true);
        expect((await store.rateTake('b', 1, 1, WINDOW, 0)).ok).toBe(true);
        expect((await store.rateTake('a', 1, 1, WINDOW, 0)).ok).toBe(false);
      });

      it('keeps sub-millisecond arrival times exactly on epoch clocks', async () => {
        const t0 = 1_763_900_000_123;
        // Interval 60 000 / 7 ms is not an integer: the TAT must round-trip as a double.
        for (let i = 0; i < 7; i++) expect((await store.rateTake('e', 1, 7, WINDOW, t0)).ok).toBe(true);
        const refused = await store.rateTake('e', 1, 7, WINDOW, t0 + 3);
        expect(refused).toEqual({
          ok: false,
          retryAfterMs: Math.ceil(t0 + (60_000 / 7) * 8 - 60_000 - (t0 + 3)),
        });
      });
    });

    describe('reserve / settle / release / renew / read (nano-USD, leases)', () => {
      const zero = { spent: 0, reserved: 0, inputTokens: 0, outputTokens: 0, requests: 0 };
      const T = 1_763_900_000_000;
      const line = (key: string, limit: number, ttlMs?: number) => ({ key, limit, ...(ttlMs && { ttlMs }) });
      const lease = (id: string, ttlMs = 60_000) => ({ id, ttlMs });
      const X = 'budget:{a}:tenant:x';
      const usage = { cost: 300, inputTokens: 3, outputTokens: 4 };

      it('reads zeros for an unknown key, and refuses more than the limit on it', async () => {
        expect(await store.read(X, T)).toEqual(zero);
        expect(await store.reserve([line(X, 100)], 101, lease('r1'), T)).toEqual({
          ok: false,
          index: 0,
          state: zero,
        });
        expect(await store.read(X, T)).toEqual(zero);
      });

      it('reserves while spent + reserved + amount ≤ limit, and a refusal changes nothing', async () => {
        expect(await store.reserve([line(X, 1_000)], 600, lease('r1'), T)).toEqual({
          ok: true,
          index: 0,
          state: { ...zero, reserved: 600 },
        });
        expect(await store.reserve([line(X, 1_000)], 401, lease('r2'), T)).toEqual({
          ok: false,
          index: 0,
          state: { ...zero, reserved: 600 },
        });
        expect(await store.reserve([line(X, 1_000)], 400, lease('r3'), T)).toEqual({
          ok: true,
          index: 0,
          state: { ...zero, reserved: 1_000 },
        });
        expect(await store.read(X, T)).toEqual({ ...zero, reserved: 1_000 });
      });

      it('reserves in every line or none, and names the line that refused', async () => {
        const U = 'budget:{a}:user:u';
        await store.reserve([line(U, 500)], 400, lease('other'), T);
        const refused = await store.reserve([line(X, 10_000), line(U, 500)], 200, lease('r1'), T);
        expect(refused).toEqual({ ok: false, index: 1, state: { ...zero, reserved: 400 } });
        expect(await store.read(X, T)).toEqual(zero);
        expect((await store.reserve([line(X, 10_000), line(U, 500)], 100, lease('r1'), T)).ok).toBe(true);
        expect((await store.read(X, T)).reserved).toBe(100);
        expect((await store.read(U, T)).reserved).toBe(500);
      });

      it('an infinite limit never refuses', async () => {
        const r = await store.reserve([line(X, Number.POSITIVE_INFINITY)], 9_000_000_000_000, lease('r'), T);
        expect(r).toEqual({ ok: true, index: 0, state: { ...zero, reserved: 9_000_000_000_000 } });
      });

      it('settle ends the lease (all it holds) and counts the cost and usage, exactly', async () => {
        await store.reserve([line(X, 10_000)], 1_000, lease('r1'), T);
        await store.reserve([line(X, 10_000)], 1_000, lease('r2'), T);
        // A second reserve on the same lease adds to it (a dearer fallback).
        await store.reserve([line(X, 10_000)], 500, lease('r1'), T);
        const states = await store.settle([line(X, 10_000)], lease('r1'), { ...usage, cost: 333 }, T);
        expect(states).toEqual([
          { spent: 333, reserved: 1_000, inputTokens: 3, outputTokens: 4, requests: 1 },
        ]);
        expect((await store.reserve([line(X, 10_000)], 8_667, lease('r3'), T)).ok).toBe(true);
        expect((await store.reserve([line(X, 10_000)], 1, lease('r4'), T)).ok).toBe(false);
      });

      it('a settle is applied once per lease id: a retry changes nothing', async () => {
        await store.reserve([line(X, 10_000)], 1_000, lease('req-1'), T);
        const first = await store.settle([line(X, 10_000)], lease('req-1'), usage, T);
        expect(first).toEqual([{ spent: 300, reserved: 0, inputTokens: 3, outputTokens: 4, requests: 1 }]);
        expect(await store.settle([line(X, 10_000)], lease('req-1'), usage, T)).toEqual(first);
        expect(await store.read(X, T)).toEqual(first[0]);
        // Another id is another settlement; a settle without a reservation still counts.
        await store.settle([line(X, 10_000)], lease('req-2'), usage, T);
        expect((await store.read(X, T)).spent).toBe(600);
      });

      it('settles every line in one step, each with its own state', async () => {
        const U = 'budget:{a}:user:u';
        await store.reserve([line(X, 10_000), line(U, 5_000)], 1_000, lease('r1'), T);
        await store.reserve([line(U, 5_000)], 700, lease('r0'), T);
        const states = await store.settle([line(X, 10_000), line(U, 5_000)], lease('r1'), usage, T);
        expect(states).toEqual([
          { spent: 300, reserved: 0, inputTokens: 3, outputTokens: 4, requests: 1 },
          { spent: 300, reserved: 700, inputTokens: 3, outputTokens: 4, requests: 1 },
        ]);
      });

      it('release gives back what the lease holds, once, and leaves an unknown key unknown', async () => {
        await store.reserve([line(X, 1_000)], 700, lease('r1'), T);
        await store.reserve([line(X, 1_000)], 200, lease('r2'), T);
        await store.release([line(X, 1_000)], lease('r1'), T);
        expect(await store.read(X, T)).toEqual({ ...zero, reserved: 200 });
        await store.release([line(X, 1_000)], lease('r1'), T);
        expect(await store.read(X, T)).toEqual({ ...zero, reserved: 200 });
        const none = 'budget:{a}:tenant:none';
        await store.release([line(none, 1_000)], lease('r1'), T);
        expect(await store.read(none, T)).toEqual(zero);
      });

      it('a lease nobody ends lapses after its ttl, and what it held is free again', async () => {
        await store.reserve([line(X, 1_000)], 800, lease('dead', 5_000), T);
        await store.reserve([line(X, 1_000)], 100, lease('live', 60_000), T);
        expect((await store.reserve([line(X, 1_000)], 500, lease('new'), T + 4_999)).ok).toBe(false);
        expect(await store.read(X, T + 5_000)).toEqual({ ...zero, reserved: 100 });
        expect((await store.reserve([line(X, 1_000)], 500, lease('new'), T + 5_000)).ok).toBe(true);
        // The holder that comes back late settles: its cost counts, nothing is given back twice.
        const [state] = await store.settle([line(X, 1_000)], lease('dead', 5_000), usage, T + 6_000);
        expect(state).toEqual({ spent: 300, reserved: 600, inputTokens: 3, outputTokens: 4, requests: 1 });
      });

      it('renew keeps a lease alive; an ended lease stays ended', async () => {
        await store.reserve([line(X, 1_000)], 800, lease('r1', 5_000), T);
        await store.renew([line(X, 1_000)], lease('r1', 5_000), T + 4_000);
        expect((await store.read(X, T + 8_000)).reserved).toBe(800);
        expect((await store.read(X, T + 9_000)).reserved).toBe(0);
        await store.renew([line(X, 1_000)], lease('r1', 5_000), T + 9_500);
        expect((await store.read(X, T + 9_600)).reserved).toBe(0);
      });

      it('a period key expires after ttlMs', async () => {
        const key = 'budget:{a}:tenant:short';
        await store.reserve([line(key, 1_000, 60_000)], 5, lease('r1'), T);
        await store.settle([line(key, 1_000, 60_000)], lease('r1'), { ...usage, cost: 5 }, T);
        expect((await store.read(key, T)).spent).toBe(5);
        await options.checkExpiry?.(key, 60_000);
      });

      it('keeps keys apart', async () => {
        await store.reserve([line(X, 100)], 10, lease('r1'), T);
        expect(await store.read('budget:{b}:tenant:x', T)).toEqual(zero);
      });
    });
  });
}
