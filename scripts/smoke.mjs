// The ESM twin of smoke.cjs: the built ESM entry points, one call per provider.
import * as routeplane from 'routeplane';
import * as http from 'routeplane/http';
import { renderReport } from 'routeplane/report';
import * as testing from 'routeplane/testing';
import routeOnePerProvider from './smoke-route.cjs';

await routeOnePerProvider('esm', routeplane, testing, http);
if (!renderReport([]).includes('var uPlot=')) throw new Error('esm: routeplane/report did not inline uPlot');
console.log('esm: report ok');
