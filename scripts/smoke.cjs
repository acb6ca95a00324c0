// Loads the built CommonJS entry points, as a CJS user would, and routes one call to each
// provider through the emulator: proves the CJS build can load every SDK, the ESM-only
// Mistral SDK included.
const { createRouter, RouterError } = require('routeplane');
const { createEmulator } = require('routeplane/testing');

(async () => {
  const emu = await createEmulator();
  const router = createRouter({
    providers: emu.providers,
    tenants: {
      a: { model: 'smoke-openai' },
      b: { model: 'smoke-anthropic' },
      c: { model: 'smoke-mistral' },
    },
    models: ['openai', 'anthropic', 'mistral'].map((provider) => ({
      id: `smoke-${provider}`,
      provider,
      pricing: { inputPerMTok: 1, outputPerMTok: 1 },
    })),
  });
  for (const tenant of ['a', 'b', 'c']) {
    const result = await router.complete({ tenant, messages: [{ role: 'user', content: 'ping' }] });
    if (!result.text) throw new Error(`no text from ${result.provider}`);
    console.log(`cjs: ${result.provider} ok`);
  }
  if (typeof RouterError.isInstance !== 'function') throw new Error('RouterError export missing');
  await router.close();
  await emu.close();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
