/**
 * The report in a real browser: Debian's chromium (CI installs it with apt), driven by
 * playwright-core, no browser download. Without chromium the tests are skipped, unless
 * REQUIRE_CHROMIUM=1 (as in CI), which makes a missing browser a failure. CHROMIUM_PATH
 * names another binary.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/index.js';
import { generateAuditRecords, HOSTILE_TENANT } from '../support/audit-records.js';

function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const path of candidates) if (path && existsSync(path)) return path;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const executablePath = findChromium();
if (!executablePath) {
  const message = 'chromium not found (apt-get install chromium, or set CHROMIUM_PATH)';
  if (process.env.REQUIRE_CHROMIUM === '1') throw new Error(`REQUIRE_CHROMIUM=1: ${message}`);
  console.warn(`report.browser.test.ts: skipped: ${message}`);
}

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const records = [
  ...generateAuditRecords({ records: 6000, chain: true, tenants: ['acme', 'globex', HOSTILE_TENANT] }),
];
const html = renderReport(records, {
  title: `Report for ${HOSTILE_TENANT}`,
  budgets: { acme: { limitUsd: 30, period: 'day' } },
  now: () => Date.UTC(2026, 10, 10),
});

interface Loaded {
  page: Page;
  errors: string[];
  requests: string[];
}

describe.skipIf(!executablePath)('the report in Chromium', () => {
  let browser: Browser;
  let loaded: Loaded;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.setContent(html, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelectorAll('.uplot canvas').length === 5);
    loaded = { page, errors, requests };
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('loads with no console error and makes no network request', () => {
    expect(loaded.errors).toEqual([]);
    expect(loaded.requests).toEqual([]);
  });

  it('draws every chart with points on a canvas of non-zero size', async () => {
    const charts = await loaded.page.evaluate(() => {
      const report = (
        window as unknown as { routeplaneReport: { charts: { data: unknown[][]; root: HTMLElement }[] } }
      ).routeplaneReport;
      return report.charts.map((u) => {
        const canvas = u.root.querySelector('canvas')!;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) inked++;
        return {
          id: u.root.parentElement!.parentElement!.id,
          width: canvas.width,
          height: canvas.height,
          points: u.data
            .slice(1)
            .map((s) => (s as (number | null)[]).filter((v) => v !== null && v > 0).length),
          inked,
        };
      });
    });
    expect(charts.map((c) => c.id)).toEqual(['spend', 'calls', 'latency', 'ttft', 'cache']);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(Math.min(...c.points), c.id).toBeGreaterThan(10);
      expect(c.inked, c.id).toBeGreaterThan(1000);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    await loaded.page.screenshot({ path: `${ARTIFACTS}report.png`, fullPage: true });
  });

  it('switches every figure to the tenant picked, with its budget line', async () => {
    const { page } = loaded;
    const figures = () =>
      page.evaluate(() => {
        const report = (window as unknown as { routeplaneReport: { charts: { data: number[][] }[] } })
          .routeplaneReport;
        return {
          tiles: document.getElementById('tiles')!.textContent,
          models: document.getElementById('models')!.textContent,
          spendSeries: report.charts[0]!.data.length - 1,
          calls: report.charts[1]!.data[1]!.reduce((n, v) => n + v, 0),
        };
      });
    const all = await figures();
    await page.selectOption('#tenant', { label: 'acme' });
    const acme = await figures();
    expect(acme.tiles).not.toBe(all.tiles);
    expect(acme.models).not.toBe(all.models);
    expect(acme.calls).toBeLessThan(all.calls);
    expect(acme.calls).toBe(records.filter((r) => r.tenant === 'acme').length);
    expect(all.spendSeries).toBe(1);
    expect(acme.spendSeries).toBe(2); // spend and the budget line
    expect(acme.tiles).toContain('budget $30.00 a day');
    expect(acme.tiles).toContain('intact');
    expect(loaded.errors).toEqual([]);
  });

  it('shows a tenant id that is markup as text, and runs none of it', async () => {
    const { page } = loaded;
    await page.selectOption('#tenant', { label: HOSTILE_TENANT });
    const seen = await page.evaluate(() => ({
      view: document.getElementById('view')!.textContent,
      heading: document.querySelector('h1')!.textContent,
      title: document.title,
      images: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      options: [...document.querySelectorAll('#tenant option')].map((o) => o.textContent),
    }));
    expect(seen.view).toBe(HOSTILE_TENANT);
    expect(seen.options).toContain(HOSTILE_TENANT);
    expect(seen.heading).toBe(`Report for ${HOSTILE_TENANT}`);
    expect(seen.images).toBe(0);
    expect(seen.scripts).toBe(3);
    expect(seen.pwned).toBeUndefined();
    expect(loaded.errors).toEqual([]);
  });
});
