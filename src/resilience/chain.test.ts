import { describe, expect, it } from 'vitest';
import { ProviderError, type ProviderErrorCode } from '../errors.js';
import { type ChainPolicy, type Run, RunCancelled, runChain } from './chain.js';
import { failover } from './failover.js';
import { isRetryable, retryDelay } from './retry.js';
import type { Timers } from './timers.js';

/** A clock that moves only when told to; every timer it was asked for is kept in `asked`. */
class FakeClock implements Timers {
  now = 0;
  /** The delay of every timer set, in order. */
  readonly asked: number[] = [];
  readonly #pending = new Map<unknown, { at: number; callback: () => void }>();
  #id = 0;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.#id;
    this.asked.push(ms);
    this.#pending.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle);
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Moves the clock on by `ms`, firing each timer due in order, settling promises between. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const due = [...this.#pending].filter(([, t]) => t.at <= end).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      this.#pending.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
    }
    this.now = end;
    await settle();
  }
}

/** Lets every pending promise reaction run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Model {
  name: string;
  model: { provider: string; contextWindow: number };
}
const model = (name: string, provider: string, contextWindow = 8_000): Model => ({
  name,
  model: { provider, contextWindow },
});

/** What one attempt does: fail at once, answer (after `afterMs` on the clock), or hang until aborted. */
type Script = { fail: ProviderError } | { answer: string; afterMs?: number } | 'hang';
const fail = (code: ProviderErrorCode, retryAfterMs?: number): Script => ({
  fail: new ProviderError(code, code, { provider: 'p', ...(retryAfterMs !== undefined && { retryAfterMs }) }),
});

const RETRY = { retries: 2, minDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };

/**
 * A chain over scripted attempts, with the router's rules: retries by `isRetryable` and
 * `retryDelay` (no jitter), failover by `failover`.
 */
function scripted(scripts: Record<string, Script[]>, clock: FakeClock) {
  const log: string[] = [];
  const runs = new Map<string, Run<Model>>();
  const cancelled: string[] = [];
  const policy: ChainPolicy<{ admitHedges: boolean }, Model, string> = {
    attempt(_call, run) {
      const name = run.candidate.name;
      runs.set(name, run);
      const script = scripts[name]?.shift();
      log.push(`${clock.now} ${name}`);
      if (script === undefined) return Promise.reject(new Error(`unscripted attempt on ${name}`));
      run.current = { cancel: () => cancelled.push(name) };
      const done = <T>(promise: Promise<T>) =>
        promise.finally(() => {
          run.current = undefined;
        });
      if (script === 'hang') {
        return done(
          new Promise<string>((_, reject) =>
            run.signal?.addEventListener('abort', () => reject(run.signal?.reason), { once: true }),
          ),
        );
      }
      if ('fail' in script) return done(Promise.reject(script.fail));
      if (script.afterMs === undefined) return done(Promise.resolve(script.answer));
      const answer = script.answer;
      return done(new Promise((resolve) => clock.setTimeout(() => resolve(answer), script.afterMs!)));
    },
    retryDelay: (_call, failure, n) =>
      n <= RETRY.retries && isRetryable(failure, RETRY.maxRetryAfterMs)
        ? retryDelay(RETRY, n, failure.retryAfterMs, () => 0)
        : undefined,
    verdict: (_call, failure, failed) => {
      if (!ProviderError.isInstance(failure)) throw failure;
      return failover(failure, failed);
    },
    admit: (call, _candidate, concurrent) => !concurrent || call.admitHedges,
    fallback: (_call, from, to, reason) =>
      log.push(`${clock.now} fallback ${from.name} -> ${to.name}: ${reason}`),
  };
  return { policy, log, runs, cancelled };
}

