// The ESM twin of smoke.cjs: the built ESM entry points, one call per provider.
import { createRouter } from 'routeplane';
import { createEmulator } from 'routeplane/testing';

const emu = await createEmulator();
const router = createRouter({
  providers: emu.providers,
  tenants: { a: { model: 'smoke-openai' }, b: { model: 'smoke-anthropic' }, c: { model: 'smoke-mistral' } },
  models: ['openai', 'anthropic', 'mistral'].map((provider) => ({
    id: `smoke-${provider}`,
    provider,
    pricing: { inputPerMTok: 1, outputPerMTok: 1 },
  })),
});
for (const tenant of ['a', 'b', 'c']) {
  const result = await router.complete({ tenant, messages: [{ role: 'user', content: 'ping' }] });
  if (!result.text) throw new Error(`no text from ${result.provider}`);
  console.log(`esm: ${result.provider} ok`);
}
await router.close();
await emu.close();
