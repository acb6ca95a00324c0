import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { manualTimers } from '../../test/support/manual-timers.js';
import { Deadline } from './deadline.js';
import { LinkedAbort } from './linked-abort.js';

describe('LinkedAbort', () => {
  it("aborts with the parent's reason when the parent aborts, and leaves no listener on it", () => {
    const parent = new AbortController();
    const child = new LinkedAbort(parent.signal);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    const reason = new Error('call aborted');
    parent.abort(reason);
    expect(child.signal.aborted).toBe(true);
    expect(child.signal.reason).toBe(reason);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('starts aborted under a parent that already has, with no listener', () => {
    const parent = AbortSignal.abort(new Error('too late'));
    const child = new LinkedAbort(parent);
    expect(child.signal.reason).toBe(parent.reason);
    expect(getEventListeners(parent, 'abort')).toHaveLength(0);
  });

  it('aborts on its own without touching the parent', () => {
    const parent = new AbortController();
    const child = new LinkedAbort(parent.signal);
    child.abort(new Error('lost the hedge'));
    expect(parent.signal.aborted).toBe(false);
  });

  it('is unlinked by dispose(), idempotently, and by `using`', () => {
    const parent = new AbortController();
    const children = Array.from({ length: 100 }, () => new LinkedAbort(parent.signal));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(100);
    for (const child of children) {
      child.dispose();
      child.dispose();
    }
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    {
      using child = new LinkedAbort(parent.signal);
      expect(child.signal.aborted).toBe(false);
    }
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    parent.abort();
    expect(children.some((c) => c.signal.aborted)).toBe(false);
  });

  it('works without a parent', () => {
    const child = new LinkedAbort(undefined);
    child.dispose();
    child.abort('own');
    expect(child.signal.reason).toBe('own');
  });
});

describe('Deadline', () => {
  it('aborts at its deadline with the reason it builds then, and unlinks from the parent', () => {
    const { timers, pending, fire } = manualTimers();
    const parent = new AbortController();
    let built = 0;
    const deadline = new Deadline(
      parent.signal,
      100,
      'owner',
      (o) => new Error(`${o} late ${++built}`),
      timers,
    );
    const signal = deadline.signal;
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    expect(built).toBe(0);
    expect(pending.size).toBe(1);
    fire();
    expect(signal.reason).toMatchObject({ message: 'owner late 1' });
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('makes its signal only when it is read: none before, an aborted one after the deadline', () => {
    const { timers, pending, fire } = manualTimers();
    const parent = new AbortController();
    let built = 0;
    const deadline = new Deadline(parent.signal, 100, undefined, () => `late ${++built}`, timers);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    expect(pending.size).toBe(1);
    fire();
    expect(built).toBe(1);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe('late 1');
    expect(built).toBe(1);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('a signal made before the parent aborts follows it', () => {
    const { timers } = manualTimers();
    const parent = new AbortController();
    const deadline = new Deadline(parent.signal, 100, undefined, () => 'late', timers);
    const signal = deadline.signal;
    parent.abort('call');
    expect(signal.reason).toBe('call');
  });

  it('clear() drops the deadline and keeps the link; dispose() drops both', () => {
    const { timers, pending } = manualTimers();
    const parent = new AbortController();
    const deadline = new Deadline(parent.signal, 100, undefined, () => 'late', timers);
    deadline.clear();
    expect(pending.size).toBe(0);
    const signal = deadline.signal;
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    const other = new Deadline(parent.signal, 100, undefined, () => 'late', timers);
    const otherSignal = other.signal;
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(2);
    other.dispose();
    expect(pending.size).toBe(0);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    parent.abort('call');
    expect(signal.reason).toBe('call');
    expect(otherSignal.aborted).toBe(false);
  });

  it('sets no timer under a parent that has already aborted', () => {
    const { timers, pending } = manualTimers();
    const deadline = new Deadline(AbortSignal.abort('gone'), 100, undefined, () => 'late', timers);
    expect(pending.size).toBe(0);
    expect(deadline.signal.reason).toBe('gone');
  });

  it('with the system timers, passes on time with a shared callback', async () => {
    const deadline = new Deadline(undefined, 5, 'x', (o, ms) => `${o} after ${ms}`);
    const signal = deadline.signal;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    expect(signal.reason).toBe('x after 5');
  });
});