describe('runChain: retries and fallback', () => {
  it('retries a retryable failure after the computed delays, then falls back', async () => {
    const clock = new FakeClock();
    const { policy, log } = scripted(
      {
        a: [fail('server_error'), fail('rate_limited', 350), fail('overloaded')],
        b: [{ answer: 'from b' }],
      },
      clock,
    );
    const result = runChain(policy, { admitHedges: true }, [model('a', 'p1'), model('b', 'p2')], {
      timers: clock,
    });
    await clock.advance(99);
    expect(log).toEqual(['0 a']);
    await clock.advance(1);
    expect(log).toEqual(['0 a', '100 a']);
    // The second backoff is 200 ms, raised to the provider's retry-after of 350.
    await clock.advance(349);
    expect(log).toHaveLength(2);
    await clock.advance(1);
    expect(await result).toMatchObject({ ok: true, candidate: { name: 'b' }, value: 'from b' });
    expect(clock.asked).toEqual([100, 350]);
    expect(log).toEqual(['0 a', '100 a', '450 a', '450 fallback a -> b: overloaded', '450 b']);
    expect(clock.pending).toBe(0);
  });

  it('falls back at once on a retry-after longer than maxRetryAfterMs', async () => {
    const clock = new FakeClock();
    const { policy, log } = scripted({ a: [fail('rate_limited', 30_000)], b: [{ answer: 'b' }] }, clock);
    const result = await runChain(policy, { admitHedges: true }, [model('a', 'p1'), model('b', 'p2')], {
      timers: clock,
    });
    expect(result).toMatchObject({ ok: true, candidate: { name: 'b' } });
    expect(log).toEqual(['0 a', '0 fallback a -> b: rate_limited', '0 b']);
    expect(clock.asked).toEqual([]);
  });

  it.each(['auth', 'quota_exceeded', 'bad_request'] as const)(
    'does not retry %s, and skips the rest of that provider',
    async (code) => {
      const clock = new FakeClock();
      const { policy, log } = scripted({ a: [fail(code)], c: [{ answer: 'c' }] }, clock);
      const candidates = [model('a', 'p1'), model('a2', 'p1'), model('c', 'p2'), model('a3', 'p1')];
      const result = await runChain(policy, { admitHedges: true }, candidates, { timers: clock });
      expect(result).toMatchObject({ ok: true, candidate: { name: 'c' } });
      expect(log).toEqual(['0 a', `0 fallback a -> c: ${code}`, '0 c']);
      expect(clock.asked).toEqual([]);
    },
  );

  it('does not retry not_found, and moves on even on the same provider', async () => {
    const clock = new FakeClock();
    const { policy, log } = scripted({ a: [fail('not_found')], a2: [{ answer: 'a2' }] }, clock);
    const result = await runChain(policy, { admitHedges: true }, [model('a', 'p1'), model('a2', 'p1')], {
      timers: clock,
    });
    expect(result).toMatchObject({ ok: true, candidate: { name: 'a2' } });
    expect(log).toEqual(['0 a', '0 fallback a -> a2: not_found', '0 a2']);
  });

  it('skips the candidates without a larger window after context_length', async () => {
    const clock = new FakeClock();
    const { policy, log } = scripted({ a: [fail('context_length')], big: [{ answer: 'big' }] }, clock);
    const candidates = [model('a', 'p1', 8_000), model('same', 'p2', 8_000), model('big', 'p2', 32_000)];
    const result = await runChain(policy, { admitHedges: true }, candidates, { timers: clock });
    expect(result).toMatchObject({ ok: true, candidate: { name: 'big' } });
    expect(log).toEqual(['0 a', '0 fallback a -> big: context_length', '0 big']);
  });

  it('stops at content_filter, with it as the last failure', async () => {
    const clock = new FakeClock();
    const { policy, log } = scripted({ a: [fail('content_filter')] }, clock);
    const result = await runChain(policy, { admitHedges: true }, [model('a', 'p1'), model('b', 'p2')], {
      timers: clock,
    });
    expect(result).toMatchObject({ ok: false, failure: { code: 'content_filter' } });
    expect(log).toEqual(['0 a']);
  });

  it('ends with the last failure when every candidate has failed', async () => {
    const clock = new FakeClock();
    const { policy } = scripted({ a: [fail('not_found')], b: [fail('auth')] }, clock);
    const result = await runChain(policy, { admitHedges: true }, [model('a', 'p1'), model('b', 'p2')], {
      timers: clock,
    });
    expect(result).toMatchObject({ ok: false, failure: { code: 'auth' } });
  });

  it("stops a retry's wait as soon as the call's signal aborts", async () => {
    const clock = new FakeClock();
    const { policy, log } = scripted({ a: [fail('server_error')] }, clock);
    const call = new AbortController();
    const result = runChain(policy, { admitHedges: true }, [model('a', 'p1'), model('b', 'p2')], {
      timers: clock,
      signal: call.signal,
    });
    const rejected = expect(result).rejects.toThrow('the caller left');
    await clock.advance(50);
    expect(clock.pending).toBe(1);
    call.abort(new Error('the caller left'));
    // The wait rejects with the reason; this policy's verdict throws what is no ProviderError.
    await rejected;
    expect(clock.pending).toBe(0);
    expect(log).toEqual(['0 a']);
  });
});

