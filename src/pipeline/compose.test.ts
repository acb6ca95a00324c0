import { describe, expect, it } from 'vitest';
import { compose } from './compose.js';

describe('compose', () => {
  it('runs middleware in onion order', async () => {
    const log: string[] = [];
    const run = compose<string[]>([
      async (ctx, next) => {
        ctx.push('a>');
        await next();
        ctx.push('<a');
      },
      (ctx, next) => {
        ctx.push('b');
        return next();
      },
    ]);
    await run(log);
    expect(log).toEqual(['a>', 'b', '<a']);
  });

  it('rejects a middleware that calls next() twice', async () => {
    const run = compose<object>([
      async (_ctx, next) => {
        await next();
        await next();
      },
    ]);
    await expect(run({})).rejects.toThrow(/more than once/);
  });

  it('stops where a middleware does not call next()', async () => {
    let reached = false;
    const run = compose<object>([
      () => {},
      () => {
        reached = true;
      },
    ]);
    await run({});
    expect(reached).toBe(false);
  });

  it('turns a synchronous throw into a rejection', async () => {
    const run = compose<object>([
      () => {
        throw new Error('boom');
      },
    ]);
    await expect(run({})).rejects.toThrow('boom');
  });
});
