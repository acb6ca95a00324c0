/**
 * One router variant of bench/overhead.ts in a loop, for a CPU profile of it alone: what
 * BENCHMARKS.md's "Where the time goes" is read from.
 *
 *   npm run build
 *   node --cpu-prof --cpu-prof-dir=prof --import tsx bench/profile-stack.ts full 150000
 *   npx tsx bench/profile-summary.ts prof/*.cpuprofile --calls 170000
 *
 * (`--import tsx` also profiles tsx's loader thread: the smaller of the two files.)
 * Variants: minimal, audited, deployed, full (default); 20,000 warm-up calls first (they are
 * in the profile too: give --calls the total). It measures the built package (dist/).
 */
import type { Router } from '../src/index.js';
import { overheadMessages, overheadRouters } from './overhead-routers.js';

const routeplane = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');

const name = process.argv[2] ?? 'full';
const calls = Number(process.argv[3] ?? 150_000);
const routers = overheadRouters(routeplane);
const router = (routers as unknown as Record<string, Router | undefined>)[name];
if (router === undefined || !['minimal', 'audited', 'deployed', 'full'].includes(name)) {
  console.error(`profile-stack: unknown variant '${name}' (minimal, audited, deployed, full)`);
  process.exit(2);
}
const call = (i: number) => router.complete({ tenant: 't', maxTokens: 64, messages: overheadMessages(i) });
for (let i = 0; i < 20_000; i++) await call(1e9 + i);
const cpu = process.cpuUsage();
for (let i = 0; i < calls; i++) await call(i);
const used = process.cpuUsage(cpu);
console.log(
  `${name}: ${((used.user + used.system) / calls).toFixed(2)} µs of CPU a call over ${calls} calls`,
);
await routers.close();
