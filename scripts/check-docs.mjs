// Run after `typedoc` (npm run docs): checks what a reader of the README, the API reference
// and the npm package meets.
// - Every relative link of the README names a file that exists and is in the npm tarball.
// - The API reference links no file as a web address (markdown's linkify made
//   `BENCHMARKS.md` into http://BENCHMARKS.md).
// - Every model id quoted in the README, the examples and the doc comments of src/ is in the
//   built-in catalog, or is defined in that same file (`id: '…'`).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BUILTIN_MODELS } from 'routeplane';

const problems = [];
const readme = readFileSync('README.md', 'utf8');

const packed = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }),
)[0];
const inTarball = new Set(packed.files.map((f) => f.path));
for (const [, target] of readme.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)) {
  const path = target.replace(/^\.\//, '');
  if (!existsSync(path)) problems.push(`README links ${target}, which does not exist`);
  else if (![...inTarball].some((f) => f === path || f.startsWith(`${path.replace(/\/$/, '')}/`)))
    problems.push(`README links ${target}, which the npm package leaves out (package.json "files")`);
}
for (const [, path] of readme.matchAll(/`(examples\/[\w./-]+\.ts)`/g)) {
  if (!inTarball.has(path)) problems.push(`README names ${path}, which the npm package leaves out`);
}

for (const file of walk('docs/api', '.html')) {
  for (const [href] of readFileSync(file, 'utf8').matchAll(/href="https?:\/\/[\w-]+\.(md|ts|json)"/g))
    problems.push(`${file}: ${href} turns a file name into a web address`);
}

const catalog = new Set(BUILTIN_MODELS.map((m) => m.id));
const MODEL_ID = /['"`]((?:gpt|claude|mistral|ministral|codestral|gemini)-[\w.-]+)['"`]/g;
const docSources = [
  ['README.md', readme],
  ...[...walk('examples', '.ts'), ...walk('src', '.ts')]
    .filter((f) => !f.endsWith('.test.ts'))
    .map((f) => {
      const text = readFileSync(f, 'utf8');
      // In source files, only doc comments and comments are documentation.
      const docs = f.startsWith('src')
        ? text
            .split('\n')
            .filter((line) => /^\s*(\*|\/\/)/.test(line))
            .join('\n')
        : text;
      return [f, docs, text];
    }),
];
for (const [file, docs, whole = docs] of docSources) {
  const defined = new Set([...whole.matchAll(/\bid: ['"]([\w.-]+)['"]/g)].map((m) => m[1]));
  const lines = docs.split('\n');
  lines.forEach((line, i) => {
    // A quoted error message names a wrong id on purpose ("… did you mean …?").
    if (/did you mean|not in the model catalog/.test(`${line} ${lines[i + 1] ?? ''}`)) return;
    for (const [, id] of line.matchAll(MODEL_ID)) {
      if (!catalog.has(id) && !defined.has(id))
        problems.push(`${file} names model '${id}', which is not in the catalog`);
    }
  });
}

if (problems.length > 0) {
  console.error(`check-docs: ${problems.length} problem(s):\n- ${[...new Set(problems)].join('\n- ')}`);
  process.exit(1);
}
console.log('check-docs: README links, package files, API reference links and model ids are sound');

function* walk(dir, ext) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path, ext);
    else if (entry.name.endsWith(ext)) yield relative('.', path);
  }
}
