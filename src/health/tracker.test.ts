import { describe, expect, it } from 'vitest';
import type { ProviderErrorCode } from '../errors.js';
import { type BreakerOptions, DEFAULT_BREAKER, HealthTracker } from './tracker.js';

const KEY = HealthTracker.key('gpt-6.2-sol', 'openai', undefined);

/** A tracker on a clock the test moves by hand. */
function setup(options: Partial<BreakerOptions> = {}) {
  const clock = { now: 0 };
  const tracker = new HealthTracker(() => clock.now, { ...DEFAULT_BREAKER, ...options });
  const fail = (times = 1, code: ProviderErrorCode = 'server_error', key = KEY) => {
    for (let i = 0; i < times; i++) tracker.record(key, code, 10);
  };
  const succeed = (times = 1, latencyMs = 10, key = KEY) => {
    for (let i = 0; i < times; i++) tracker.record(key, undefined, latencyMs);
  };
  const isOpen = (key = KEY) => tracker.view(key)?.open ?? false;
  return { clock, tracker, fail, succeed, isOpen };
}

describe('HealthTracker: opening the circuit', () => {
  it('knows nothing of a deployment before its first record, and lets it be called', () => {
    const { tracker } = setup();
    expect(tracker.view(KEY)).toBeUndefined();
    expect(tracker.tryAcquire(KEY)).toBe(true);
    expect(tracker.tryAcquire(KEY)).toBe(true);
    expect(tracker.view(KEY)).toBeUndefined();
  });

  it('opens after consecutiveFailures in a row, not one before', () => {
    const { tracker, fail, isOpen } = setup({ consecutiveFailures: 3, minSamples: 100 });
    fail(2);
    expect(isOpen()).toBe(false);
    expect(tracker.tryAcquire(KEY)).toBe(true);
    fail(1);
    expect(isOpen()).toBe(true);
    expect(tracker.tryAcquire(KEY)).toBe(false);
  });

  it('counts failures in a row: a success in between resets the count', () => {
    const { fail, succeed, isOpen } = setup({ consecutiveFailures: 3, minSamples: 100 });
    fail(2);
    succeed();
    fail(2);
    succeed();
    fail(2);
    expect(isOpen()).toBe(false);
    fail(1);
    expect(isOpen()).toBe(true);
  });

  it('opens on the error rate over the window only once minSamples attempts are in it', () => {
    const { fail, succeed, isOpen } = setup({
      consecutiveFailures: 100,
      errorRate: 0.5,
      window: 10,
      minSamples: 6,
    });
    // f s f s f: 60 % failures, but 5 samples < minSamples
    fail();
    succeed();
    fail();
    succeed();
    fail();
    expect(isOpen()).toBe(false);
    succeed(); // 3 / 6: a success never opens
    expect(isOpen()).toBe(false);
    fail(); // 4 / 7 ≥ 0.5
    expect(isOpen()).toBe(true);
  });

  it('does not open while the error rate stays under errorRate', () => {
    const { fail, succeed, isOpen } = setup({
      consecutiveFailures: 100,
      errorRate: 0.5,
      window: 10,
      minSamples: 4,
    });
    for (let i = 0; i < 20; i++) {
      succeed(2);
      fail(1); // at most 4 / 10 in any window
    }
    expect(isOpen()).toBe(false);
  });

  it('takes the error rate over the last `window` attempts only', () => {
    const { fail, succeed, isOpen } = setup({
      consecutiveFailures: 100,
      errorRate: 0.5,
      window: 10,
      minSamples: 10,
    });
    fail(6); // 6 samples < minSamples: still closed
    expect(isOpen()).toBe(false);
    succeed(10); // the window is now 10 successes
    fail(4); // 4 / 10 in the window (10 / 20 over all time would open)
    expect(isOpen()).toBe(false);
    fail(1); // 5 / 10
    expect(isOpen()).toBe(true);
  });

  it.each<ProviderErrorCode>([
    'rate_limited',
    'overloaded',
    'server_error',
    'timeout',
    'connection',
    'not_found',
  ])('counts %s against the deployment', (code) => {
    const { fail, isOpen } = setup({ consecutiveFailures: 2 });
    fail(2, code);
    expect(isOpen()).toBe(true);
  });

  it.each<ProviderErrorCode>(['bad_request', 'auth', 'context_length', 'content_filter'])(
    'neither opens nor counts %s (not the deployment’s fault)',
    (code) => {
      const { tracker, fail, succeed, isOpen } = setup({
        consecutiveFailures: 3,
        errorRate: 0.5,
        window: 10,
        minSamples: 2,
      });
      succeed(2);
      const before = { ...tracker.view(KEY) };
      fail(50, code);
      expect(isOpen()).toBe(false);
      expect(tracker.tryAcquire(KEY)).toBe(true);
      // No sample: the success rate and sample count are untouched.
      expect(tracker.view(KEY)).toEqual(before);
      expect(tracker.view(KEY)?.samples).toBe(2);
      expect(tracker.view(KEY)?.successRate).toBe(1);
    },
  );

  it('does not let a non-deployment failure reset a run of real failures either', () => {
    // "it neither helps nor hurts": a bad request between two server errors is not a success.
    const { fail, isOpen } = setup({ consecutiveFailures: 3, minSamples: 100 });
    fail(2);
    fail(1, 'bad_request');
    expect(isOpen()).toBe(false);
    fail(1);
    expect(isOpen()).toBe(true);
  });

  it('reports no samples for a deployment that only saw non-deployment failures', () => {
    const { tracker, fail } = setup({ consecutiveFailures: 1 });
    fail(5, 'auth');
    expect(tracker.view(KEY)).toMatchObject({ samples: 0, successRate: 1, open: false });
  });
});

