/**
 * The multi-process harness (issue 17): N worker processes (worker.ts, run with
 * `node --import tsx`), each with its own router and ioredis client, against one
 * redis-server the test starts on a free loopback port and one provider emulator.
 *
 * The emulator runs in the test process: the workers' event loops carry only their own
 * routers, and the test sees each request as it reaches the provider (`emu.hits()`), which
 * is how a fault is timed "while the calls are at the provider". Faults: `redis.pause()` /
 * `redis.resume()` (SIGSTOP / SIGCONT: a stall), `redis.kill()` then `redis.start()`
 * (SIGKILL, restart on the same port; empty, or with its data when started with
 * `persist`), and `worker.kill()` (SIGKILL of a worker mid-call).
 *
 * Workers report over IPC every audit record, store error and call result; `report()`
 * prints a table of them per worker. Everything started through `useMultiprocess()` is
 * ended after each test, passed or failed; workers and redis-server are SIGKILLed if the
 * test process exits first, and a worker exits by itself when its IPC channel closes (the
 * test process died). Redis data lives under os.tmpdir() and is removed.
 *
 * Run one scenario, with its table:
 *
 *   npx vitest run test/multiprocess -t 'A:'
 *   npx vitest run test/multiprocess/leases.test.ts -t 'E:'
 *
 * It prints, per worker: calls, ok, each error code, the cost of its audit records in
 * nano-USD, how many of them are `settled: false`, its store errors, and call latency
 * (p50 / max); then the scenario's store figures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { AuditRecord, StoreErrorEvent, TenantUsage } from '../../src/index.js';
import { toNano } from '../../src/store/types.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/testing/index.js';
import { type RedisServer, type RedisServerOptions, startRedisServer } from '../redis/setup.js';
import type { CallResult, ToParent, ToWorker, WorkerConfig } from './protocol.js';

export { hasRedisServer } from '../redis/setup.js';
export type { CallResult } from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** How long a worker may take to start (tsx compiles the library on first load). */
const START_TIMEOUT_MS = 15_000;

/** Every child process alive, for the last-resort kill when the test process exits. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** One worker process, as the test drives it. */
export interface Worker {
  readonly index: number;
  readonly pid: number;
  /** Audit records it reported, in order. */
  readonly audits: AuditRecord[];
  readonly storeErrors: StoreErrorEvent[];
  /** Results of every call of every run, in completion order, as each call ends. */
  readonly results: CallResult[];
  readonly alive: boolean;
  /** Runs calls (see `ToWorker` 'run'); resolves with their results when the last ends. */
  run(options: Omit<Extract<ToWorker, { type: 'run' }>, 'type' | 'run'>): Promise<CallResult[]>;
  /** `router.usage(tenant)` in this worker: what the shared store says. */
  usage(tenant: string): Promise<TenantUsage>;
  /** SIGKILL, mid-whatever; resolves once it has exited. Its pending runs reject. */
  kill(): Promise<void>;
  /** `router.close()` (which drains its settlement journal), then the process exits. */
  close(): Promise<void>;
}

/** What a test builds its workers from: everything but the redis port, per worker when a function. */
export type FleetConfig = Omit<WorkerConfig, 'redisPort'>;

export interface Multiprocess {
  /** A redis-server on a free loopback port (see `startRedisServer`), stopped after the test. */
  redis(options?: RedisServerOptions): Promise<RedisServer>;
  /** The provider emulator, in this process, closed after the test. */
  emulator(options?: EmulatorOptions): Promise<Emulator>;
  /** `count` workers on `redis`, all ready (router built, Redis connected); closed after the test. */
  workers(
    count: number,
    redis: RedisServer,
    config: FleetConfig | ((index: number) => FleetConfig),
  ): Promise<Worker[]>;
}

/** The harness for the tests of one file: what it starts is ended after each test. */
export function useMultiprocess(): Multiprocess {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async redis(options) {
      const server = await startRedisServer(options);
      cleanups.push(() => server.close());
      return server;
    },
    async emulator(options) {
      const emu = await createEmulator(options);
      cleanups.push(() => emu.close());
      return emu;
    },
    async workers(count, redis, config) {
      const started = Array.from({ length: count }, (_, index) => {
        const own = typeof config === 'function' ? config(index) : config;
        return startWorker(index, { ...own, redisPort: redis.port });
      });
      // Every worker is ended after the test, even when another failed to start.
      for (const worker of started) cleanups.push(() => worker.then((w) => w.kill()).catch(() => {}));
      return Promise.all(started);
    },
  };
}

