import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatReplayTable, renderReplayHtml } from '../replay/format.js';
import { replayAudit } from '../replay/replay.js';
import { createRouter, type Router, type RouterConfig } from '../router.js';
import { CliError, commandArgs, loadDefaultExport, openAuditLog, progressBar } from './jsonl.js';

export const REPLAY_HELP = `Usage: routeplane replay <audit.jsonl> --config <proposed.config.mjs> [--json | --html FILE]

Replays an audit log (one JSON record per line, as an audit sink writes it) against a
proposed policy, calling no provider, and shows per tenant the baseline and proposed cost,
the calls that would change model, and the calls that would be denied, and why.

Options:
  -c, --config FILE   an ES module whose default export is a RouterConfig (or a Router)
      --json          print the report as JSON
      --html FILE     also write the report as a self-contained HTML page
      --sample N      changed calls kept per tenant as examples (default 20)
  -h, --help          show this help

The providers in the config are never called: a placeholder apiKey will do, and their SDK
packages need not be installed.

Exit codes: 0 done, 1 the log or the config could not be read, 2 bad arguments.
`;

/** `routeplane replay`: returns the exit code. */
export async function runReplay(argv: string[]): Promise<number> {
  const parsed = commandArgs('replay', REPLAY_HELP, () => parse(argv));
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (values.config === undefined) throw new CliError(`replay: --config is required\n\n${REPLAY_HELP}`, 2);
  if (values.json && values.html !== undefined)
    throw new CliError('replay: --json and --html go one at a time', 2);
  const sample = values.sample === undefined ? 20 : Number(values.sample);
  if (!Number.isInteger(sample) || sample < 0)
    throw new CliError(`replay: --sample must be a whole number, got '${values.sample}'`, 2);

  const log = await openAuditLog(positionals[0]!);
  const { router, owned } = await loadRouter(values.config);
  const bar = progressBar(log);
  try {
    const report = await replayAudit(log.records, router, {
      sampleSize: sample,
      onProgress: (n) => bar.update(n),
    });
    bar.done();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
    process.stdout.write(formatReplayTable(report, { color }));
    if (values.html !== undefined) {
      await writeFile(values.html, renderReplayHtml(report));
      process.stderr.write(`html: ${values.html}\n`);
    }
    return 0;
  } finally {
    bar.done();
    if (owned) await router.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      html: { type: 'string' },
      sample: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * The proposed router: the config module's default export, a Router as it is, or a
 * RouterConfig built with `createRouter` (its SDKs load in the background and are never
 * needed: a replay only explains).
 */
async function loadRouter(path: string): Promise<{ router: Router; owned: boolean }> {
  const exported = await loadDefaultExport(path);
  if (typeof exported !== 'object' || exported === null)
    throw new CliError(`${path}: its default export must be a RouterConfig or a Router`, 1);
  if (typeof (exported as Router).explain === 'function') return { router: exported as Router, owned: false };
  try {
    return { router: createRouter(exported as RouterConfig), owned: true };
  } catch (error) {
    throw new CliError(`${path}: ${(error as Error).message}`, 1);
  }
}
