import { describe, expect, it } from 'vitest';
import { FairQueue, type Slot } from './fair-queue.js';
import { NoisyNeighbors } from './noisy.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A queue with one slot, held by the test: `step()` releases the slot in hand and takes the
 * next granted one, recording whose it was.
 */
function harness(maxQueuePerTenant = 1_000) {
  const queue = new FairQueue({ maxInFlight: 1, maxQueuePerTenant });
  const served: string[] = [];
  let current: Slot | undefined = queue.tryAcquire('holder');
  const add = (tenant: string, weight: number, count: number) => {
    for (let i = 0; i < count; i++) {
      queue.enqueue(tenant, weight)!.then((slot) => {
        served.push(slot.tenant);
        current = slot;
      });
    }
  };
  const step = async () => {
    const slot = current!;
    current = undefined;
    slot.release();
    await flush();
  };
  return { queue, served, add, step };
}

describe('FairQueue', () => {
  it('takes a free slot at once, and queues when the slots are taken', () => {
    const queue = new FairQueue({ maxInFlight: 2, maxQueuePerTenant: 10 });
    const a = queue.tryAcquire('a');
    const b = queue.tryAcquire('b');
    expect(a && b).toBeTruthy();
    expect(queue.tryAcquire('c')).toBeUndefined();
    void queue.enqueue('c', 1);
    expect([queue.inFlight, queue.queued, queue.load('a'), queue.load('c')]).toEqual([2, 1, 1, 1]);
    a!.release();
    a!.release(); // a second release does nothing
    expect([queue.inFlight, queue.queued]).toEqual([2, 0]);
    // Nobody waits, but a free slot is not taken ahead of a waiter: none is free here.
    expect(queue.tryAcquire('d')).toBeUndefined();
  });

  it('serves two backlogged tenants with weights 3 and 1 within 10% of 3:1', async () => {
    const { served, add, step } = harness();
    add('heavy', 3, 400);
    add('light', 1, 400);
    for (let i = 0; i < 400; i++) await step();
    const heavy = served.filter((t) => t === 'heavy').length;
    const light = served.filter((t) => t === 'light').length;
    expect(heavy + light).toBe(400);
    expect(Math.abs(heavy / light / 3 - 1)).toBeLessThanOrEqual(0.1);
    // Not in bursts either: every window of 8 holds 6 ± 1 heavy calls.
    for (let i = 0; i + 8 <= served.length; i += 8) {
      const count = served.slice(i, i + 8).filter((t) => t === 'heavy').length;
      expect(count).toBeGreaterThanOrEqual(5);
      expect(count).toBeLessThanOrEqual(7);
    }
  });

  it('serves equal weights in turn, not in arrival order', async () => {
    const { served, add, step } = harness();
    add('early', 1, 20);
    add('late', 1, 20);
    for (let i = 0; i < 10; i++) await step();
    expect(served.filter((t) => t === 'late').length).toBe(5);
  });

  it('gives a tenant back from idle no burst from credit banked while idle', async () => {
    const { served, add, step } = harness();
    add('idle', 1, 2);
    add('busy', 1, 200);
    // 'idle' is served twice, then idle (its virtual time stays behind) while 'busy' is served alone.
    for (let i = 0; i < 100; i++) await step();
    expect(served.slice(0, 4)).toEqual(['idle', 'busy', 'idle', 'busy']);
    expect(served.slice(4).every((t) => t === 'busy')).toBe(true);
    add('idle', 1, 20);
    const before = served.length;
    for (let i = 0; i < 20; i++) await step();
    const after = served.slice(before);
    // Equal weights: the two alternate from the moment it arrives; no run of idle calls.
    expect(after.filter((t) => t === 'idle').length).toBe(10);
    expect(after.join(',')).not.toContain('idle,idle');
  });

  it('removes an aborted waiter at once, without leaking a slot', async () => {
    const queue = new FairQueue({ maxInFlight: 1, maxQueuePerTenant: 10 });
    const held = queue.tryAcquire('a')!;
    const controller = new AbortController();
    const aborted = queue.enqueue('b', 1, controller.signal)!;
    const next = queue.enqueue('c', 1)!;
    expect(queue.queued).toBe(2);
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    expect([queue.queued, queue.load('b')]).toEqual([1, 0]);
    held.release();
    const slot = await next;
    expect(slot.tenant).toBe('c');
    slot.release();
    expect([queue.inFlight, queue.queued]).toEqual([0, 0]);
    // An already-aborted signal is refused before it queues.
    await expect(queue.enqueue('d', 1, AbortSignal.abort(new Error('late')))).rejects.toThrow('late');
    expect(queue.tryAcquire('e')).toBeDefined();
  });

  it('refuses a call when its tenant already has maxQueuePerTenant waiting', () => {
    const queue = new FairQueue({ maxInFlight: 1, maxQueuePerTenant: 2 });
    queue.tryAcquire('a');
    expect(queue.enqueue('a', 1)).toBeDefined();
    expect(queue.enqueue('a', 1)).toBeDefined();
    expect(queue.enqueue('a', 1)).toBeUndefined();
    // Another tenant has its own queue.
    expect(queue.enqueue('b', 1)).toBeDefined();
    expect(queue.queuedOf('a')).toBe(2);
  });

  it('estimates the wait from the hold time and the weights', () => {
    let now = 0;
    const queue = new FairQueue({ maxInFlight: 2, maxQueuePerTenant: 10, clock: () => now });
    const a = queue.tryAcquire('a')!;
    queue.tryAcquire('a');
    expect(queue.estimateWaitMs('a', 1)).toBeUndefined();
    now = 100;
    a.release();
    void queue.enqueue('a', 1);
    void queue.enqueue('a', 1);
    void queue.enqueue('b', 3);
    // A slot frees every 50 ms; 'a' gets 1 of 4 of them.
    expect(queue.estimateWaitMs('a', 1)).toBe(200);
  });
});

