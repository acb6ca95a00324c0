/**
 * Data residency with deployments: one model id, served from several places. An EU tenant
 * is served by Claude on Amazon Bedrock in the EU and by GPT on Azure OpenAI in the EU; a US
 * tenant uses the direct APIs. The tenant's `allowedRegions` selects deployments, so the EU
 * tenant never reaches a US endpoint, even when an EU deployment fails.
 *
 *   npx tsx examples/residency.ts
 *
 * Runs offline on the built-in provider emulator (it needs `@anthropic-ai/bedrock-sdk`
 * installed, as a real Bedrock deployment would).
 */
import { createRouter, RouterError } from 'routeplane';
import { createEmulator } from 'routeplane/testing';

const emulator = await createEmulator({ latencyMs: 5 });
const { openai, anthropic, azure, bedrock } = emulator.providers;
if (!bedrock) {
  console.log('This example routes Claude through Bedrock: npm install @anthropic-ai/bedrock-sdk');
  await emulator.close();
  process.exit(0);
}

const router = createRouter({
  providers: {
    // The direct APIs serve from the US; each entry's `region` is its deployments' default.
    openai: { ...openai, region: 'us' },
    anthropic: { ...anthropic, region: 'us' },
    // In production: { type: 'anthropic-bedrock', awsRegion: 'eu-central-1', region: 'eu' }
    // (AWS credentials from the default chain), and { type: 'azure-openai', endpoint, apiKey }.
    'bedrock-eu': { ...bedrock, region: 'eu' },
    'azure-eu': { ...azure, region: 'eu' },
  },
  models: [
    // Built-in ids, extended with deployments (no pricing needed: the catalog's applies).
    {
      id: 'claude-sonnet-5-5',
      deployments: [
        { provider: 'anthropic' },
        { provider: 'bedrock-eu', model: 'eu.anthropic.claude-sonnet-5-5-v1:0' },
      ],
    },
    {
      id: 'gpt-6.2-sol',
      deployments: [
        { provider: 'openai' },
        // On Azure the upstream model is your deployment's name.
        { provider: 'azure-eu', model: 'sol-eu-prod' },
      ],
    },
  ],
  tenants: {
    'eu-health': {
      allowedRegions: ['eu'],
      allowedModels: ['claude-sonnet-5-5', 'gpt-6.2-sol'],
      strategy: 'force_model',
      model: 'claude-sonnet-5-5',
      fallbacks: ['gpt-6.2-sol'],
    },
    'us-retail': { allowedModels: ['claude-sonnet-5-5', 'gpt-6.2-sol'], strategy: 'lowest_cost' },
  },
  retry: { retries: 0 },
});

const ask = async (tenant: string) => {
  try {
    const r = await router.complete({
      tenant,
      messages: [{ role: 'user', content: 'Where are you served from?' }],
    });
    console.log(`${tenant.padEnd(10)} → ${r.model.padEnd(18)} on ${r.deployment.padEnd(10)} (${r.region})`);
  } catch (error) {
    if (!RouterError.isInstance(error)) throw error;
    console.log(`${tenant.padEnd(10)} → ${error.code}: ${error.message}`);
  }
};

console.log('— normal traffic');
await ask('eu-health');
await ask('us-retail');

console.log('— Bedrock EU fails (503): the EU tenant falls back to GPT on Azure EU, never to a US endpoint');
emulator.fail('eu.anthropic.claude-sonnet-5-5-v1:0', { status: 503 });
await ask('eu-health');

console.log('— explain(): each deployment, and why the EU tenant may not use it');
const decision = await router.explain({ tenant: 'eu-health', messages: [{ role: 'user', content: 'hi' }] });
for (const candidate of decision.candidates) {
  for (const d of candidate.deployments ?? []) {
    const status = d.available ? 'available' : d.reason;
    console.log(`  ${candidate.model.padEnd(18)} ${d.provider.padEnd(10)} ${d.region ?? '?'}  ${status}`);
  }
}

const upstreams = new Set(
  emulator.requests.filter((r) => r.apiKey !== undefined).map((r) => `${r.provider}:${r.model}`),
);
console.log(`requests the providers saw: ${[...upstreams].join(', ')}`);

await router.close();
await emulator.close();
