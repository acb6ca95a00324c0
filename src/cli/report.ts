import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { AuditRecord } from '../events/types.js';
import { renderReportFrom } from '../report/index.js';
import { CliError, openAuditLog, progressBar } from './jsonl.js';

export const REPORT_HELP = `Usage: routeplane report <audit.jsonl> -o <report.html> [--title TEXT]

Renders an audit log (one JSON record per line) as one self-contained HTML page: per
tenant and for all, spend against the budget, calls and denials, latency, fallbacks,
model mix, cache hit rate and the audit chain's status.

Options:
  -o, --out FILE      the HTML file to write (required)
      --title TEXT    the page's title
  -h, --help          show this help

Exit codes: 0 done, 1 the log could not be read, 2 bad arguments.
`;

/** `routeplane report`: returns the exit code. */
export async function runReport(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new CliError(`report: ${(error as Error).message}\n\n${REPORT_HELP}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  if (positionals.length !== 1)
    throw new CliError(`report: expected one audit log, got ${positionals.length}\n\n${REPORT_HELP}`, 2);
  if (values.out === undefined) throw new CliError(`report: -o FILE is required\n\n${REPORT_HELP}`, 2);

  const log = await openAuditLog(positionals[0]!);
  const bar = progressBar(log);
  let count = 0;
  async function* counted(): AsyncGenerator<AuditRecord> {
    for await (const record of log.records) {
      if (++count % 10_000 === 0) bar.update(count);
      yield record;
    }
  }
  try {
    const html = await renderReportFrom(counted(), values.title === undefined ? {} : { title: values.title });
    bar.done();
    await writeFile(values.out, html);
    process.stderr.write(`report: ${count} records → ${values.out}\n`);
    return 0;
  } finally {
    bar.done();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string', short: 'o' },
      title: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
