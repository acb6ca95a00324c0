// Run in a child process with some SDKs hidden (see hide-packages.mjs): prints, as JSON,
// which entries emu.providers has and whether a router on all of them answers.
import { createRouter } from '../../src/index.js';
import { createEmulator } from '../../src/testing/index.js';

const emu = await createEmulator();
const router = createRouter({ providers: emu.providers, tenants: { acme: { model: 'gpt-6.2-sol' } } });
let call = 'ok';
try {
  await router.ready();
  await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Hello' }] });
} catch (error) {
  call = String((error as Error).message);
}
console.log(JSON.stringify({ entries: Object.keys(emu.providers).sort(), call }));
await router.close();
await emu.close();
