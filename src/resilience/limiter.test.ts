import { describe, expect, it } from 'vitest';
import { Limiter } from './limiter.js';

describe('Limiter', () => {
  it('lets at most max through and hands places on in arrival order', async () => {
    const limiter = new Limiter(2);
    const a = limiter.acquire(undefined) as () => void;
    const b = limiter.acquire(undefined) as () => void;
    expect(limiter.inFlight).toBe(2);
    const order: string[] = [];
    const c = Promise.resolve(limiter.acquire(undefined)).then((release) => {
      order.push('c');
      return release;
    });
    const d = Promise.resolve(limiter.acquire(undefined)).then((release) => {
      order.push('d');
      return release;
    });
    a();
    a(); // a second release of the same place does nothing
    const releaseC = await c;
    expect(limiter.inFlight).toBe(2);
    b();
    (await d)();
    releaseC();
    expect(order).toEqual(['c', 'd']);
    expect(limiter.inFlight).toBe(0);
  });

  it('drops a waiter whose signal aborts, without losing a place', async () => {
    const limiter = new Limiter(1);
    const first = limiter.acquire(undefined) as () => void;
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    first();
    expect(limiter.inFlight).toBe(0);
    const again = limiter.acquire(undefined);
    expect(typeof again).toBe('function');
  });
});
