// The ESM twin of smoke.cjs: the built ESM entry points, one call per provider.
import * as routeplane from 'routeplane';
import { aiSdkModel } from 'routeplane/ai-sdk';
import * as http from 'routeplane/http';
import { renderReport } from 'routeplane/report';
import * as testing from 'routeplane/testing';
import routeOnePerProvider from './smoke-route.cjs';

await routeOnePerProvider('esm', routeplane, testing, http);
if (!renderReport([]).includes('var uPlot=')) throw new Error('esm: routeplane/report did not inline uPlot');
console.log('esm: report ok');
const model = aiSdkModel({}, { tenant: 'smoke' });
if (model.specificationVersion !== 'v3') throw new Error('esm: routeplane/ai-sdk did not load');
console.log('esm: routeplane/ai-sdk ok');
