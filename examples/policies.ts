/**
 * Tenant policies, side by side: tiers, regions (data residency), roles, a tenant's own
 * fine-tuned model, a traffic split, and why each call went where it went.
 *
 *   npx tsx examples/policies.ts
 *
 * Offline: every provider is the built-in emulator, and explain() calls no provider at all.
 */
import { createRouter, RouterError } from 'routeplane';
import { createEmulator } from 'routeplane/testing';

const emulator = await createEmulator();
const router = createRouter({
  providers: emulator.providers,
  defaults: { strategy: 'balanced', deniedModels: ['*-astra'] }, // nobody gets the priciest tier
  tiers: {
    free: { strategy: 'lowest_cost', maxCostPerRequest: 0.005 },
    enterprise: { strategy: 'max_reliability' },
  },
  tenants: {
    // An EU bank: data stays in the EU; analysts get everything allowed, viewers one small model.
    'eu-bank': {
      tier: 'enterprise',
      allowedRegions: ['eu'],
      roles: { viewer: { allowedModels: ['mistral-small-latest'] } },
      systemPrompt: 'You assist {{user}} at {{tenant}}. Never give investment advice.',
    },
    // A free-tier startup.
    startup: { tier: 'free' },
    // A support SaaS with its own fine-tune, moving 10% of its users to Claude.
    helpdesk: {
      model: 'support-ft',
      models: [
        {
          id: 'support-ft',
          provider: 'openai',
          model: 'ft:gpt-6.1-terra:helpdesk::v3',
          pricing: { inputPerMTok: 1.5, outputPerMTok: 6 },
        },
      ],
      split: [
        { model: 'support-ft', weight: 90 },
        { model: 'claude-sonnet-5-5', weight: 10 },
      ],
      fallbacks: ['claude-sonnet-5-5'],
    },
  },
});

const ask = [{ role: 'user' as const, content: 'Draft a short reply to a customer asking for a refund.' }];

for (const [tenant, role] of [
  ['eu-bank', 'analyst'],
  ['eu-bank', 'viewer'],
  ['startup', undefined],
] as const) {
  const d = await router.explain({ tenant, ...(role && { role }), user: 'u-1', messages: ask });
  console.log(`${tenant}${role ? ` (${role})` : ''}: ${d.strategy} → ${d.chosen}`);
  console.log(
    `  fallbacks: ${
      d.candidates
        .slice(1, 4)
        .map((c) => c.model)
        .join(', ') || 'none'
    }`,
  );
  const reasons = new Map<string, number>();
  for (const e of d.excluded) {
    const reason = e.reason.replace(/cost \$[\d.]+ is/, 'cost is'); // group by reason, not amount
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  for (const [reason, n] of reasons) console.log(`  excluded ${n}: ${reason}`);
}

// The split is sticky per user: each user always lands on the same arm.
const arms = new Map<string, number>();
for (let i = 0; i < 1_000; i++) {
  const d = await router.explain({ tenant: 'helpdesk', user: `user-${i}`, messages: ask });
  arms.set(d.chosen!, (arms.get(d.chosen!) ?? 0) + 1);
}
console.log(`helpdesk split over 1,000 users: ${[...arms].map(([m, n]) => `${m} ${n / 10}%`).join(', ')}`);

// The fine-tune is the tenant's own: the call reaches its upstream name.
const answer = await router.complete({
  tenant: 'helpdesk',
  user: 'user-0',
  forceModel: 'support-ft',
  messages: ask,
});
console.log(`helpdesk answered by ${answer.model} (upstream ${emulator.requests.at(-1)?.model})`);

// A forced model outside the tenant's region is denied, never swapped.
try {
  await router.complete({ tenant: 'eu-bank', forceModel: 'gpt-6.2-sol', messages: ask });
} catch (error) {
  if (RouterError.isInstance(error))
    console.log(`eu-bank forcing gpt-6.2-sol: ${error.code}: ${error.message}`);
}

await router.close();
await emulator.close();
