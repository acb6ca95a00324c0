// Loads the built CommonJS entry points, as a CJS user would, and routes one call to each
// provider through the emulator: proves the CJS build can load every SDK, the ESM-only
// Mistral SDK included. scripts/smoke-cjs.mjs runs it under plain node, under tsx and as an
// esbuild bundle; the label to print is its first argument.
const routeplane = require('routeplane');
const testing = require('routeplane/testing');
const http = require('routeplane/http');
const { aiSdkModel } = require('routeplane/ai-sdk');
const routeOnePerProvider = require('./smoke-route.cjs');
const { renderReport } = require('routeplane/report');

// The repo's tsconfig `paths` map 'routeplane' to src/; tsx must have been kept from that.
// (In the esbuild bundle, the runner checks what was bundled instead.)
if (!__filename.endsWith('.bundle.cjs') && !/dist[\\/]index\.cjs$/.test(require.resolve('routeplane')))
  throw new Error(`routeplane resolved to ${require.resolve('routeplane')}, not the build`);

if (aiSdkModel({}, { tenant: 'smoke' }).specificationVersion !== 'v3')
  throw new Error('routeplane/ai-sdk did not load');
if (!renderReport([]).includes('var uPlot=')) throw new Error('cjs: routeplane/report did not inline uPlot');

routeOnePerProvider(`cjs (${process.argv[2] ?? 'node'})`, routeplane, testing, http).catch((error) => {
  console.error(error);
  process.exit(1);
});
