import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { delay } from './delay.js';

describe('delay', () => {
  // systemTimers read the globals at each call: vitest's fake timers stand in for them.
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after ms, leaving no timer and no listener', async () => {
    const controller = new AbortController();
    let done = false;
    const waiting = delay(250, controller.signal).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(249);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it("rejects with the signal's reason as soon as it aborts, and clears its timer", async () => {
    const controller = new AbortController();
    const waiting = delay(10_000, controller.signal);
    expect(vi.getTimerCount()).toBe(1);
    const reason = new Error('the caller left');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at once, with no timer, under a signal that has already aborted', async () => {
    await expect(delay(10, AbortSignal.abort('gone'))).rejects.toBe('gone');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits without a signal', async () => {
    const waiting = delay(5);
    await vi.advanceTimersByTimeAsync(5);
    await expect(waiting).resolves.toBeUndefined();
  });
});