describe('NoisyNeighbors', () => {
  it('flags a share above the threshold once per window, with at least 4 calls', () => {
    let now = 0;
    const noisy = new NoisyNeighbors({ share: 0.5, rateFactor: 3, windowMs: 1_000 }, () => now);
    expect(noisy.share('a', 3, 3)).toBeUndefined();
    expect(noisy.share('a', 2, 4)).toBeUndefined();
    expect(noisy.share('a', 3, 4)).toBe(0.75);
    expect(noisy.share('a', 4, 5)).toBeUndefined();
    now = 999;
    expect(noisy.share('a', 4, 5)).toBeUndefined();
    now = 1_000;
    expect(noisy.share('a', 4, 5)).toBe(0.8);
  });

  it('flags a rate above rateFactor × its own baseline, once per window, after one window of history', () => {
    let now = 0;
    const noisy = new NoisyNeighbors({ share: 0.5, rateFactor: 3, windowMs: 1_000 }, () => now);
    // No history: a first burst is not judged.
    for (let i = 0; i < 10; i++) expect(request(noisy, 'a')).toBeUndefined();
    now = 1_000;
    // Baseline 10 per window (600/min); 30 in a window is not above 3×.
    const seen = [];
    for (let i = 0; i < 30; i++) seen.push(request(noisy, 'a'));
    expect(seen.filter(Boolean)).toEqual([]);
    now = 2_000;
    for (let w = 0; w < 5; w++, now += 1_000) for (let i = 0; i < 10; i++) request(noisy, 'a');
    const burst = [];
    for (let i = 0; i < 100; i++) burst.push(request(noisy, 'a'));
    const flagged = burst.filter((b) => b !== undefined);
    expect(flagged).toHaveLength(1);
    expect(flagged[0]!.rate).toBeGreaterThan(3 * flagged[0]!.baseline);
  });

  it('does not flag a tenant back from idle for a handful of calls', () => {
    let now = 0;
    const noisy = new NoisyNeighbors({ share: 0.5, rateFactor: 3, windowMs: 1_000 }, () => now);
    request(noisy, 'a');
    now = 100_000;
    for (let i = 0; i < 3; i++) expect(request(noisy, 'a')).toBeUndefined();
  });
});

/** One request counted, then the rate tested, as the queue stage does under contention. */
function request(noisy: NoisyNeighbors, tenant: string) {
  noisy.count(tenant);
  return noisy.surge(tenant);
}
