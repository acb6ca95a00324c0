// Shared by the smoke consumers: routes one call to each provider through the emulator, with
// the `routeplane` and `routeplane/testing` modules the consumer loaded itself (so each
// consumer proves its own way of loading the package, the peer SDKs included).
module.exports = async function routeOnePerProvider(
  label,
  { createRouter, RouterError },
  { createEmulator },
  http,
) {
  if (typeof RouterError.isInstance !== 'function') throw new Error(`${label}: RouterError export missing`);
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
  try {
    for (const tenant of ['a', 'b', 'c']) {
      const result = await router.complete({ tenant, messages: [{ role: 'user', content: 'ping' }] });
      if (!result.text) throw new Error(`${label}: no text from ${result.provider}`);
      console.log(`${label}: ${result.provider} ok`);
    }
    // routeplane/http: one chat completion through the fetch handler, in OpenAI's format.
    if (http) {
      const handler = http.createHandler(router, { tenantOf: () => 'a' });
      const response = await handler(
        new Request('http://smoke.test/v1/chat/completions', {
          method: 'POST',
          body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'ping' }] }),
        }),
      );
      const body = await response.json();
      if (response.status !== 200 || body.object !== 'chat.completion')
        throw new Error(`${label}: routeplane/http answered ${response.status} ${JSON.stringify(body)}`);
      console.log(`${label}: routeplane/http ok`);
    }
  } finally {
    await router.close();
    await emu.close();
  }
};
