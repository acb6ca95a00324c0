// The ESM twin of smoke.cjs: the built ESM entry points, one call per provider.
import * as routeplane from 'routeplane';
import { aiSdkModel } from 'routeplane/ai-sdk';
import * as http from 'routeplane/http';
import { replayAudit } from 'routeplane/replay';
import { renderReport } from 'routeplane/report';
import * as testing from 'routeplane/testing';
import routeOnePerProvider from './smoke-route.cjs';

await routeOnePerProvider('esm', routeplane, testing, http);
if (!renderReport([]).includes('var uPlot=')) throw new Error('esm: routeplane/report did not inline uPlot');
console.log('esm: report ok');
const model = aiSdkModel({}, { tenant: 'smoke' });
if (model.specificationVersion !== 'v3') throw new Error('esm: routeplane/ai-sdk did not load');
console.log('esm: routeplane/ai-sdk ok');

// routeplane/replay answers for a router built by the main entry (another bundle).
const router = routeplane.createRouter({
  providers: { openai: { apiKey: 'unused' } },
  tenants: { acme: {} },
});
const replayed = await replayAudit([], router);
await router.close();
if (replayed.calls !== 0) throw new Error('routeplane/replay: an empty log replayed to calls');
console.log('esm: routeplane/replay ok');
