/**
 * An OpenAI-compatible gateway: routeplane behind `POST /v1/chat/completions`, served with
 * Node's `http`, called with the official `openai` client. Each API key is a tenant.
 *
 *   npx tsx examples/http-gateway.ts
 *
 * Runs offline on the built-in provider emulator.
 *
 * In Hono (or Bun, Deno, any fetch-style server) the same handler mounts as it is:
 *
 *   const app = new Hono();
 *   app.all('/v1/*', (c) => handler(c.req.raw));
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { createRouter } from 'routeplane';
import { createHandler, toNodeListener } from 'routeplane/http';
import { createEmulator } from 'routeplane/testing';

const emulator = await createEmulator();
const router = createRouter({
  providers: emulator.providers,
  tenants: {
    acme: { strategy: 'lowest_cost' },
    globex: { allowedModels: ['claude-sonnet-5-5'] },
  },
});

// The host decides who a request is for: here, a table of API keys.
const apiKeys = new Map([
  ['sk-gw-acme', 'acme'],
  ['sk-gw-globex', 'globex'],
]);
const handler = createHandler(router, {
  tenantOf: (request) => apiKeys.get(request.headers.get('authorization')?.replace(/^Bearer /, '') ?? ''),
});

const server = createServer(toNodeListener(handler)).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;

const acme = new OpenAI({ baseURL, apiKey: 'sk-gw-acme' });
const { data: answer, response } = await acme.chat.completions
  .create({ model: 'auto', messages: [{ role: 'user', content: 'Say hello in five words.' }] })
  .withResponse();
console.log(`acme (auto): ${answer.choices[0]?.message.content}`);
console.log(
  `  served by ${answer.model} on ${response.headers.get('x-routeplane-deployment')}, $${response.headers.get('x-routeplane-cost-usd')}`,
);

const stream = await acme.chat.completions.create({
  model: 'gpt-6.1-terra',
  messages: [{ role: 'user', content: 'Count to five.' }],
  stream: true,
  stream_options: { include_usage: true },
});
process.stdout.write('acme streams: ');
for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta.content ?? '');
  if (chunk.usage) process.stdout.write(`\n  (${chunk.usage.total_tokens} tokens on ${chunk.model})\n`);
}

// globex may use only Claude: another model is a 403, as the policy says.
const globex = new OpenAI({ baseURL, apiKey: 'sk-gw-globex', maxRetries: 0 });
try {
  await globex.chat.completions.create({
    model: 'gpt-6.1-terra',
    messages: [{ role: 'user', content: 'Hi' }],
  });
} catch (error) {
  if (error instanceof OpenAI.APIError)
    console.log(`globex asks for gpt-6.1-terra: ${error.status} ${error.code}`);
}
const models = await globex.models.list();
console.log(`globex may use: ${models.data.map((m) => m.id).join(', ')}`);

server.close();
await router.close();
await emulator.close();
