// Run in a child process with some provider SDKs hidden or slow to import (see
// hide-packages.mjs): prints, as JSON, what a call, router.ready() and a stream report, how
// many requests reached the emulator, and the audit's error codes and attempt latencies.
import { type AuditRecord, createRouter, RouterError } from '../../src/index.js';
import { createEmulator } from '../../src/testing/index.js';

const emu = await createEmulator();
// The three direct APIs only: the Bedrock and Vertex SDKs need @anthropic-ai/sdk too, and
// would add their own entries to the error when it is hidden.
const { openai, anthropic, mistral } = emu.providers;
const router = createRouter({
  providers: { openai, anthropic, mistral },
  tenants: { acme: { model: 'claude-sonnet-5-5' }, globex: { model: 'gpt-6.2-sol' } },
});
const audits: AuditRecord[] = [];
router.on('audit', (record) => audits.push(record));
const outcome = async (run: () => Promise<unknown>) => {
  try {
    await run();
    return 'ok';
  } catch (error) {
    return RouterError.isInstance(error) ? { code: error.code, message: error.message } : String(error);
  }
};
const messages = [{ role: 'user' as const, content: 'Hello' }];
const report = {
  call: await outcome(() => router.complete({ tenant: 'acme', messages })),
  ready: await outcome(() => router.ready()),
  stream: await outcome(() => router.stream({ tenant: 'globex', messages }).result),
  requests: emu.requests.length,
  attemptLatencyMs: audits.flatMap((a) => a.attempts.map((attempt) => Math.round(attempt.latencyMs))),
  audits: audits.map((a) => a.errorCode),
};
console.log(JSON.stringify(report));
await router.close();
await emu.close();