describe('HealthTracker: open, half-open, closed', () => {
  const options = { consecutiveFailures: 3, minSamples: 100, cooldownMs: 1_000 };

  it('refuses every attempt while open, until cooldownMs has passed', () => {
    const { clock, tracker, fail, isOpen } = setup(options);
    clock.now = 5_000;
    fail(3);
    for (const t of [5_000, 5_001, 5_500, 5_999]) {
      clock.now = t;
      expect(isOpen()).toBe(true);
      expect(tracker.tryAcquire(KEY)).toBe(false);
    }
    clock.now = 6_000;
    expect(isOpen()).toBe(false);
  });

  it('after the cooldown lets exactly one probe through and refuses the others until it is recorded', () => {
    const { clock, tracker, fail, isOpen } = setup(options);
    fail(3);
    clock.now = 1_000;
    expect(tracker.tryAcquire(KEY)).toBe(true); // the probe
    expect(isOpen()).toBe(true); // its probe is out
    for (let i = 0; i < 10; i++) expect(tracker.tryAcquire(KEY)).toBe(false);
    clock.now = 100_000; // time alone does not free another probe
    expect(tracker.tryAcquire(KEY)).toBe(false);
    expect(isOpen()).toBe(true);
  });

  it('closes on a successful probe and resets the consecutive count', () => {
    const { clock, tracker, fail, succeed, isOpen } = setup(options);
    fail(3);
    clock.now = 1_000;
    expect(tracker.tryAcquire(KEY)).toBe(true);
    succeed();
    expect(isOpen()).toBe(false);
    for (let i = 0; i < 5; i++) expect(tracker.tryAcquire(KEY)).toBe(true);
    fail(2); // with the old count these would be failures 4 and 5
    expect(isOpen()).toBe(false);
    fail(1);
    expect(isOpen()).toBe(true);
  });

  it('closes on a successful probe and empties the error-rate window', () => {
    const { clock, tracker, fail, succeed, isOpen } = setup({
      consecutiveFailures: 100,
      errorRate: 0.5,
      window: 10,
      minSamples: 4,
      cooldownMs: 1_000,
    });
    fail(4); // 4 / 4
    expect(isOpen()).toBe(true);
    clock.now = 1_000;
    expect(tracker.tryAcquire(KEY)).toBe(true);
    succeed();
    expect(isOpen()).toBe(false);
    fail(3); // 3 samples < minSamples (with the old window: 7 / 8)
    expect(isOpen()).toBe(false);
    fail(1); // 4 / 4
    expect(isOpen()).toBe(true);
  });

  it('re-opens on a failed probe for a new cooldown counted from the probe’s failure', () => {
    const { clock, tracker, fail, isOpen } = setup(options);
    fail(3); // open until 1 000
    clock.now = 1_500;
    expect(tracker.tryAcquire(KEY)).toBe(true);
    clock.now = 1_700;
    fail(1); // open until 2 700
    expect(isOpen()).toBe(true);
    clock.now = 2_699;
    expect(tracker.tryAcquire(KEY)).toBe(false);
    clock.now = 2_700;
    expect(isOpen()).toBe(false);
    expect(tracker.tryAcquire(KEY)).toBe(true); // the next probe
    expect(tracker.tryAcquire(KEY)).toBe(false);
  });

  it('a probe that ends in a non-deployment failure neither closes nor re-opens: the next caller probes', () => {
    const { clock, tracker, fail, isOpen } = setup(options);
    fail(3);
    clock.now = 1_000;
    expect(tracker.tryAcquire(KEY)).toBe(true);
    fail(1, 'bad_request');
    expect(isOpen()).toBe(false);
    expect(tracker.tryAcquire(KEY)).toBe(true); // a new probe
    expect(tracker.tryAcquire(KEY)).toBe(false);
    fail(1); // that probe fails: open again
    expect(isOpen()).toBe(true);
  });

  it('a zero cooldown still admits one probe at a time', () => {
    const { tracker, fail } = setup({ ...options, cooldownMs: 0 });
    fail(3);
    expect(tracker.tryAcquire(KEY)).toBe(true);
    expect(tracker.tryAcquire(KEY)).toBe(false);
  });
});