function startWorker(index: number, config: WorkerConfig): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: ROOT,
    env: { ...process.env, ROUTEPLANE_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  let output = '';
  const keep = (data: Buffer) => {
    output = (output + data.toString()).slice(-4_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const audits: AuditRecord[] = [];
  const storeErrors: StoreErrorEvent[] = [];
  const results: CallResult[] = [];
  const runResults = new Map<number, CallResult[]>();
  /** Replies awaited, by run number or usage question; rejected if the worker dies. */
  const waiting = new Map<string, { resolve(value: never): void; reject(error: Error): void }>();
  let sequence = 0;
  let exited = false;
  let killedOnPurpose = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      children.delete(child);
      const why = killedOnPurpose
        ? `worker ${index} was killed`
        : `worker ${index} exited (${signal ?? `code ${code}`}) unexpectedly; its output:\n${output}`;
      for (const { reject } of waiting.values()) reject(new Error(why));
      waiting.clear();
      resolve();
    }),
  );
  const expect = <T>(key: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) reject(new Error(`worker ${index} is not running`));
      else waiting.set(key, { resolve: resolve as (value: never) => void, reject });
    });
  const settle = (key: string, value: unknown) => {
    const entry = waiting.get(key);
    waiting.delete(key);
    entry?.resolve(value as never);
  };
  const post = (message: ToWorker) => {
    if (!exited && child.connected) child.send(message);
  };

  child.on('message', (message: ToParent) => {
    switch (message.type) {
      case 'ready':
        return settle('ready', message.pid);
      case 'audit':
        audits.push(message.record);
        return;
      case 'store.error':
        storeErrors.push(message.event);
        return;
      case 'result':
        results.push(message.result);
        (runResults.get(message.run) ?? []).push(message.result);
        return;
      case 'done': {
        const own = runResults.get(message.run) ?? [];
        runResults.delete(message.run);
        return settle(`run:${message.run}`, own);
      }
      case 'usage': {
        const entry = waiting.get(`usage:${message.ask}`);
        waiting.delete(`usage:${message.ask}`);
        if (message.usage) entry?.resolve(message.usage as never);
        else entry?.reject(new Error(`worker ${index}: usage failed: ${message.error}`));
        return;
      }
      case 'closed':
        return settle('closed', undefined);
      case 'crash':
        for (const { reject } of waiting.values()) reject(new Error(`worker ${index}: ${message.message}`));
        waiting.clear();
        return;
    }
  });

  const kill = async () => {
    if (exited) return;
    killedOnPurpose = true;
    child.kill('SIGKILL');
    await exit;
  };
  const ready = expect<number>('ready');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`worker ${index} not ready within ${START_TIMEOUT_MS} ms; its output:\n${output}`)),
      START_TIMEOUT_MS,
    );
  });
  return Promise.race([ready, timeout])
    .finally(() => clearTimeout(timer))
    .then(
      (pid): Worker => ({
        index,
        pid,
        audits,
        storeErrors,
        results,
        get alive() {
          return !exited;
        },
        run(options) {
          const run = ++sequence;
          runResults.set(run, []);
          const done = expect<CallResult[]>(`run:${run}`);
          post({ type: 'run', run, ...options });
          return done;
        },
        usage(tenant) {
          const ask = ++sequence;
          const answer = expect<TenantUsage>(`usage:${ask}`);
          post({ type: 'usage', ask, tenant });
          return answer;
        },
        kill,
        async close() {
          if (exited) return;
          const closed = expect<void>('closed');
          post({ type: 'close' });
          await closed;
          await exit;
        },
      }),
      async (error: unknown) => {
        await kill();
        throw error;
      },
    );
}

/**
 * The emulator's OpenAI entry only: the scenarios' model is on it, and each provider SDK a
 * worker loads costs it seconds of start-up under tsx (all three: over 10 s for 4 workers).
 */
export function providersOf(emu: Emulator): FleetConfig['providers'] {
  return { openai: emu.providers.openai };
}

/** The integer nano-USD sum of audit costs, as the store counts them. */
export function nanoOf(records: readonly AuditRecord[]): number {
  return records.reduce((sum, record) => sum + toNano(record.costUsd), 0);
}

/** Calls by outcome: `ok`, or the error code. */
export function countOutcomes(results: readonly CallResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = r.ok ? 'ok' : r.code;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Prints a compact table: one row per worker (calls, ok, each error code, audit cost in
 * nano-USD, unsettled audit records, store errors, latency p50 / max in ms), a total row,
 * then `figures` (the scenario's store readings).
 */
export function report(
  title: string,
  workers: readonly Worker[],
  figures: Record<string, unknown> = {},
): void {
  const codes = [...new Set(workers.flatMap((w) => Object.keys(countOutcomes(w.results))))]
    .filter((code) => code !== 'ok')
    .sort();
  const header = [
    'worker',
    'calls',
    'ok',
    ...codes,
    'audit nUSD',
    'unsettled',
    'store err',
    'p50 ms',
    'max ms',
  ];
  const row = (
    name: string,
    results: readonly CallResult[],
    audits: readonly AuditRecord[],
    errors: number,
  ) => {
    const counts = countOutcomes(results);
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    return [
      name,
      results.length,
      counts.ok ?? 0,
      ...codes.map((code) => counts[code] ?? 0),
      nanoOf(audits),
      audits.filter((a) => a.settled === false).length,
      errors,
      ms.length ? Math.round(ms[Math.floor(ms.length / 2)]!) : '-',
      ms.length ? Math.round(ms[ms.length - 1]!) : '-',
    ].map(String);
  };
  const rows = workers.map((w) =>
    row(`#${w.index}${w.alive ? '' : ' †'}`, w.results, w.audits, w.storeErrors.length),
  );
  rows.push(
    row(
      'total',
      workers.flatMap((w) => w.results),
      workers.flatMap((w) => w.audits),
      workers.reduce((sum, w) => sum + w.storeErrors.length, 0),
    ),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  const lines = [`── ${title}`, line(header), ...rows.map(line)];
  const extra = Object.entries(figures).map(
    ([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  if (extra.length) lines.push(extra.join(' · '));
  console.log(lines.join('\n'));
}

/** Lua scripts Redis has run (EVALSHA and EVAL): the store's round trips, one per operation. */
export async function scriptsRun(redis: RedisServer): Promise<number> {
  const client = await redis.client();
  const stats = await client.info('commandstats');
  return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

/** Whether `check()` turns true within `timeoutMs` (polled every `intervalMs`); never throws for time. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until `check()` is true, polling every `intervalMs`; throws `what` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `promise`, or a rejection saying `what` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
