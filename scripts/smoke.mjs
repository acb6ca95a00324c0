// The ESM twin of smoke.cjs: the built ESM entry points, one call per provider.
import * as routeplane from 'routeplane';
import { replayAudit } from 'routeplane/replay';
import * as testing from 'routeplane/testing';
import routeOnePerProvider from './smoke-route.cjs';

await routeOnePerProvider('esm', routeplane, testing);

// routeplane/replay answers for a router built by the main entry (another bundle).
const router = routeplane.createRouter({
  providers: { openai: { apiKey: 'unused' } },
  tenants: { acme: {} },
});
const replayed = await replayAudit([], router);
await router.close();
if (replayed.calls !== 0) throw new Error('routeplane/replay: an empty log replayed to calls');
console.log('esm: routeplane/replay ok');