describe('runChain: hedging', () => {
  it('starts the next candidate at hedgeAfterMs; the first answer wins and the loser is cancelled and aborted', async () => {
    const clock = new FakeClock();
    const { policy, log, runs, cancelled } = scripted(
      { a: ['hang'], b: [{ answer: 'from b', afterMs: 30 }] },
      clock,
    );
    const result = runChain(policy, { admitHedges: true }, [model('a', 'p1'), model('b', 'p2')], {
      timers: clock,
      hedgeAfterMs: 100,
    });
    await clock.advance(99);
    expect(log).toEqual(['0 a']);
    await clock.advance(1);
    expect(log).toEqual(['0 a', '100 fallback a -> b: hedge after 100 ms', '100 b']);
    await clock.advance(30);
    expect(await result).toMatchObject({ ok: true, candidate: { name: 'b' }, value: 'from b' });
    expect(cancelled).toEqual(['a']);
    expect(runs.get('a')!.signal!.reason).toBeInstanceOf(RunCancelled);
    expect(runs.get('a')!.cancelled).toBe(true);
    expect(runs.get('b')!.signal!.aborted).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('lets the first candidate win when it answers before the hedge does', async () => {
    const clock = new FakeClock();
    const { policy, runs, cancelled } = scripted(
      { a: [{ answer: 'from a', afterMs: 150 }], b: [{ answer: 'from b', afterMs: 100 }] },
      clock,
    );
    const result = runChain(policy, { admitHedges: true }, [model('a', 'p1'), model('b', 'p2')], {
      timers: clock,
      hedgeAfterMs: 100,
    });
    await clock.advance(150);
    expect(await result).toMatchObject({ ok: true, candidate: { name: 'a' } });
    expect(cancelled).toEqual(['b']);
    expect(runs.get('b')!.signal!.aborted).toBe(true);
  });

  it('keeps a hedge that admit() does not hold as the next fallback, asking again every hedgeAfterMs', async () => {
    const clock = new FakeClock();
    const { policy, log } = scripted({ a: ['hang'], b: [{ answer: 'from b' }] }, clock);
    const call = { admitHedges: false };
    const result = runChain(policy, call, [model('a', 'p1'), model('b', 'p2')], {
      timers: clock,
      hedgeAfterMs: 100,
    });
    await clock.advance(250);
    expect(log).toEqual(['0 a']);
    expect(clock.asked).toEqual([100, 100, 100]);
    call.admitHedges = true;
    await clock.advance(50);
    expect(await result).toMatchObject({ ok: true, candidate: { name: 'b' } });
    expect(log).toEqual(['0 a', '300 fallback a -> b: hedge after 100 ms', '300 b']);
  });

  it('does not hedge when no candidate is left', async () => {
    const clock = new FakeClock();
    const { policy } = scripted({ a: [{ answer: 'a', afterMs: 500 }] }, clock);
    const result = runChain(policy, { admitHedges: true }, [model('a', 'p1')], {
      timers: clock,
      hedgeAfterMs: 100,
    });
    await clock.advance(500);
    expect(await result).toMatchObject({ ok: true, candidate: { name: 'a' } });
    expect(clock.asked).toEqual([500]);
  });
});
