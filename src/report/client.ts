/**
 * The page's renderer (plain ES2017, no dependency but the inlined uPlot). It reads the
 * report's JSON, fills the tenant picker, and draws one tenant (or all) at a time. Every
 * string from the records reaches the DOM through `textContent` or `new Option()`, never
 * as markup. Exposes `window.routeplaneReport` ({ charts, data, show, drawnAt: ms from navigation to the first drawing }) for tests.
 */
export const CLIENT_SCRIPT = `(function () {
'use strict';
var data = JSON.parse(document.getElementById('report-data').textContent);
var COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
var charts = [];
var xs = [];
for (var i = 0; i < data.points; i++) xs.push((data.start + i * data.bucketMs) / 1000);

function $(id) { return document.getElementById(id); }
function el(tag, text, cls) {
  var e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function usd(v) {
  if (v === 0) return '$0';
  if (Math.abs(v) >= 100) return '$' + v.toFixed(0);
  if (Math.abs(v) >= 1) return '$' + v.toFixed(2);
  return '$' + v.toPrecision(3);
}
function pct(v) { return (v * 100).toFixed(v >= 0.1 || v === 0 ? 0 : 1) + '%'; }
function ms(v) { return v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 0 : 1) + ' s' : Math.round(v) + ' ms'; }
function duration(v) {
  var units = [[86400000, 'd'], [3600000, 'h'], [60000, 'min'], [1000, 's']];
  for (var i = 0; i < units.length; i++) if (v >= units[i][0] && v % units[i][0] === 0) return v / units[i][0] + ' ' + units[i][1];
  return v + ' ms';
}

var picker = $('tenant');
picker.appendChild(new Option('All tenants (' + data.tenants.length + ')', ''));
data.tenants.forEach(function (t, i) { picker.appendChild(new Option(t.name, String(i))); });
picker.addEventListener('change', function () {
  show(picker.value === '' ? data.all : data.tenants[Number(picker.value)]);
});
$('meta').textContent = data.records.toLocaleString('en') + ' records, ' + data.tenants.length + ' tenants, ' +
  data.points + ' buckets of ' + duration(data.bucketMs) + ' (at most ' + data.maxPoints + ' points a series); generated ' +
  new Date(data.generatedAt).toISOString();

function chart(id, series, values, format) {
  var box = document.querySelector('#' + id + ' .chart');
  box.textContent = '';
  if (xs.length === 0) { box.appendChild(el('p', 'No records.', 'note')); return; }
  var opts = {
    width: Math.max(320, box.clientWidth || 560),
    height: 220,
    series: [{}].concat(series.map(function (s, i) {
      return { label: s.label, stroke: s.color || COLORS[i % COLORS.length], width: 1.5, dash: s.dash, spanGaps: false,
        value: function (u, v) { return v == null ? '-' : format(v); } };
    })),
    axes: [{}, { size: 70, values: function (u, vs) { return vs.map(format); } }],
    scales: { y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.05 : 1]; } } },
  };
  charts.push(new uPlot(opts, [xs].concat(values), box));
}

function tile(label, value, detail) {
  var t = el('div', undefined, 'tile');
  t.appendChild(el('span', label, 'label'));
  t.appendChild(el('strong', value));
  if (detail) t.appendChild(el('span', detail, 'detail'));
  $('tiles').appendChild(t);
}

function table(id, head, rows) {
  var box = $(id);
  box.textContent = '';
  if (rows.length === 0) { box.appendChild(el('p', 'None.', 'note')); return; }
  var t = el('table');
  var tr = el('tr');
  head.forEach(function (h) { tr.appendChild(el('th', h)); });
  t.appendChild(tr);
  rows.forEach(function (r) {
    var row = el('tr');
    r.forEach(function (cell) {
      var td = el('td');
      if (cell && typeof cell === 'object') {
        var bar = el('span', undefined, 'bar');
        bar.style.width = Math.round(cell.share * 100) + '%';
        td.appendChild(bar);
        td.appendChild(el('span', cell.text));
      } else td.textContent = String(cell);
      row.appendChild(td);
    });
    t.appendChild(row);
  });
  box.appendChild(t);
}

function chainText(c) {
  if (c.status === 'ok') return ['intact', c.records.toLocaleString('en') + ' chained records verified', 'ok'];
  if (c.status === 'unchained') return ['not chained', 'records carry no hash (audit: { chain: true } was off)', 'muted'];
  if (c.status === 'mixed') return ['partly chained', c.reason, 'muted'];
  if (c.status === 'unverified') return ['not verified', c.reason, 'bad'];
  return ['broken at record ' + c.position.toLocaleString('en'), c.requestId + ': ' + c.reason, 'bad'];
}

function show(v) {
  charts.forEach(function (c) { c.destroy(); });
  charts = [];
  $('tiles').textContent = '';
  $('view').textContent = v.name;
  tile('Calls', v.calls.toLocaleString('en'), v.success.toLocaleString('en') + ' succeeded');
  tile('Denied', v.denied.toLocaleString('en'), v.failed.toLocaleString('en') + ' failed');
  tile('Spend', usd(v.costUsd), v.budget ? 'budget ' + usd(v.budget.limitUsd) + ' a ' + v.budget.period : 'no budget given');
  tile('Cache hit rate', v.success > 0 ? pct(v.cached / v.success) : '-', v.cached.toLocaleString('en') + ' cached answers');
  var c = chainText(v.chain);
  tile('Audit chain', c[0], c[1]);
  $('tiles').lastChild.classList.add(c[2]);

  var s = v.series;
  var spendSeries = [{ label: v.budget ? 'spend this ' + v.budget.period : 'cumulative spend', color: '#2563eb' }];
  var spendValues = [s.spend];
  if (v.budget) {
    spendSeries.push({ label: 'budget', color: '#dc2626', dash: [6, 4] });
    spendValues.push(xs.map(function () { return v.budget.limitUsd; }));
  }
  chart('spend', spendSeries, spendValues, usd);
  $('spend-note').textContent = v.budget
    ? 'Spend since the start of each ' + v.budget.period + ' (UTC), against the ' + usd(v.budget.limitUsd) + ' limit.' +
      (v.coarseBudget ? ' Buckets are as long as the period or longer: a point may add up several periods.' : '')
    : 'Cumulative spend over the log. ' + (v === data.all ? 'Budgets are per tenant: pick one.' : 'No budget given for this tenant (pass budgets to renderReport).');

  var codes = Object.keys(s.codes);
  chart('calls', [{ label: 'calls', color: '#4b5563' }].concat(codes.map(function (k, i) {
    return { label: k, color: COLORS[(i + 1) % COLORS.length] };
  })), [s.calls].concat(codes.map(function (k) { return s.codes[k]; })), function (n) { return String(Math.round(n * 10) / 10); });
  var lat = [{ label: 'p50', color: '#16a34a' }, { label: 'p95', color: '#ea580c' }, { label: 'p99', color: '#dc2626' }];
  chart('latency', lat, s.latency, ms);
  chart('ttft', lat, s.ttft, ms);
  chart('cache', [{ label: 'cache hit rate', color: '#9333ea' }], [s.cacheRate], pct);

  table('fallbacks', ['from', 'to', 'calls'], v.fallbacks.map(function (f) { return [f[0], f[1], f[2].toLocaleString('en')]; }));
  var calls = v.models.reduce(function (n, m) { return n + m[1]; }, 0) || 1;
  var cost = v.models.reduce(function (n, m) { return n + m[2]; }, 0) || 1;
  table('models', ['model', 'share of calls', 'share of cost', 'calls', 'cost'], v.models.map(function (m) {
    return [m[0], { share: m[1] / calls, text: pct(m[1] / calls) }, { share: m[2] / cost, text: pct(m[2] / cost) }, m[1].toLocaleString('en'), usd(m[2])];
  }));
  table('codes', ['code', 'calls'], Object.keys(v.codes).map(function (k) { return [k, v.codes[k].toLocaleString('en')]; }));
}

show(data.all);
window.routeplaneReport = { data: data, show: show, drawnAt: performance.now(), get charts() { return charts; } };
})();
`;
