import { describe, expect, it } from 'vitest';
import { manualTimers } from '../../test/support/manual-timers.js';
import { Attempt, type AttemptRecorder, type Step, wrap } from './attempt.js';
import type { Run } from './chain.js';
import { breaker, CircuitOpenError, deadline, limit, record } from './layers.js';
import { Limiter } from './limiter.js';

type Call = { log: string[] };
type Candidate = { name: string };
type A = Attempt<Call, Candidate>;

const recorder: AttemptRecorder<Call, Candidate> = {
  success: (a) => a.call.log.push(`success ${a.candidate.name}`),
  failure: (a, error) => {
    a.call.log.push(`failure ${a.candidate.name}: ${String(error)}`);
    return new Error(`classified ${String(error)}`);
  },
  cancelled: (a) => a.call.log.push(`cancelled ${a.candidate.name}`),
};

function setup(options: { open?: boolean; answerOutlives?: boolean; timeoutMs?: number } = {}) {
  const limiter = new Limiter(1);
  const { timers, pending, fire } = manualTimers();
  const call: Call = { log: [] };
  const layers = wrap<A, string>(
    limit(() => limiter),
    breaker({
      tryAcquire: () => options.open !== true,
      refused: (a) => new CircuitOpenError(a.candidate.name, 'p', 'up'),
    }),
    deadline(
      () => options.timeoutMs,
      (a, ms) => new Error(`${a.candidate.name} passed ${ms} ms`),
      timers,
    ),
    record({ answerOutlives: options.answerOutlives === true }),
  );
  const start = (provider: Step<A, string>, signal?: AbortSignal) => {
    const run: Run<Candidate> = { candidate: { name: 'm' }, signal, current: undefined, cancelled: false };
    const attempt = new Attempt(call, run, recorder, 'm/p');
    return { attempt, run, answer: layers(provider)(attempt) };
  };
  return { limiter, pending, fire, call, start };
}

/** A provider call that never answers: it fails when its signal aborts. */
const hanging: Step<A, string> = (a) =>
  new Promise((_, reject) => a.signal?.addEventListener('abort', () => reject(a.signal?.reason)));

describe('attempt layers: limit → breaker → deadline → record', () => {
  it('record an answer and give back the place and the deadline', async () => {
    const { limiter, pending, call, start } = setup({ timeoutMs: 1_000 });
    const { run, answer } = start(async (a) => {
      expect(a.run.current).toBe(a);
      expect(limiter.inFlight).toBe(1);
      expect(pending.size).toBe(1);
      return 'ok';
    });
    expect(await answer).toBe('ok');
    expect(call.log).toEqual(['success m']);
    expect([limiter.inFlight, pending.size]).toEqual([0, 0]);
    expect(run.current).toBeUndefined();
  });

  it('refuse at an open circuit: the provider is not called, nothing is recorded, the place is given back', async () => {
    const { limiter, pending, call, start } = setup({ open: true, timeoutMs: 1_000 });
    let called = false;
    const { answer } = start(async () => {
      called = true;
      return 'ok';
    });
    await expect(answer).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
    expect(call.log).toEqual([]);
    expect([limiter.inFlight, pending.size]).toEqual([0, 0]);
  });

  it("abort the provider's signal at the deadline, and record the failure as the recorder classifies it", async () => {
    const { limiter, fire, call, start } = setup({ timeoutMs: 250 });
    const { answer } = start(hanging);
    fire();
    await expect(answer).rejects.toThrow('classified Error: m passed 250 ms');
    expect(call.log).toEqual(['failure m: Error: m passed 250 ms']);
    expect(limiter.inFlight).toBe(0);
  });

  it('wait for a place under the limiter, in line, abortably', async () => {
    const { limiter, call, start } = setup();
    const held = limiter.acquire(undefined);
    const controller = new AbortController();
    const { answer } = start(async () => 'ok', controller.signal);
    controller.abort(new Error('gone'));
    await expect(answer).rejects.toThrow('gone');
    expect(call.log).toEqual([]);
    if (typeof held === 'function') held();
    expect(limiter.inFlight).toBe(0);
  });

  it('leave a cancelled attempt to the chain: recorded once, by cancel(), not again when it fails', async () => {
    const { limiter, call, start } = setup();
    const controller = new AbortController();
    const { run, answer } = start(hanging, controller.signal);
    await Promise.resolve();
    run.current!.cancel();
    controller.abort(new Error('lost the hedge'));
    await expect(answer).rejects.toThrow('lost the hedge');
    expect(call.log).toEqual(['cancelled m']);
    expect(limiter.inFlight).toBe(0);
  });

  it('with answerOutlives, leave success and the end to the answer, and keep the signal past clearDeadline()', async () => {
    const { limiter, pending, call, start } = setup({ answerOutlives: true, timeoutMs: 1_000 });
    const controller = new AbortController();
    const { attempt, answer } = start(async (a) => {
      a.clearDeadline();
      return 'first part';
    }, controller.signal);
    expect(await answer).toBe('first part');
    expect(call.log).toEqual([]);
    expect([limiter.inFlight, pending.size]).toEqual([1, 0]);
    controller.abort('call aborted');
    expect(attempt.signal?.reason).toBe('call aborted');
    attempt.end();
    attempt.end();
    expect(limiter.inFlight).toBe(0);
  });
});
