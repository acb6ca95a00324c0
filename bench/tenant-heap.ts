/**
 * Heap per ACTIVE tenant at 100,000 tenants, and whether it plateaus as calls keep coming.
 *
 * Every configured tenant calls, round after round (a round is one call per tenant, in
 * tenant order, `--parallel` callers at once); heap (`heapUsed` + `arrayBuffers`) is read after forced full GCs before
 * the first call and after 1, 3, 10, 30 and 100 calls per tenant. A structure that grows
 * with calls (settled ids, leases, buffers, per-request keys) shows as a rise after the
 * first round; what every active tenant keeps shows in the first.
 *
 * It measures the built package (dist/), as users run it: `npm run build` first. Heap
 * figures need `--expose-gc`; without it the script starts itself again in a child.
 *
 *   npx tsx bench/tenant-heap.ts                        # 100,000 tenants, rounds 1…100
 *   npx tsx bench/tenant-heap.ts --rounds 1,10          # fewer rounds
 *   npx tsx bench/tenant-heap.ts --unique               # every tenant's policy distinct
 *   npx tsx bench/tenant-heap.ts --snapshot /tmp/heap   # + heap snapshots, attributed (bench/heap-attribution.ts)
 *   npx tsx bench/tenant-heap.ts --smoke                # 2,000 tenants, to check it runs
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import type { Router, TenantPolicy } from '../src/index.js';
import { attribute, formatAttribution } from './heap-attribution.js';
import { heap, idOf, makePolicies, memoryAdapter, models } from './tenant-fixtures.js';

const { createRouter, ProviderError } = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');

if (!(globalThis as { gc?: () => void }).gc) {
  const child = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--max-old-space-size=8192',
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  process.exit(child.status ?? 1);
}

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const smoke = args.includes('--smoke');
const TENANTS = Number(option('--tenants') ?? (smoke ? 2_000 : 100_000));
const ROUNDS = (option('--rounds') ?? (smoke ? '1,3' : '1,3,10,30,100')).split(',').map(Number);
const PARALLEL = Number(option('--parallel') ?? 16);
const unique = args.includes('--unique');
const snapshotDir = option('--snapshot');

/** The mixed policies of bench/scale.ts (600 distinct effective policies), or each one distinct. */
function policies(): Record<string, TenantPolicy> {
  const tenants = makePolicies(TENANTS);
  if (unique) {
    let i = 0;
    for (const policy of Object.values(tenants)) policy.maxCostPerRequest = 1 + i++ / 1e6;
  }
  return tenants;
}

let seq = 0;
const ask = (router: Router, tenant: string) =>
  router.complete({
    tenant,
    maxTokens: 64,
    messages: [{ role: 'user', content: `What is the status of order ${seq++}?` }],
  });

/** One call per tenant, in order, `PARALLEL` callers taking the next tenant. */
async function round(router: Router): Promise<void> {
  let next = 0;
  const caller = async () => {
    for (let i = next++; i < TENANTS; i = next++) await ask(router, idOf(i));
  };
  await Promise.all(Array.from({ length: PARALLEL }, caller));
}

function snapshot(label: string): string | undefined {
  if (!snapshotDir) return undefined;
  mkdirSync(snapshotDir, { recursive: true });
  return v8.writeHeapSnapshot(path.join(snapshotDir, `${label}.heapsnapshot`));
}

const router = createRouter({
  providers: {
    mem: {
      adapter: memoryAdapter(
        'mem',
        'ok',
        (error) => new ProviderError('server_error', String(error), { provider: 'mem' }),
      ),
    },
  },
  models,
  // On, as a deployment with many tenants would have it: the queue stage keeps per-tenant state.
  concurrency: { maxInFlight: 256 },
  tenants: policies(),
});
// Warm the code paths on one tenant, then read the idle heap.
for (let i = 0; i < 200; i++) await ask(router, idOf(0));
const idle = await heap();
const idleSnapshot = snapshot('idle');

interface Row {
  calls: number;
  perTenant: number;
  seconds: number;
}
const rows: Row[] = [];
let done = 0;
const started = performance.now();
const snapshots: { label: string; file: string }[] = [];
for (const target of ROUNDS) {
  while (done < target) {
    await round(router);
    done++;
  }
  const used = await heap();
  rows.push({
    calls: done,
    perTenant: (used - idle) / TENANTS,
    seconds: (performance.now() - started) / 1000,
  });
  console.error(`${done} call(s) per tenant: ${((used - idle) / TENANTS).toFixed(0)} B per active tenant`);
  const file = snapshot(`after-${done}`);
  if (file) snapshots.push({ label: `after ${done}`, file });
}
await router.close();

console.log(
  `${TENANTS.toLocaleString('en-US')} tenants (${unique ? 'every policy distinct' : 'mixed policies: 600 distinct'}), Node ${process.version}; heap growth (\`heapUsed\` + \`arrayBuffers\`) over the idle router (configured, one tenant warmed), after forced GC:\n`,
);
console.log('| calls per tenant | bytes per active tenant | seconds |');
console.log('|--:|--:|--:|');
for (const r of rows) console.log(`| ${r.calls} | ${r.perTenant.toFixed(0)} | ${r.seconds.toFixed(0)} |`);

if (idleSnapshot && snapshots.length > 0) {
  const last = snapshots.at(-1)!;
  console.log(`\nWhere the bytes are (${last.label} vs idle), per active tenant:\n`);
  console.log(formatAttribution(attribute(idleSnapshot, last.file), TENANTS));
}
