import type { ReplayReport, TenantReplay } from './replay.js';

/** Options of `formatReplayTable`. */
export interface ReplayTableOptions {
  /** ANSI colours (cost up red, down green, denials yellow). Default false. */
  color?: boolean;
}

const ANSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', bold: '\x1b[1m', reset: '\x1b[0m' };

/**
 * A replay report as an aligned text table: one row per tenant and a total, with the
 * baseline and proposed cost, the change, the model changes and the new denials.
 *
 * @example
 * ```ts
 * console.log(formatReplayTable(await replayAudit(records, proposed), { color: process.stdout.isTTY }));
 * ```
 */
export function formatReplayTable(report: ReplayReport, options: ReplayTableOptions = {}): string {
  const paint = (text: string, colour: keyof typeof ANSI | undefined) =>
    options.color && colour ? `${ANSI[colour]}${text}${ANSI.reset}` : text;
  const header = ['tenant', 'calls', 'baseline', 'proposed', 'change', 'model changes', 'new denials'];
  const rows: { cells: string[]; colours: (keyof typeof ANSI | undefined)[] }[] = [];
  const row = (
    name: string,
    t: Pick<TenantReplay, 'calls' | 'baselineCostUsd' | 'proposedCostUsd' | 'newDenials'>,
    changes: string,
  ) => {
    const delta = t.proposedCostUsd - t.baselineCostUsd;
    const denials = t.newDenials.map((d) => `${d.code}×${d.calls}`).join(' ');
    rows.push({
      cells: [
        name,
        String(t.calls),
        usd(t.baselineCostUsd),
        usd(t.proposedCostUsd),
        percent(delta, t.baselineCostUsd),
        changes || '-',
        denials || '-',
      ],
      colours: [
        undefined,
        undefined,
        undefined,
        undefined,
        delta > 0 ? 'red' : delta < 0 ? 'green' : undefined,
        undefined,
        denials ? 'yellow' : undefined,
      ],
    });
  };
  for (const t of report.byTenant) {
    const shown = t.modelChanges.slice(0, 2).map((c) => `${c.from}→${c.to}×${c.calls}`);
    if (t.modelChanges.length > 2) shown.push(`+${t.modelChanges.length - 2} more`);
    row(t.tenant, t, shown.join(' '));
  }
  row('total', report, report.modelChanges > 0 ? `${report.modelChanges} calls` : '');
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  const numeric = new Set([1, 2, 3, 4]);
  const line = (cells: string[], colours: (keyof typeof ANSI | undefined)[] = []) =>
    cells
      .map((c, i) => {
        const padded = numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
        return paint(padded, colours[i]);
      })
      .join('  ')
      .trimEnd();
  const out = [paint(line(header), 'bold'), widths.map((w) => '-'.repeat(w)).join('  ')];
  rows.forEach((r, i) => {
    if (i === rows.length - 1) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
    out.push(line(r.cells, r.colours));
  });
  const extra: string[] = [];
  if (report.newlyAllowed > 0) extra.push(`${report.newlyAllowed} calls denied in the log would go through`);
  if (report.skipped > 0) extra.push(`${report.skipped} records skipped (no features)`);
  if (extra.length > 0) out.push('', ...extra);
  return `${out.join('\n')}\n`;
}

/** Options of `renderReplayHtml`. */
export interface ReplayHtmlOptions {
  /** The page's title. Default "routeplane replay". */
  title?: string;
}

/**
 * A replay report as one self-contained HTML page (no script, no network): the totals,
 * a table per tenant, and each tenant's sample of changed calls.
 */
export function renderReplayHtml(report: ReplayReport, options: ReplayHtmlOptions = {}): string {
  const title = options.title ?? 'routeplane replay';
  const period =
    report.from !== undefined && report.to !== undefined
      ? `${new Date(report.from).toISOString()} – ${new Date(report.to).toISOString()}`
      : 'no records';
  const tenantRows = report.byTenant
    .map(
      (t) =>
        `<tr><td>${esc(t.tenant)}</td><td class="n">${t.calls}</td><td class="n">${usd(t.baselineCostUsd)}</td><td class="n">${usd(t.proposedCostUsd)}</td><td class="n ${cls(t)}">${percent(t.proposedCostUsd - t.baselineCostUsd, t.baselineCostUsd)}</td><td>${t.modelChanges.map((c) => `${esc(c.from)} → ${esc(c.to)} ×${c.calls}`).join('<br>') || '-'}</td><td>${t.newDenials.map((d) => `${esc(d.code)} ×${d.calls}`).join('<br>') || '-'}</td></tr>`,
    )
    .join('\n');
  const samples = report.byTenant
    .filter((t) => t.changedCalls.length > 0)
    .map(
      (t) =>
        `<h3>${esc(t.tenant)}</h3><table><tr><th>time</th><th>request</th><th>from</th><th>to / denial</th></tr>${t.changedCalls
          .map(
            (c) =>
              `<tr><td>${new Date(c.timestamp).toISOString()}</td><td><code>${esc(c.requestId)}</code></td><td>${esc(c.from ?? '-')}</td><td>${c.to !== undefined ? esc(c.to) : `<span class="deny">${esc(c.code ?? '')}</span> ${esc(c.reason ?? '')}`}</td></tr>`,
          )
          .join('')}</table>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
.n{text-align:right;font-variant-numeric:tabular-nums}.up{color:#b00}.down{color:#080}.deny{color:#a60;font-weight:600}
</style></head><body>
<h1>${esc(title)}</h1>
<p>${report.calls} calls replayed (${esc(period)}); ${report.skipped} skipped. Baseline ${usd(report.baselineCostUsd)}, proposed ${usd(report.proposedCostUsd)} (${percent(report.proposedCostUsd - report.baselineCostUsd, report.baselineCostUsd)}); ${report.modelChanges} calls change model; new denials: ${report.newDenials.map((d) => `${esc(d.code)} ×${d.calls}`).join(', ') || 'none'}; ${report.newlyAllowed} calls denied in the log would go through.</p>
<table><tr><th>tenant</th><th>calls</th><th>baseline</th><th>proposed</th><th>change</th><th>model changes</th><th>new denials</th></tr>
${tenantRows}
</table>
<h2>Changed calls (sample)</h2>
${samples || '<p>None.</p>'}
</body></html>
`;
}

function cls(t: TenantReplay): string {
  const delta = t.proposedCostUsd - t.baselineCostUsd;
  return delta > 0 ? 'up' : delta < 0 ? 'down' : '';
}

function usd(value: number): string {
  return `$${value.toFixed(value !== 0 && Math.abs(value) < 1 ? 6 : 2)}`;
}

function percent(delta: number, base: number): string {
  if (delta === 0) return '0%';
  if (base === 0) return delta > 0 ? '+∞' : '-∞';
  const p = (delta / base) * 100;
  return `${p > 0 ? '+' : ''}${p.toFixed(1)}%`;
}

function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
