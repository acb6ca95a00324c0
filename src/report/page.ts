import { createHash } from 'node:crypto';
import type { ReportData } from './aggregate.js';
import { chartAssets } from './assets.js';
import { CLIENT_SCRIPT } from './client.js';

const STYLE = `
:root { font: 14px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #111827; background: #f9fafb; }
body { margin: 0 auto; max-width: 1240px; padding: 16px 24px 40px; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 24px; }
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 6px; }
select { font: inherit; padding: 2px 6px; max-width: 28em; }
#meta, .note { color: #6b7280; font-size: 12px; margin: 4px 0; }
#tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; margin: 14px 0; }
.tile { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 12px; overflow-wrap: anywhere; }
.tile .label { display: block; color: #6b7280; font-size: 12px; }
.tile strong { display: block; font-size: 20px; }
.tile .detail { display: block; color: #6b7280; font-size: 12px; }
.tile.ok strong { color: #15803d; } .tile.bad strong { color: #b91c1c; } .tile.muted strong { color: #6b7280; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 14px; }
figure, section.card { margin: 0; background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 10px 12px; min-width: 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid #f3f4f6; overflow-wrap: anywhere; }
td { position: relative; }
.bar { position: absolute; left: 0; top: 3px; bottom: 3px; background: #dbeafe; z-index: 0; }
.bar + span { position: relative; }
`;

/** HTML text: `&`, `<`, `>`, `"` and `'` escaped. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * JSON that is safe inside a `<script type="application/json">`: no `<` (so no `</script>` or
 * `<!--`), and U+2028 / U+2029 escaped.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The page: uPlot's script and stylesheet inlined, the data as JSON, the renderer. Its
 * Content-Security-Policy allows no fetch of any kind and only these two scripts (by hash), so
 * a string that slipped into the markup still could not run or call out.
 */
export function renderPage(data: ReportData): string {
  const { script, style } = chartAssets();
  const uplot = script.replace(/<\/(script)/gi, '<\\/$1');
  const csp = `default-src 'none'; script-src ${sha256(uplot)} ${sha256(CLIENT_SCRIPT)}; style-src 'unsafe-inline'; img-src data:`;
  const title = escapeHtml(data.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="routeplane/report">
<title>${title}</title>
<style>${style.replace(/<\/(style)/gi, '<\\/$1')}</style>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${title}</h1><label>Tenant <select id="tenant"></select></label><span id="view" hidden></span></header>
<p id="meta"></p>
<div id="tiles"></div>
<div class="grid">
<figure id="spend"><h2>Spend against the budget</h2><div class="chart"></div><p class="note" id="spend-note"></p></figure>
<figure id="calls"><h2>Calls, and denials and failures by code</h2><div class="chart"></div></figure>
<figure id="latency"><h2>Latency of successful calls (p50, p95, p99)</h2><div class="chart"></div></figure>
<figure id="ttft"><h2>Time to first token (p50, p95, p99)</h2><div class="chart"></div></figure>
<figure id="cache"><h2>Cache hit rate (of successful calls)</h2><div class="chart"></div></figure>
<section class="card"><h2>Model mix</h2><div id="models"></div></section>
<section class="card"><h2>Fallbacks (from → to)</h2><div id="fallbacks"></div></section>
<section class="card"><h2>Denials and failures by code</h2><div id="codes"></div></section>
</div>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${uplot}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
