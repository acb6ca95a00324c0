/**
 * One router process of the multi-process harness (see harness.ts): started with
 * `node --import tsx worker.ts`, it builds a router on its own ioredis client and the
 * emulator it is given, runs the calls it is told to over IPC, and reports every audit
 * record, store error and call result back with `process.send`. It exits when the test
 * process goes away, so a crashed test leaves no worker behind.
 */
import { Redis } from 'ioredis';
import { createRouter, type Router, RouterError } from '../../src/index.js';
import { createRedisStore, type RedisStoreOptions } from '../../src/redis/index.js';
import type { CallResult, ToParent, ToWorker, WorkerConfig } from './protocol.js';

const send = (message: ToParent) => process.send?.(message);

// The test process went away (crashed, killed): so does this worker.
process.on('disconnect', () => process.exit(0));

let router: Router | undefined;
let redis: Redis | undefined;

function build(config: WorkerConfig): Router {
  redis = new Redis({
    port: config.redisPort,
    host: '127.0.0.1',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 50,
  });
  redis.on('error', () => {});
  const storeOptions: RedisStoreOptions = {
    onError: 'fail-closed',
    ...(config.storeTimeoutMs !== undefined && { timeoutMs: config.storeTimeoutMs }),
  };
  const offset = config.clockOffsetMs ?? 0;
  const built = createRouter({
    providers: config.providers,
    models: config.models,
    tenants: config.tenants,
    store: createRedisStore(redis, storeOptions),
    retry: { retries: 0 },
    ...(config.leaseMs !== undefined && { leaseMs: config.leaseMs }),
    ...(offset !== 0 && { clock: () => Date.now() + offset }),
    ...(config.settleRetry && { settleRetry: config.settleRetry }),
  });
  built.on('audit', (record) => send({ type: 'audit', record }));
  built.on('store.error', (event) => send({ type: 'store.error', event }));
  return built;
}

async function one(active: Router, request: Parameters<Router['complete']>[0]): Promise<CallResult> {
  const started = performance.now();
  try {
    const result = await active.complete(request);
    return { ok: true, id: result.id, text: result.text, ms: performance.now() - started };
  } catch (error) {
    const code = RouterError.isInstance(error) ? error.code : 'thrown';
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, code, message, ms: performance.now() - started };
  }
}

/*
 * The config comes in the environment, not over IPC: a message that arrives while this
 * module is still loading, before the listener below exists, would be lost. The parent
 * sends nothing else before `ready`.
 */
async function start(): Promise<void> {
  const config = JSON.parse(process.env.ROUTEPLANE_WORKER ?? 'null') as WorkerConfig | null;
  if (!config)
    throw new Error('worker.ts is started by test/multiprocess/harness.ts (ROUTEPLANE_WORKER unset)');
  router = build(config);
  await router.ready();
  if (redis!.status !== 'ready') await new Promise((r) => redis!.once('ready', r));
  send({ type: 'ready', pid: process.pid });
}

const crash = (error: unknown) =>
  send({ type: 'crash', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });

process.on('message', (message: ToWorker) => {
  void (async () => {
    switch (message.type) {
      case 'run': {
        const active = router!;
        const { calls, concurrency = calls, durationMs, request } = message;
        const until = durationMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + durationMs;
        let issued = 0;
        const lane = async () => {
          while (issued < calls && Date.now() < until) {
            issued++;
            // Each result as it comes: a run that hangs or dies still shows how far it got.
            send({ type: 'result', run: message.run, result: await one(active, request) });
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, lane));
        send({ type: 'done', run: message.run });
        return;
      }
      case 'usage':
        try {
          send({ type: 'usage', ask: message.ask, usage: await router!.usage(message.tenant) });
        } catch (error) {
          send({ type: 'usage', ask: message.ask, error: String(error) });
        }
        return;
      case 'close':
        await router?.close();
        redis?.disconnect();
        send({ type: 'closed' });
        process.disconnect();
        return;
    }
  })().catch(crash);
});

start().catch(crash);