describe('HealthTracker: moving averages', () => {
  it('starts the success rate at the first sample, then moves it by 0.2 of each new sample', () => {
    const { tracker, fail, succeed } = setup({ consecutiveFailures: 100, minSamples: 100 });
    succeed();
    expect(tracker.view(KEY)).toMatchObject({ successRate: 1, samples: 1 });
    fail();
    expect(tracker.view(KEY)?.successRate).toBeCloseTo(0.8, 12);
    fail();
    expect(tracker.view(KEY)?.successRate).toBeCloseTo(0.64, 12);
    succeed();
    expect(tracker.view(KEY)?.successRate).toBeCloseTo(0.712, 12);
    expect(tracker.view(KEY)?.samples).toBe(4);
  });

  it('starts at 0 when the first sample is a failure', () => {
    const { tracker, fail, succeed } = setup({ consecutiveFailures: 100, minSamples: 100 });
    fail();
    expect(tracker.view(KEY)?.successRate).toBe(0);
    succeed();
    expect(tracker.view(KEY)?.successRate).toBeCloseTo(0.2, 12);
  });

  it('takes latency from successes only', () => {
    const { tracker, succeed } = setup({ consecutiveFailures: 100, minSamples: 100 });
    tracker.record(KEY, 'timeout', 60_000);
    expect(tracker.view(KEY)?.latencyMs).toBe(0);
    succeed(1, 100);
    expect(tracker.view(KEY)?.latencyMs).toBe(100);
    tracker.record(KEY, 'server_error', 9_000);
    tracker.record(KEY, 'timeout', 60_000);
    expect(tracker.view(KEY)?.latencyMs).toBe(100);
    succeed(1, 200);
    expect(tracker.view(KEY)?.latencyMs).toBeCloseTo(120, 12);
    succeed(1, 20);
    expect(tracker.view(KEY)?.latencyMs).toBeCloseTo(100, 12);
  });

  it('converges on the observed success share', () => {
    const { tracker, fail, succeed } = setup({ consecutiveFailures: 100, minSamples: 1_000 });
    for (let i = 0; i < 200; i++) {
      succeed(3);
      fail(1);
    }
    const rate = tracker.view(KEY)!.successRate;
    expect(rate).toBeGreaterThan(0.5);
    expect(rate).toBeLessThan(0.95);
  });
});

