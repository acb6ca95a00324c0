/**
 * Quickstart: three tenants, three policies, one router.
 *
 *   npm install && npm run demo
 *
 * Runs offline on the built-in provider emulator. Set OPENAI_API_KEY, ANTHROPIC_API_KEY
 * and/or MISTRAL_API_KEY to send that provider's calls to the real API instead.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRouter, type RouterConfig } from 'routeplane';
import { createEmulator } from 'routeplane/testing';

const emulator = await createEmulator({ latencyMs: 25, perTokenMs: 1 });

// Each provider goes to the real API when its key is set, else to the emulator.
const keys = {
  openai: process.env.OPENAI_API_KEY,
  anthropic: process.env.ANTHROPIC_API_KEY,
  mistral: process.env.MISTRAL_API_KEY,
} as const;
const providers: RouterConfig['providers'] = {
  openai: keys.openai ? { apiKey: keys.openai } : emulator.providers.openai,
  anthropic: keys.anthropic ? { apiKey: keys.anthropic } : emulator.providers.anthropic,
  mistral: keys.mistral ? { apiKey: keys.mistral } : emulator.providers.mistral,
};

const router = createRouter({
  providers,
  tenants: {
    // A legal-tech tenant that contracted for Claude, and only Claude.
    acme: { strategy: 'force_model', model: 'claude-sonnet-5-5' },
    // A free-tier tenant: the cheapest model that does the job.
    globex: { strategy: 'lowest_cost' },
    // A tenant that wants quality at a fair price, never above 2 cents a request.
    initech: { strategy: 'balanced', maxCostPerRequest: 0.02 },
  },
  defaultMaxTokens: 1024,
  audit: { chain: true },
});

// The audit log: one JSON line per call, for `routeplane report` and `routeplane replay`.
const auditLog = join(tmpdir(), 'routeplane-demo-audit.jsonl');
writeFileSync(auditLog, '');
let audited = 0;
router.on('audit', (record) => {
  appendFileSync(auditLog, `${JSON.stringify(record)}\n`);
  audited++;
});

const prompts = [
  'Summarize the main obligations in a standard mutual NDA in three bullet points.',
  'Write a one-line product description for a noise-cancelling headset.',
];

const rows: string[][] = [];
for (const tenant of ['acme', 'globex', 'initech']) {
  for (const prompt of prompts) {
    const result = await router.complete({
      tenant,
      user: 'demo-user',
      messages: [{ role: 'user', content: prompt }],
    });
    rows.push([
      tenant,
      result.model,
      result.provider,
      `${result.usage.inputTokens}/${result.usage.outputTokens}`,
      `$${result.costUsd.toFixed(6)}`,
      `${Math.round(result.latencyMs)} ms`,
    ]);
  }
}

const sources = Object.entries(keys)
  .map(([name, key]) => `${name}: ${key ? 'real API' : 'emulator'}`)
  .join(', ');
console.log(`routeplane quickstart (${sources})\n`);
printTable(['tenant', 'model', 'provider', 'tokens in/out', 'cost', 'latency'], rows);
console.log('(the first call also waits for the provider SDKs to finish loading: once per process)');

// Why initech got its model: the decision, without calling any provider.
const decision = await router.explain({
  tenant: 'initech',
  messages: [{ role: 'user', content: prompts[0]! }],
});
console.log(`\ninitech (${decision.strategy}, cap $0.02): chose ${decision.chosen}; runners-up:`);
for (const c of decision.candidates.slice(1, 4))
  console.log(`  ${c.model} (${c.provider}) score ${c.score.toFixed(3)}, est. $${c.estCostUsd.toFixed(4)}`);
const overCap = decision.excluded.filter((e) => e.reason.includes('cap')).map((e) => e.model);
console.log(`  over the cap: ${overCap.join(', ')}`);

// Streaming: the same routing, token by token.
const stream = router.stream({
  tenant: 'globex',
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
});
process.stdout.write('\nglobex streams: ');
for await (const part of stream) if (part.type === 'text') process.stdout.write(part.text);
const final = await stream.result;
console.log(`\n  (${final.model}, first token after ${Math.round(final.ttftMs ?? 0)} ms)`);

await router.close();
await emulator.close();

console.log(`\naudit log: ${auditLog} (${audited} records). From the repository:`);
console.log(`  npm run cli -- report ${auditLog} -o report.html`);
console.log(`  npm run cli -- replay ${auditLog} --config examples/cheaper.config.mjs`);

function printTable(header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(line(row));
}
