// The CommonJS build, loaded each way a CJS user may load it; each run routes one call per
// provider through the emulator (scripts/smoke-route.cjs):
//   - plain node:                 node scripts/smoke.cjs
//   - tsx on a .cts file:         tsx scripts/smoke.cts
//   - tsx as a loader:            node --import tsx scripts/smoke.cjs
//   - a bundler:                  esbuild --bundle --platform=node --format=cjs scripts/smoke.cjs
// A .cts file is the hard case: tsx (its CLI or `node --import tsx`, the same loader) runs it
// through Node's ESM loader, whose require() cannot load an ESM-only package
// (ERR_VM_MODULE_LINK_FAILURE on Node 20), so every require() in dist/**/*.cjs must reach a
// CommonJS file. This script checks that too, and that the peer SDKs stay behind a real
// import() (the Mistral SDK is ESM-only). The runs go in parallel.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const PEERS = ['openai', '@anthropic-ai/sdk', '@mistralai/mistralai'];
const failures = [];

// 1. Every require() in the CJS build reaches CommonJS; the peer SDKs are import()ed.
const cjsFiles = (await readdir(dist, { recursive: true })).filter((f) => f.endsWith('.cjs'));
for (const file of cjsFiles) {
  const path = join(dist, file);
  const code = await readFile(path, 'utf8');
  for (const [, specifier] of code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
    if (isBuiltin(specifier)) continue;
    if (PEERS.includes(specifier)) {
      failures.push(`dist/${file}: require('${specifier}'): peer SDKs must be loaded with import()`);
      continue;
    }
    const target = createRequire(path).resolve(specifier);
    if ((await moduleFormat(target)) === 'esm')
      failures.push(`dist/${file}: require('${specifier}') loads ESM (${relative(root, target)})`);
  }
}
const index = await readFile(join(dist, 'index.cjs'), 'utf8');
for (const peer of PEERS) {
  if (!index.includes(`import('${peer}')`) && !index.includes(`import("${peer}")`))
    failures.push(`dist/index.cjs: no import('${peer}')`);
}

// 2. The consumers. The repo's tsconfig maps 'routeplane' to src/ (`paths`, for the examples),
// and tsx and esbuild both honour it: point them at an empty tsconfig, so that they load the
// build through the package's exports like a user's project does.
const tmp = await mkdtemp(join(tmpdir(), 'routeplane-smoke-'));
try {
  const tsconfig = join(tmp, 'tsconfig.json');
  await writeFile(tsconfig, '{}\n');
  const bundle = join(tmp, 'smoke.bundle.cjs');
  const built = await build({
    entryPoints: [join(root, 'scripts/smoke.cjs')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    tsconfig,
    metafile: true,
    logLevel: 'error',
  });
  const inputs = Object.keys(built.metafile.inputs);
  if (!inputs.includes('dist/index.cjs') || inputs.some((i) => i.startsWith('src/')))
    failures.push(`esbuild bundled ${inputs.filter((i) => /^(src|dist)\//.test(i)).join(', ')}`);

  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const env = { ...process.env, TSX_TSCONFIG_PATH: tsconfig };
  const runs = [
    ['node', ['scripts/smoke.cjs', 'node']],
    ['tsx', [tsx, 'scripts/smoke.cts', 'tsx']],
    ['node --import tsx', ['--import', 'tsx', 'scripts/smoke.cjs', 'node --import tsx']],
    ['esbuild bundle', [bundle, 'esbuild bundle']],
  ];
  const results = await Promise.all(runs.map(([name, args]) => run(name, args, env)));
  for (const { name, code, output } of results) {
    process.stdout.write(output);
    const oks = output.match(/: (openai|anthropic|mistral) ok$/gm) ?? [];
    if (code !== 0 || oks.length !== 3) failures.push(`${name}: exit ${code}, ${oks.length}/3 providers ok`);
    if (!/: routeplane\/http ok$/m.test(output)) failures.push(`${name}: routeplane/http did not answer`);
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`\nCJS smoke test failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('cjs: node, tsx, node --import tsx and an esbuild bundle all load the CJS build');

/** 'esm' or 'cjs', as Node decides it for a resolved file. */
async function moduleFormat(file) {
  if (file.endsWith('.mjs')) return 'esm';
  if (file.endsWith('.cjs') || !file.endsWith('.js')) return 'cjs';
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      const { type } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      return type === 'module' ? 'esm' : 'cjs';
    } catch (error) {
      if (error.code !== 'ENOENT' || dirname(dir) === dir) return 'cjs';
    }
  }
}

/** Runs node with `args` from the repo root; resolves with its exit code and output. */
function run(name, args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ name, code: code ?? signal, output });
    });
  });
}
