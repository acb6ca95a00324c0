/**
 * Self time by function and by part of the stack, per call, from CPU profiles written by
 * bench/loopback-gap.ts --profile (which records `calls`) or by `node --cpu-prof` (then give
 * --calls). Several profiles side by side: the columns are per call, so they compare.
 *
 *   npx tsx bench/profile-summary.ts /tmp/sdk.cpuprofile /tmp/router.cpuprofile [--top 40] [--calls N] [--filter REGEX]
 *
 * --filter keeps the functions whose name or file matches (e.g. 'dist/|zod').
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  calls?: number;
  startTime: number;
  endTime: number;
};

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const top = Number(opt('--top') ?? 40);
const callsArg = opt('--calls');
const filter = opt('--filter');
const files = args;

/** The part of the stack a frame belongs to. */
function part(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native/builtin)';
  if (url.includes('node_modules/openai/')) return 'openai SDK';
  if (url.includes('node_modules/')) return `node_modules/${url.split('node_modules/')[1]!.split('/')[0]}`;
  if (url.includes('/dist/')) return 'routeplane (dist)';
  if (url.includes('/bench/')) return 'bench harness';
  if (url.startsWith('node:internal/deps/undici')) return 'undici (fetch)';
  if (url.startsWith('node:internal/deps/')) return url.slice('node:internal/deps/'.length).split('/')[0]!;
  if (url.startsWith('node:internal/event_target') || url.startsWith('node:internal/abort_controller'))
    return 'node: EventTarget / AbortController';
  if (url.startsWith('node:internal/timers') || url === 'node:timers') return 'node: timers';
  if (url.startsWith('node:internal/webstreams')) return 'node: web streams';
  if (url.startsWith('node:internal/streams') || url === 'node:stream') return 'node: streams';
  if (url.startsWith('node:net') || url.startsWith('node:internal/stream_base') || url.includes('tcp'))
    return 'node: net';
  if (url.startsWith('node:')) return `node: ${url.replace(/^node:(internal\/)?/, '')}`;
  return url;
}

/** For a bundled file of dist/: where each `// src/…` region starts (esbuild's markers), to name a line's source file. */
const regions = new Map<string, { line: number; file: string }[]>();
function sourceOf(url: string, line: number): string | undefined {
  if (!url.includes('/dist/')) return undefined;
  let marks = regions.get(url);
  if (!marks) {
    marks = [];
    try {
      const lines = readFileSync(fileURLToPath(url), 'utf8').split('\n');
      lines.forEach((text, i) => {
        const m = /^\/\/ (src\/\S+)$/.exec(text);
        if (m) marks!.push({ line: i, file: m[1]! });
      });
    } catch {
      // not readable: no regions
    }
    regions.set(url, marks);
  }
  let found: string | undefined;
  for (const mark of marks) {
    if (mark.line > line) break;
    found = mark.file;
  }
  return found;
}

const short = (url: string) =>
  url
    .replace(/^file:\/\/.*node_modules\//, '')
    .replace(/^file:\/\/.*\/dist\//, 'dist/')
    .replace(/^file:\/\/.*\/bench\//, 'bench/');

const summaries = files.map((file) => {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const calls = Number(callsArg ?? profile.calls ?? 1);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const byFunction = new Map<string, number>();
  const byPart = new Map<string, number>();
  const bySource = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${short(url)}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const source = sourceOf(url, lineNumber);
    if (source) bySource.set(source, (bySource.get(source) ?? 0) + us);
    const p = part(url, functionName);
    byPart.set(p, (byPart.get(p) ?? 0) + us);
    if (functionName !== '(idle)') total += us;
  }
  return { file, calls, byFunction, byPart, bySource, total };
});

const perCall = (s: (typeof summaries)[number], m: Map<string, number>, key: string) =>
  (m.get(key) ?? 0) / s.calls;
const header = (first: string) =>
  `| ${first} | ${summaries.map((s) => s.file.split('/').pop()).join(' | ')} |\n|---|${summaries.map(() => '--:').join('|')}|`;
const rows = (pick: (s: (typeof summaries)[number]) => Map<string, number>, n: number) => {
  const keys = new Set<string>();
  for (const s of summaries) for (const k of pick(s).keys()) keys.add(k);
  const ranked = [...keys].sort(
    (a, b) =>
      Math.max(...summaries.map((s) => perCall(s, pick(s), b))) -
      Math.max(...summaries.map((s) => perCall(s, pick(s), a))),
  );
  return ranked
    .filter((k) => filter === undefined || new RegExp(filter).test(k))
    .slice(0, n)
    .map((k) => `| ${k} | ${summaries.map((s) => perCall(s, pick(s), k).toFixed(1)).join(' | ')} |`)
    .join('\n');
};

console.log(
  `Self time, µs per call (calls: ${summaries.map((s) => s.calls).join(', ')}); sampled time excluding (idle): ${summaries.map((s) => (s.total / s.calls).toFixed(1)).join(', ')} µs per call\n`,
);
console.log(header('part of the stack'));
console.log(rows((s) => s.byPart, 30));
if (summaries.some((s) => s.bySource.size > 0)) {
  console.log(`\n${header('routeplane (dist) by source file')}`);
  console.log(rows((s) => s.bySource, 40));
}
console.log(`\n${header('function')}`);
console.log(rows((s) => s.byFunction, top));
