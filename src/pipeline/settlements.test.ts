import { describe, expect, it } from 'vitest';
import type { StoreErrorEvent } from '../events/types.js';
import { type Settlement, SettlementJournal } from './settlements.js';

function journalOf(options: Partial<ConstructorParameters<typeof SettlementJournal>[2]> = {}) {
  const events: StoreErrorEvent[] = [];
  const journal = new SettlementJournal(
    (name, build) => {
      if (name === 'store.error') events.push(build() as StoreErrorEvent);
    },
    () => 0,
    { retries: 3, minDelayMs: 1, maxDelayMs: 4, closeWaitMs: 50, ...options },
  );
  return { journal, events };
}

/** A settlement whose `apply` fails `failures` times, then applies. */
function failing(failures: number, requestId = 'r1'): Settlement & { applied: number; tries: number } {
  const s = {
    kind: 'budget' as const,
    key: 'budget:{acme}:tenant:total',
    tenant: 'acme',
    requestId,
    amountUsd: 0.5,
    applied: 0,
    tries: 0,
    async apply() {
      s.tries++;
      if (s.tries <= failures) throw new Error('down');
      s.applied++;
    },
  };
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SettlementJournal', () => {
  it('applies at once when the store answers, and reports nothing', async () => {
    const { journal, events } = journalOf();
    const s = failing(0);
    expect(await journal.settle(s)).toBe(true);
    expect(s.applied).toBe(1);
    expect(events).toHaveLength(0);
    expect(journal.size).toBe(0);
  });

  it('retries with backoff until it applies, reporting each failure', async () => {
    const { journal, events } = journalOf();
    const s = failing(2);
    expect(await journal.settle(s)).toBe(false);
    expect(journal.size).toBe(1);
    while (journal.size > 0) await sleep(2);
    expect(s.applied).toBe(1);
    expect(events.map((e) => e.unsettled?.attempts)).toEqual([1, 2]);
    expect(events[0]).toMatchObject({ tenant: 'acme', requestId: 'r1', unsettled: { amountUsd: 0.5 } });
  });

  it('gives up after `retries` retries, and says so', async () => {
    const { journal, events } = journalOf();
    const s = failing(1_000);
    await journal.settle(s);
    while (journal.size > 0) await sleep(2);
    expect(s.tries).toBe(4);
    expect(events.at(-1)).toMatchObject({ unsettled: { gaveUp: true } });
  });

  it('drain() retries what is pending at once, and gives up after closeWaitMs', async () => {
    const { journal, events } = journalOf({ minDelayMs: 60_000, maxDelayMs: 60_000, retries: 100 });
    const soon = failing(1, 'soon');
    const never = failing(1_000, 'never');
    await journal.settle(soon);
    await journal.settle(never);
    await journal.drain();
    expect(soon.applied).toBe(1);
    expect(journal.size).toBe(0);
    expect(events.filter((e) => e.unsettled?.gaveUp).map((e) => e.requestId)).toEqual(['never']);
  });

  it('keeps at most MAX_PENDING settlements: the oldest is given up', async () => {
    const { journal, events } = journalOf({ minDelayMs: 60_000, maxDelayMs: 60_000 });
    for (let i = 0; i <= SettlementJournal.MAX_PENDING; i++) await journal.settle(failing(1_000, `r${i}`));
    expect(journal.size).toBe(SettlementJournal.MAX_PENDING);
    expect(events.filter((e) => e.unsettled?.gaveUp).map((e) => e.requestId)).toEqual(['r0']);
    // Close: every one is retried once more, then given up; no timer is left.
    await journal.drain();
    expect(journal.size).toBe(0);
  });
});
