/**
 * routeplane behind the Vercel AI SDK (`ai` 6): generateText, streamText and a tool round
 * trip, each call routed by its tenant's policy, and a policy denial as an APICallError.
 *
 *   npx tsx examples/ai-sdk.ts
 *
 * Runs offline on the built-in provider emulator (`npm install ai` for your own app).
 */
import { APICallError, generateText, stepCountIs, streamText, tool } from 'ai';
import { createRouter } from 'routeplane';
import { aiSdkModel } from 'routeplane/ai-sdk';
import { createEmulator } from 'routeplane/testing';
import { z } from 'zod';

const emulator = await createEmulator();
const router = createRouter({
  providers: emulator.providers,
  tenants: {
    acme: { strategy: 'force_model', model: 'claude-sonnet-5-5' },
    globex: { strategy: 'lowest_cost', roles: { intern: { allowedModels: ['ministral-8b-latest'] } } },
  },
});

// One model object; the tenant's policy picks the real model on every call.
const model = aiSdkModel(router, { tenant: 'acme', user: 'u-42' });

const { text, usage, providerMetadata } = await generateText({ model, prompt: 'Say hello.' });
const route = providerMetadata?.routeplane;
console.log(
  `acme → ${route?.model} on ${route?.provider}: "${text}" (${usage.totalTokens} tokens, $${route?.costUsd})`,
);

// Another tenant for one call: providerOptions.routeplane wins over the model's options.
const stream = streamText({
  model,
  prompt: 'Stream a short greeting.',
  providerOptions: { routeplane: { tenant: 'globex', maxCost: 0.01 } },
});
let streamed = '';
for await (const delta of stream.textStream) streamed += delta;
console.log(`globex → ${(await stream.providerMetadata)?.routeplane?.model}: "${streamed}"`);

// Tools: the emulator asks for the weather once, then answers with text.
emulator.respond(
  'claude-sonnet-5-5',
  { toolCalls: [{ name: 'weather', arguments: { city: 'Paris' } }] },
  { text: 'It is sunny in Paris.' },
);
const withTools = await generateText({
  model,
  prompt: 'What is the weather in Paris?',
  tools: {
    weather: tool({
      description: 'The weather in a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => ({ city, sky: 'sunny' }),
    }),
  },
  stopWhen: stepCountIs(3),
});
console.log(`tools: ${withTools.steps.length} steps, "${withTools.text}"`);

// A policy denial is an APICallError (403, not retried: the router already did its best).
try {
  await generateText({
    model,
    prompt: 'Hi',
    providerOptions: { routeplane: { tenant: 'globex', role: 'intern', model: 'claude-sonnet-5-5' } },
  });
} catch (error) {
  if (!APICallError.isInstance(error)) throw error;
  console.log(`denied: ${error.statusCode} ${(error.data as { code: string }).code}: ${error.message}`);
}

await router.close();
await emulator.close();
