/**
 * What most test files share: one emulator per file (`useEmulator`), routers closed after
 * each test (`useRouters`), the error a call rejects with (`rejection`, `rejectionOf`),
 * event collectors (`collect`, `recordEvents`, `recordAll`), waiting (`waitFor`, `sleep`),
 * and reading streams (`drain`, `readAll`, `textOf`).
 *
 * ```ts
 * const emu = useEmulator();
 * const routers = useRouters();
 *
 * it('...', async () => {
 *   const router = createRouter({ providers: emu.providers, tenants: { acme: {} } });
 *   routers.push(router);
 *   const audits = collect(router, 'audit');
 *   emu.fail('claude-sonnet-5-5', { status: 500 });
 *   const error = await rejection(router.complete({ tenant: 'acme', messages }));
 * });
 * ```
 */
import { type Router, RouterError, type RouterEvents } from 'routeplane';
import { createEmulator, type Emulator, type EmulatorOptions } from 'routeplane/testing';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

/** How `useEmulator()` starts its emulator. */
export interface UseEmulatorOptions extends EmulatorOptions {
  /** Reset the emulator (scripts, faults, request log) before each test. Default `true`. */
  reset?: boolean;
}

/** The file's emulator, as `useEmulator()` returns it. */
export interface SharedEmulator extends Emulator {
  /** Closes the emulator and starts a fresh one with the same options (no idle sockets left). */
  restart(): Promise<void>;
}

/**
 * One emulator for the test file (or the `describe` block it is called in): started in
 * `beforeAll`, reset before each test (unless `reset: false`) and closed in `afterAll`.
 * The returned object is usable at once, at module level: each member reads the running
 * emulator when it is used, in a hook or a test.
 */
export function useEmulator(options: UseEmulatorOptions = {}): SharedEmulator {
  const { reset = true, ...emulatorOptions } = options;
  let current: Emulator | undefined;
  const running = (): Emulator => {
    if (!current) throw new Error('useEmulator: the emulator runs from beforeAll to afterAll only');
    return current;
  };
  beforeAll(async () => {
    current = await createEmulator(emulatorOptions);
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  if (reset) beforeEach(() => running().reset());
  return {
    get url() {
      return running().url;
    },
    get providers() {
      return running().providers;
    },
    get requests() {
      return running().requests;
    },
    respond: (model, ...answers) => running().respond(model, ...answers),
    fail: (model, ...faults) => running().fail(model, ...faults),
    failRandomly: (model, failOptions) => running().failRandomly(model, failOptions),
    hits: (model) => running().hits(model),
    reset: () => running().reset(),
    close: () => running().close(),
    async restart() {
      await running().close();
      current = await createEmulator(emulatorOptions);
    },
  };
}

/** A list whose routers are closed after each test: push every router a test makes. */
export function useRouters(): Router[] {
  const routers: Router[] = [];
  afterEach(async () => {
    await Promise.all(routers.splice(0).map((router) => router.close()));
  });
  return routers;
}

/** A promise, or a function to call whose throw counts as a rejection. */
export type Call = Promise<unknown> | (() => unknown);

/** What `call` rejected with (or threw); fails the test when it resolves. */
export async function rejectionOf(call: Call): Promise<unknown> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The RouterError `call` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(call: Call): Promise<RouterError> {
  const error = await rejectionOf(call);
  if (RouterError.isInstance(error)) return error;
  throw error;
}

/** Every event a router emits, in `RouterEvents` order. */
export const EVENT_NAMES: readonly (keyof RouterEvents)[] = [
  'request.started',
  'route.decided',
  'attempt.failed',
  'fallback',
  'policy.denied',
  'budget.threshold',
  'budget.exceeded',
  'ratelimit.throttled',
  'tenant.noisy',
  'cache.hit',
  'guardrail.triggered',
  'store.error',
  'circuit.opened',
  'circuit.closed',
  'request.completed',
  'request.failed',
  'audit',
];

/** The payloads of one event of `router`, as they arrive. */
export function collect<K extends keyof RouterEvents>(router: Router, event: K): RouterEvents[K][0][] {
  const seen: RouterEvents[K][0][] = [];
  router.on(event, ((payload: RouterEvents[K][0]) => seen.push(payload)) as never);
  return seen;
}

/** The payloads of each event, by name; an event not emitted yet has no entry. */
export type EventsByName = { [K in keyof RouterEvents]?: RouterEvents[K][0][] };

/** Collects the payloads of `names` (every event by default), by event name. */
export function recordEvents(
  router: Router,
  names: readonly (keyof RouterEvents)[] = EVENT_NAMES,
): EventsByName {
  const seen: EventsByName = {};
  for (const name of names) {
    const list: unknown[] = [];
    router.on(name, ((payload: unknown) => {
      list.push(payload);
      (seen as Record<string, unknown[]>)[name] = list;
    }) as never);
  }
  return seen;
}

/** Every event payload of a router in the order emitted, with its name. */
export interface EventLog {
  readonly all: { name: keyof RouterEvents; payload: unknown }[];
  /** The payloads of one event, in order. */
  of<K extends keyof RouterEvents>(name: K): RouterEvents[K][0][];
}

/** Logs the payloads of `names` (every event by default) in one list, in order. */
export function recordAll(router: Router, names: readonly (keyof RouterEvents)[] = EVENT_NAMES): EventLog {
  const all: EventLog['all'] = [];
  for (const name of names) router.on(name, ((payload: unknown) => all.push({ name, payload })) as never);
  return {
    all,
    of: <K extends keyof RouterEvents>(name: K) =>
      all.filter((e) => e.name === name).map((e) => e.payload as RouterEvents[K][0]),
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WaitForOptions {
  /** Give up (and fail) after this long. Default 5 000 ms. */
  timeoutMs?: number;
  /** Time between two checks. Default 1 ms. */
  intervalMs?: number;
  /** What is awaited, for the error message. */
  what?: string;
}

/** Resolves once `condition()` holds, checking every `intervalMs`; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const { timeoutMs = 5_000, intervalMs = 1, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/**
 * Reads a stream to its end: the parts it yielded, and what it threw, if it threw. With
 * `expected`, an error that is not of the expected kind is thrown on instead.
 */
export async function drain<T, E = unknown>(
  stream: AsyncIterable<T>,
  expected?: (error: unknown) => error is E,
): Promise<{ parts: T[]; error?: E }> {
  const parts: T[] = [];
  try {
    for await (const part of stream) parts.push(part);
  } catch (error) {
    if (expected && !expected(error)) throw error;
    return { parts, error: error as E };
  }
  return { parts };
}

/** The text of a stream's parts, in order. */
export function textOf(parts: readonly { type: string; text?: string }[]): string {
  return parts
    .filter((part) => part.type === 'text')
    .map((part) => part.text)
    .join('');
}

/** Every item of an async iterable, which must not throw. */
export async function readAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const seen: T[] = [];
  for await (const item of items) seen.push(item);
  return seen;
}

/** The body `emu` received with request `index`; fails when there is no such request. */
export function requestBody(emu: Emulator, index = 0): Record<string, unknown> {
  const request = emu.requests[index];
  if (!request) throw new Error(`the emulator received no request #${index}`);
  return request.body;
}
