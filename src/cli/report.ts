import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { AuditRecord } from '../events/types.js';
import { type ReportBudget, type ReportOptions, renderReportFrom } from '../report/index.js';
import { CliError, commandArgs, loadDefaultExport, openAuditLog, progressBar } from './jsonl.js';

export const REPORT_HELP = `Usage: routeplane report <audit.jsonl> -o <report.html> [--title TEXT] [--config FILE]

Renders an audit log (one JSON record per line) as one self-contained HTML page: per
tenant and for all, spend against the budget, calls and denials, latency, fallbacks,
model mix, cache hit rate and the audit chain's status.

Options:
  -o, --out FILE      the HTML file to write (required)
      --title TEXT    the page's title
  -c, --config FILE   a router config module (as for replay): its tenants' budgets draw
                      the budget lines (without it, spend is drawn with no limit)
  -h, --help          show this help

Exit codes: 0 done, 1 the log could not be read, 2 bad arguments.
`;

/** `routeplane report`: returns the exit code. */
export async function runReport(argv: string[]): Promise<number> {
  const parsed = commandArgs('report', REPORT_HELP, () => parse(argv));
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (values.out === undefined) throw new CliError(`report: -o FILE is required\n\n${REPORT_HELP}`, 2);

  const budgets = values.config === undefined ? undefined : budgetsOf(await loadDefaultExport(values.config));
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
    const html = await renderReportFrom(counted(), {
      ...(values.title !== undefined && { title: values.title }),
      ...(budgets !== undefined && { budgets }),
    });
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
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** The budgets of a config's tenants (a RouterConfig whose `tenants` is a plain record). */
function budgetsOf(config: unknown): ReportOptions['budgets'] {
  const tenants = (config as { tenants?: unknown } | null)?.tenants;
  if (
    typeof tenants !== 'object' ||
    tenants === null ||
    typeof (tenants as { get?: unknown }).get === 'function'
  )
    return undefined;
  const budgets: Record<string, ReportBudget> = {};
  for (const [tenant, policy] of Object.entries(tenants as Record<string, { budget?: ReportBudget }>)) {
    if (policy?.budget) budgets[tenant] = { limitUsd: policy.budget.limitUsd, period: policy.budget.period };
  }
  return budgets;
}
