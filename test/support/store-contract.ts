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

    describe('reserve / settle / release / read (nano-USD)', () => {
      const zero = { spent: 0, reserved: 0, inputTokens: 0, outputTokens: 0, requests: 0 };

      it('reads zeros for an unknown key', async () => {
        expect(await store.read('budget:{a}:tenant:x')).toEqual(zero);
      });

      it('reserves while spent + reserved + amount ≤ limit, and a refusal changes nothing', async () => {
        const key = 'budget:{a}:tenant:x';
        expect(await store.reserve(key, 600, 1_000, undefined)).toEqual({
          ok: true,
          state: { ...zero, reserved: 600 },
        });
        expect(await store.reserve(key, 401, 1_000, undefined)).toEqual({
          ok: false,
          state: { ...zero, reserved: 600 },
        });
        expect(await store.reserve(key, 400, 1_000, undefined)).toEqual({
          ok: true,
          state: { ...zero, reserved: 1_000 },
        });
        expect(await store.read(key)).toEqual({ ...zero, reserved: 1_000 });
      });

      it('an infinite limit never refuses', async () => {
        const key = 'budget:{a}:tenant:x';
        const r = await store.reserve(key, 9_000_000_000_000, Number.POSITIVE_INFINITY, undefined);
        expect(r).toEqual({ ok: true, state: { ...zero, reserved: 9_000_000_000_000 } });
      });

      it('settle replaces the reservation by the cost and counts usage, exactly', async () => {
        const key = 'budget:{a}:tenant:x';
        await store.reserve(key, 1_000, 10_000, undefined);
        await store.reserve(key, 1_000, 10_000, undefined);
        const state = await store.settle(
          key,
          1_000,
          { cost: 333, inputTokens: 10, outputTokens: 20 },
          undefined,
        );
        expect(state).toEqual({
          spent: 333,
          reserved: 1_000,
          inputTokens: 10,
          outputTokens: 20,
          requests: 1,
        });
        // A settle never leaves a negative reservation.
        const again = await store.settle(key, 5_000, { cost: 1, inputTokens: 1, outputTokens: 2 }, undefined);
        expect(again).toEqual({ spent: 334, reserved: 0, inputTokens: 11, outputTokens: 22, requests: 2 });
        expect(await store.reserve(key, 9_666, 10_000, undefined)).toMatchObject({ ok: true });
        expect(await store.reserve(key, 1, 10_000, undefined)).toMatchObject({ ok: false });
      });

      it('a settle with an id is applied once: a retry of the same id changes nothing', async () => {
        const key = 'budget:{a}:tenant:x';
        await store.reserve(key, 1_000, 10_000, undefined);
        const usage = { cost: 300, inputTokens: 3, outputTokens: 4, id: 'req-1' };
        const first = await store.settle(key, 1_000, usage, undefined);
        expect(first).toEqual({ spent: 300, reserved: 0, inputTokens: 3, outputTokens: 4, requests: 1 });
        expect(await store.settle(key, 1_000, usage, undefined)).toEqual(first);
        expect(await store.read(key)).toEqual(first);
        // Another id on the same key, or the same id on another key, is another settlement.
        await store.settle(key, 0, { ...usage, id: 'req-2' }, undefined);
        expect((await store.read(key)).spent).toBe(600);
        await store.settle('budget:{a}:user:u', 0, usage, undefined);
        expect((await store.read('budget:{a}:user:u')).spent).toBe(300);
      });

      it('release gives a reservation back, never below zero, and leaves an unknown key unknown', async () => {
        const key = 'budget:{a}:tenant:x';
        await store.reserve(key, 700, 1_000, undefined);
        expect(await store.release(key, 300)).toEqual({ ...zero, reserved: 400 });
        expect(await store.release(key, 1_000)).toEqual(zero);
        expect(await store.release('budget:{a}:tenant:none', 5)).toEqual(zero);
        expect(await store.read('budget:{a}:tenant:none')).toEqual(zero);
      });

      it('a period key expires after ttlMs', async () => {
        const key = 'budget:{a}:tenant:short';
        await store.reserve(key, 5, 1_000, 60_000);
        await store.settle(key, 5, { cost: 5, inputTokens: 1, outputTokens: 1 }, 60_000);
        expect((await store.read(key)).spent).toBe(5);
        await options.checkExpiry?.(key, 60_000);
      });

      it('keeps keys apart', async () => {
        await store.reserve('budget:{a}:tenant:x', 10, 100, undefined);
        expect(await store.read('budget:{b}:tenant:x')).toEqual(zero);
      });
    });
  });
}
