/**
 * Benchmark guard: fails when the built router (dist/) got more than 20% slower in process
 * than the committed figures say.
 *
 * What it compares: for each router variant of bench/overhead.ts (minimal stack, + audit
 * listener, 3 deployments per model, full stack), its per-call time divided by the per-call
 * time of a fixed reference workload (./reference.ts) measured interleaved with it in the
 * same process (./measure.ts). Absolute times mean nothing on a shared machine; the ratio
 * holds still when the whole machine slows down. bench/check/baseline.json holds the
 * committed ratios.
 *
 *   npm run build                           # it measures dist/, as users run it
 *   npm run bench:check                     # full form: 3 fresh processes, pooled (~35 s)
 *   npm run bench:check -- --quick          # one process (~5 s; 15 s on a loaded machine); `npm test` runs this
 *   npm run bench:check -- --update         # full form, then rewrite baseline.json
 *   npm run bench:check -- --json           # also print the figures as JSON
 *
 * The threshold: a variant fails when its measured ratio exceeds the committed one by more
 * than 20% (measured ÷ committed > 1.2). A variant over the line is measured again in a fresh
 * process, up to twice more, and fails only if it is over the line every time: a load burst
 * on the machine passes, a real slowdown does not. A ratio more than 10% under the committed
 * one is reported as faster, so that someone commits the new figures with --update (until
 * then the guard lets the router lose that gain again unnoticed). Exit status 1 on a
 * regression, 2 on a usage or setup error, else 0.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { MeasureRequest, MeasureResult } from './measure.js';

const THRESHOLD = 0.2;
const FASTER_NOTE = 0.1;
const RETRIES = 2;

/** The variants the guard checks, with the labels its table prints; keys are baseline.json's. */
const VARIANTS: Record<string, string> = {
  minimal: 'router, minimal stack',
  'minimal+audit': 'router, minimal stack + audit listener',
  'deployments-3': 'router, minimal stack, 3 deployments per model',
  full: 'router, full stack',
};

interface Form {
  name: string;
  processes: number;
  rounds: number;
  chunk: number;
  warmup: number;
}

const QUICK: Form = { name: 'quick', processes: 1, rounds: 60, chunk: 250, warmup: 4_000 };
const FULL: Form = { name: 'full', processes: 3, rounds: 150, chunk: 250, warmup: 8_000 };

interface Baseline {
  $comment: string;
  command: string;
  date: string;
  node: string;
  cpu: string;
  loadAverage: number;
  form: Omit<Form, 'name'>;
  referenceUs: number;
  ratios: Record<string, number>;
}

const root = new URL('../../', import.meta.url);
const baselineFile = new URL('./baseline.json', import.meta.url);
const UPDATE_COMMAND = 'npm run build && npm run bench:check -- --update';

const argv = process.argv.slice(2);
const known = new Set(['--quick', '--update', '--json', '--help', '-h']);
const unknown = argv.filter((a) => !known.has(a));
if (argv.includes('--help') || argv.includes('-h') || unknown.length > 0) {
  if (unknown.length > 0) console.error(`bench:check: unknown option ${unknown.join(' ')}`);
  console.error('usage: npm run bench:check [-- --quick | --update] [--json]  (see bench/check/check.ts)');
  process.exit(unknown.length > 0 ? 2 : 0);
}
const update = argv.includes('--update');
if (update && argv.includes('--quick')) {
  console.error('bench:check: --update always measures the full form; drop --quick');
  process.exit(2);
}
const form = argv.includes('--quick') ? QUICK : FULL;

const distEntry = new URL('dist/index.js', root);
let distTime: number;
try {
  distTime = statSync(distEntry).mtimeMs;
} catch {
  console.error(
    'bench:check: dist/index.js is missing: run `npm run build` first (it measures the built package)',
  );
  process.exit(2);
}
const newestSource = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = `${dir}/${entry.name}`;
    const time = entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs;
    return Math.max(newest, time);
  }, 0);
if (newestSource(fileURLToPath(new URL('src', root))) > distTime)
  console.warn(
    'bench:check: warning: src/ changed after dist/ was built; this measures dist/ (`npm run build`)',
  );

let baseline: Baseline | undefined;
try {
  baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as Baseline;
} catch (error) {
  if (!update) {
    console.error(
      `bench:check: cannot read ${fileURLToPath(baselineFile)} (${String(error)}); create it with \`${UPDATE_COMMAND}\``,
    );
    process.exit(2);
  }
}

const cpu = `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'} (${os.cpus().length} cores)`;

/** One measurement in a fresh process (so a JIT accident in one process does not decide). */
function measureOnce(variants: string[], rounds: number): Promise<MeasureResult> {
  const request: MeasureRequest = { variants, rounds, chunk: form.chunk, warmup: form.warmup };
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./measure.ts', import.meta.url)), [JSON.stringify(request)], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: MeasureResult | undefined;
    child.on('message', (message) => {
      result = message as MeasureResult;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`the measuring process exited with ${code} and no result`)),
    );
  });
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The form's processes, one after the other, their rounds pooled: the median ratio per variant. */
async function measureForm(
  variants: string[],
): Promise<{ ratios: Record<string, number>; referenceUs: number }> {
  const pooled: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  const reference: number[] = [];
  for (let p = 0; p < form.processes; p++) {
    const result = await measureOnce(variants, form.rounds).catch((error: unknown) => {
      // Not a regression: the guard could not measure (a broken build, a changed API).
      console.error(`bench:check: could not measure: ${String(error)} (its output is above)`);
      return process.exit(2);
    });
    for (const v of variants) pooled[v]!.push(...result.ratios[v]!);
    reference.push(...result.referenceUs);
  }
  return {
    ratios: Object.fromEntries(variants.map((v) => [v, median(pooled[v]!)])),
    referenceUs: median(reference),
  };
}

