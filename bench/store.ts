/**
 * What a shared store costs per call: the memory store vs the Redis store, for a budget's
 * reserve + settle and for a rate limit's rateTake. Prints round trips to Redis per call
 * (counted on the client) and latency per call (median and p99 over all samples of
 * several runs), and the ratio Redis / memory. Nothing is asserted: numbers depend on the
 * machine.
 *
 *   npx tsx bench/store.ts                  starts its own redis-server on a free port
 *   REDIS_URL=redis://host:6379 npx tsx bench/store.ts   uses that server instead (it writes
 *                                          keys under the prefix `routeplane-bench:`)
 */
import { Redis } from 'ioredis';
import { createRedisStore } from '../src/redis/index.js';
import { createMemoryStore } from '../src/store/memory.js';
import type { Store } from '../src/store/types.js';
import { hasRedisServer, type RedisServer, startRedisServer } from '../test/redis/setup.js';

const RUNS = 5;
const CALLS_PER_RUN = 2_000;
const WARMUP = 200;

interface Row {
  store: string;
  op: string;
  roundTrips: number;
  median: number;
  p99: number;
}

type Op = (store: Store, i: number) => Promise<unknown>;

const ops: [string, Op][] = [
  [
    'reserve+settle',
    async (store, i) => {
      const lines = [
        { key: `budget:{bench}:tenant:${i % 16}`, limit: Number.MAX_SAFE_INTEGER, ttlMs: 3_600_000 },
      ];
      const lease = { id: `req-${i}`, ttlMs: 600_000 };
      await store.reserve(lines, 1_000, lease, Date.now());
      await store.settle(lines, lease, { cost: 800, inputTokens: 10, outputTokens: 80 }, Date.now());
    },
  ],
  [
    'reserve+settle, 3 budgets',
    async (store, i) => {
      // Tenant, user and tag budgets of one call: still one script per phase.
      const lines = [
        { key: `budget:{bench}:tenant:${i % 16}`, limit: Number.MAX_SAFE_INTEGER, ttlMs: 3_600_000 },
        { key: `budget:{bench}:user:u${i % 16}`, limit: Number.MAX_SAFE_INTEGER, ttlMs: 3_600_000 },
        { key: `budget:{bench}:tag:team=${i % 4}`, limit: Number.MAX_SAFE_INTEGER, ttlMs: 3_600_000 },
      ];
      const lease = { id: `req3-${i}`, ttlMs: 600_000 };
      await store.reserve(lines, 1_000, lease, Date.now());
      await store.settle(lines, lease, { cost: 800, inputTokens: 10, outputTokens: 80 }, Date.now());
    },
  ],
  ['rateTake', (store, i) => store.rateTake(`rate:{bench}:${i % 16}`, 1, 1e9, 60_000, Date.now())],
];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(store: Store, op: Op): Promise<{ median: number; p99: number }> {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    for (let i = 0; i < WARMUP; i++) await op(store, i);
    for (let i = 0; i < CALLS_PER_RUN; i++) {
      const t = performance.now();
      await op(store, i);
      samples.push(performance.now() - t);
    }
  }
  samples.sort((a, b) => a - b);
  return { median: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

async function main(): Promise<void> {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  if (process.env.REDIS_URL) {
    redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    await new Promise((resolve) => redis!.once('ready', resolve));
  } else if (hasRedisServer) {
    server = await startRedisServer();
    redis = await server.client();
  } else {
    console.log('redis-server not found and no REDIS_URL: measuring the memory store only');
  }

  // Count what the client sends: one EVALSHA per operation (plus one EVAL the first time).
  let sent = 0;
  if (redis) {
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((...args: Parameters<typeof send>) => {
      sent++;
      return send(...args);
    }) as typeof redis.sendCommand;
  }

  const rows: Row[] = [];
  for (const [name, op] of ops) {
    const memory = createMemoryStore();
    rows.push({ store: 'memory', op: name, roundTrips: 0, ...(await measure(memory, op)) });
    if (redis) {
      const store = createRedisStore(redis, { prefix: 'routeplane-bench:' });
      await op(store, 0); // loads the scripts (EVALSHA → NOSCRIPT → EVAL) outside the count
      sent = 0;
      const result = await measure(store, op);
      const calls = RUNS * (WARMUP + CALLS_PER_RUN);
      rows.push({ store: 'redis', op: name, roundTrips: sent / calls, ...result });
    }
  }

  const us = (ms: number) => `${(ms * 1_000).toFixed(1)} µs`;
  console.log(
    `\n${RUNS} runs × ${CALLS_PER_RUN} sequential calls (after ${WARMUP} warm-up calls each); Node ${process.version}\n`,
  );
  console.log('| operation | store | round trips / call | median | p99 | median vs memory |');
  console.log('|---|---|--:|--:|--:|--:|');
  for (const row of rows) {
    const base = rows.find((r) => r.op === row.op && r.store === 'memory')!;
    const ratio = row.store === 'memory' ? '1×' : `${(row.median / base.median).toFixed(0)}×`;
    console.log(
      `| ${row.op} | ${row.store} | ${row.roundTrips.toFixed(2)} | ${us(row.median)} | ${us(row.p99)} | ${ratio} |`,
    );
  }

  if (redis && process.env.REDIS_URL) {
    const keys = await redis.keys('routeplane-bench:*');
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
  await server?.close();
}

await main();
