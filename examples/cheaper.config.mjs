// A proposed policy for `routeplane replay` (see examples/quickstart.ts): the demo's
// tenants on cheaper models, with a daily budget for the free tier. Replay calls no
// provider, so the keys are placeholders.
export default {
  providers: {
    openai: { apiKey: 'unused' },
    anthropic: { apiKey: 'unused' },
    mistral: { apiKey: 'unused' },
  },
  tenants: {
    acme: { strategy: 'force_model', model: 'claude-haiku-5-5' },
    globex: { strategy: 'lowest_cost', budget: { limitUsd: 0.0005, period: 'day' } },
    initech: { strategy: 'lowest_cost', maxCostPerRequest: 0.005 },
  },
  defaultMaxTokens: 1024,
};