describe('HealthTracker: deployments', () => {
  it('keys the same model on different credentials as different deployments', () => {
    const a = HealthTracker.key('claude-sonnet-5-5', 'anthropic', 'acme-key');
    const b = HealthTracker.key('claude-sonnet-5-5', 'anthropic', 'globex-key');
    const shared = HealthTracker.key('claude-sonnet-5-5', 'anthropic', undefined);
    const otherProvider = HealthTracker.key('claude-sonnet-5-5', 'bedrock', 'acme-key');
    expect(new Set([a, b, shared, otherProvider]).size).toBe(4);

    const { tracker, fail, succeed, isOpen } = setup({ consecutiveFailures: 2, minSamples: 100 });
    fail(2, 'server_error', a);
    succeed(1, 50, b);
    expect(isOpen(a)).toBe(true);
    expect(tracker.tryAcquire(a)).toBe(false);
    expect(isOpen(b)).toBe(false);
    expect(tracker.tryAcquire(b)).toBe(true);
    expect(tracker.view(b)).toMatchObject({ successRate: 1, latencyMs: 50, samples: 1 });
    expect(tracker.view(shared)).toBeUndefined();
    expect(tracker.tryAcquire(shared)).toBe(true);
    expect(tracker.tryAcquire(otherProvider)).toBe(true);
  });

  it('does not mix ids that differ only in where the separator falls', () => {
    expect(HealthTracker.key('a', 'b-c', undefined)).not.toBe(HealthTracker.key('a-b', 'c', undefined));
    expect(HealthTracker.key('m', 'p', '')).toBe(HealthTracker.key('m', 'p', undefined));
  });
});

describe('HealthTracker: reporting changes', () => {
  it('reports each change of state from record(), and nothing otherwise', () => {
    const { clock, tracker } = setup({ consecutiveFailures: 2, minSamples: 100, cooldownMs: 1_000 });
    expect(tracker.record(KEY, 'server_error', 10)).toBeUndefined();
    expect(tracker.record(KEY, 'server_error', 10)).toEqual({
      state: 'open',
      reason: 'consecutive_failures',
      cooldownMs: 1_000,
    });
    clock.now += 1_000;
    expect(tracker.tryAcquire(KEY)).toBe(true);
    expect(tracker.record(KEY, 'timeout', 10)).toEqual({
      state: 'open',
      reason: 'probe_failed',
      cooldownMs: 1_000,
    });
    clock.now += 1_000;
    expect(tracker.tryAcquire(KEY)).toBe(true);
    // Not the deployment's fault: the probe is done, the circuit stays half-open.
    expect(tracker.record(KEY, 'bad_request', 10)).toBeUndefined();
    expect(tracker.tryAcquire(KEY)).toBe(true);
    expect(tracker.record(KEY, undefined, 10)).toEqual({ state: 'closed' });
    expect(tracker.record(KEY, undefined, 10)).toBeUndefined();
  });

  it('reports error_rate when the window, not the run of failures, opens it', () => {
    const { tracker } = setup({ consecutiveFailures: 100, errorRate: 0.5, window: 4, minSamples: 4 });
    const codes: (ProviderErrorCode | undefined)[] = [undefined, 'server_error', undefined, 'server_error'];
    const changes = codes.map((code) => tracker.record(KEY, code, 10));
    expect(changes.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(changes[3]).toMatchObject({ state: 'open', reason: 'error_rate' });
  });
});
