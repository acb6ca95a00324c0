import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from 'routeplane';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'routeplane-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command from source, as `npx routeplane` runs the build. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'src/cli/index.ts', ...args],
      { env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const t0 = Date.UTC(2026, 10, 23, 9);
const record = (i: number): AuditRecord => ({
  requestId: `req-${i}`,
  timestamp: t0 + i * 1000,
  tenant: i % 2 ? 'acme' : 'globex',
  outcome: 'success',
  model: 'claude-sonnet-5-5',
  provider: 'anthropic',
  usage: { inputTokens: 500, outputTokens: 200, totalTokens: 700 },
  costUsd: 0.003,
  latencyMs: 100,
  cached: false,
  attempts: [],
  fallbacks: [],
  stream: false,
  features: { inputTokens: 2000, maxTokensSent: 1024 },
});
const log = join(dir, 'audit.jsonl');
writeFileSync(log, `${Array.from({ length: 20 }, (_, i) => JSON.stringify(record(i))).join('\n')}\n`);
const bad = join(dir, 'bad.jsonl');
writeFileSync(bad, `${JSON.stringify(record(0))}\n\n${JSON.stringify(record(1))}\n{"tenant": "acme",\n`);
const config = join(dir, 'proposed.config.mjs');
writeFileSync(
  config,
  `export default {
  providers: { openai: { apiKey: 'unused' }, anthropic: { apiKey: 'unused' }, mistral: { apiKey: 'unused' } },
  tenants: { acme: { strategy: 'lowest_cost' }, globex: { strategy: 'force_model', model: 'claude-sonnet-5-5', budget: { limitUsd: 0.02, period: 'day' } } },
};
`,
);

describe('routeplane command', () => {
  it('prints help for itself and each verb with exit 0, and usage errors with exit 2', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/replay <audit\.jsonl>/);
    expect(top.stdout).toMatch(/report <audit\.jsonl>/);
    const replay = await cli('replay', '--help');
    expect(replay).toMatchObject({ code: 0 });
    expect(replay.stdout).toMatch(/--config FILE/);
    const report = await cli('report', '--help');
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/-o, --out FILE/);
    expect((await cli()).code).toBe(2);
    expect((await cli('frobnicate')).stderr).toMatch(/unknown command 'frobnicate'/);
    expect((await cli('replay', log)).stderr).toMatch(/--config is required/);
    expect((await cli('replay', log, '--config', config, '--bogus')).code).toBe(2);
  }, 60_000);

  it('names a missing file and the line of a malformed record, with exit 1', async () => {
    const missing = await cli('replay', join(dir, 'nope.jsonl'), '--config', config);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.jsonl: no such file');
    const malformed = await cli('replay', bad, '--config', config);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('bad.jsonl:4: not a JSON record');
    const noConfig = await cli('replay', log, '--config', join(dir, 'none.mjs'));
    expect(noConfig).toMatchObject({ code: 1 });
    expect(noConfig.stderr).toContain('none.mjs: no such file');
  }, 60_000);

  it('replays to an aligned table, to JSON that parses, and to an HTML file', async () => {
    const table = await cli('replay', log, '--config', config);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^tenant\s+calls\s+baseline\s+proposed\s+change/);
    expect(lines.find((l) => l.startsWith('acme'))).toMatch(/claude-sonnet-5-5→ministral-8b-latest×10/);
    // Aligned: every row's "calls" column ends where the header's does.
    const end = lines[0]!.indexOf('calls') + 'calls'.length;
    for (const line of lines.filter((l) => /^(acme|globex|total) /.test(l)))
      expect(line[end - 1]).toMatch(/\d/);
    expect(table.stdout).not.toContain('\x1b[');

    const json = await cli('replay', log, '--config', config, '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.calls).toBe(20);
    const globex = report.byTenant.find((t: { tenant: string }) => t.tenant === 'globex');
    expect(globex.newDenials[0].code).toBe('budget_exceeded');

    const html = join(dir, 'replay.html');
    const page = await cli('replay', log, '--config', config, '--html', html);
    expect(page.code).toBe(0);
    const text = readFileSync(html, 'utf8');
    expect(text).toMatch(/^<!doctype html>/);
    expect(text).toContain('budget_exceeded');
    expect(text).not.toMatch(/<script|https?:\/\//);
  }, 60_000);

  it('renders the report of a log, with the budget lines of a config', async () => {
    const out = join(dir, 'report.html');
    const done = await cli('report', log, '-o', out, '--config', config);
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('20 records');
    const page = readFileSync(out, 'utf8');
    expect(page).toMatch(/^<!doctype html>/i);
    expect(page).toContain('"budget":{"limitUsd"');
    const missing = await cli('report', join(dir, 'none.jsonl'), '-o', out);
    expect(missing.code).toBe(1);
  }, 60_000);
});