const started = performance.now();
const names = Object.keys(VARIANTS);
console.log(
  `bench:check, ${form.name} form: ${form.processes} process${form.processes > 1 ? 'es' : ''} × ${form.rounds} rounds × ${form.chunk} calls per variant, ratios to the reference workload (bench/check/reference.ts)`,
);
const first = await measureForm(names);

const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;
const ratio = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(3));

if (update) {
  const next: Baseline = {
    $comment:
      "Committed figures for `npm run bench:check` (bench/check/check.ts): each router variant's per-call time divided by the reference workload's, measured interleaved on the machine named here. Regenerate with the command below, on a quiet machine, after the build whose speed they should hold.",
    command: UPDATE_COMMAND,
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cpu,
    loadAverage: Math.round(os.loadavg()[0]! * 10) / 10,
    form: { processes: form.processes, rounds: form.rounds, chunk: form.chunk, warmup: form.warmup },
    referenceUs: Math.round(first.referenceUs * 100) / 100,
    ratios: Object.fromEntries(names.map((v) => [v, Math.round(first.ratios[v]! * 1000) / 1000])),
  };
  writeFileSync(baselineFile, `${JSON.stringify(next, null, 2)}\n`);
  console.log('');
  for (const v of names)
    console.log(
      `  ${VARIANTS[v]!.padEnd(48)} ${ratio(baseline?.ratios[v]).padStart(7)} → ${ratio(next.ratios[v])}`,
    );
  console.log(
    `\nwrote ${fileURLToPath(baselineFile)} (reference ${next.referenceUs} µs a call, load average ${next.loadAverage}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  process.exit(0);
}

const committed = baseline!;
const attempts: Record<string, number[]> = Object.fromEntries(
  names.map((v) => [v, [first.ratios[v]! / (committed.ratios[v] ?? Number.NaN) - 1]]),
);
const over = (v: string) => attempts[v]!.at(-1)! > THRESHOLD;
for (let retry = 1; retry <= RETRIES; retry++) {
  const failing = names.filter(over);
  if (failing.length === 0) break;
  console.log(
    `  over the line: ${failing.map((v) => `${v} (${signed(attempts[v]!.at(-1)!)})`).join(', ')}; measuring again in a fresh process (${retry} of ${RETRIES})`,
  );
  const again = await measureForm(failing);
  for (const v of failing) attempts[v]!.push(again.ratios[v]! / committed.ratios[v]! - 1);
}

const rows = names.map((v) => {
  const changes = attempts[v]!;
  const last = changes.at(-1)!;
  const committedRatio = committed.ratios[v];
  let verdict: string;
  if (committedRatio === undefined) verdict = 'new: no committed figure';
  else if (last > THRESHOLD)
    verdict = `REGRESSED: over +${THRESHOLD * 100}% in ${changes.length > 1 ? `all ${changes.length} attempts (${changes.map(signed).join(', ')})` : 'the only attempt'}`;
  else if (changes.length > 1)
    verdict = `ok on attempt ${changes.length} (before: ${changes.slice(0, -1).map(signed).join(', ')})`;
  else if (last < -FASTER_NOTE) verdict = 'faster: commit the new figures (--update)';
  else verdict = 'ok';
  const measuredRatio = (committedRatio ?? Number.NaN) * (1 + last);
  return {
    v,
    committedRatio,
    measuredRatio: committedRatio === undefined ? first.ratios[v]! : measuredRatio,
    last,
    verdict,
  };
});

const header = ['variant', 'committed', 'measured', 'change', 'verdict'];
const table = [
  header,
  ...rows.map((r) => [
    VARIANTS[r.v]!,
    ratio(r.committedRatio),
    ratio(r.measuredRatio),
    r.committedRatio === undefined ? '—' : signed(r.last),
    r.verdict,
  ]),
];
const widths = header.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
console.log('');
for (const [i, row] of table.entries()) {
  console.log(
    `  ${row.map((cell, c) => (c === 0 || c === 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`.trimEnd(),
  );
  if (i === 0) console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
}
const failed = rows.filter((r) => r.last > THRESHOLD);
const faster = rows.filter((r) => r.verdict.startsWith('faster'));
console.log(
  `\n  committed ${committed.date} on ${committed.cpu}, Node ${committed.node}; reference workload ${first.referenceUs.toFixed(2)} µs a call here (${committed.referenceUs} µs then); ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
if (committed.node !== process.version || committed.cpu !== cpu)
  console.log(
    `  note: measured on ${cpu}, Node ${process.version}: ratios shift across CPUs and V8 versions; compare on the kind of machine the figures were made on`,
  );
for (const v of Object.keys(committed.ratios))
  if (!(v in VARIANTS)) console.log(`  note: baseline.json has '${v}', which is no longer measured`);
if (argv.includes('--json'))
  console.log(
    JSON.stringify({ form: form.name, attempts, ratios: first.ratios, referenceUs: first.referenceUs }),
  );
if (failed.length > 0) {
  console.log(
    `\nbench:check: FAILED: ${failed.map((r) => VARIANTS[r.v]).join('; ')} ${failed.length > 1 ? 'are' : 'is'} more than ${THRESHOLD * 100}% slower, relative to the reference workload, than the committed figures (bench/check/baseline.json). If the slowdown is intended, say so in the commit and run \`${UPDATE_COMMAND}\`.`,
  );
  process.exit(1);
}
console.log(
  faster.length > 0
    ? `\nbench:check: passed; ${faster.length} variant${faster.length > 1 ? 's are' : ' is'} more than ${FASTER_NOTE * 100}% faster than committed: run \`${UPDATE_COMMAND}\` and commit bench/check/baseline.json`
    : '\nbench:check: passed',
);
