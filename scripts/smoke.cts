// smoke.cjs as a TypeScript CommonJS module (.cts), the file type that tsx runs through
// Node's ESM loader: there, the CJS build's require() calls must not reach an ESM-only
// package. Run by scripts/smoke-cjs.mjs with the tsx CLI (`node --import tsx` loads a .cts
// the same way).
import routeplane = require('routeplane');
import testing = require('routeplane/testing');
import http = require('routeplane/http');
import aiSdk = require('routeplane/ai-sdk');
import routeOnePerProvider = require('./smoke-route.cjs');

// The repo's tsconfig `paths` map 'routeplane' to src/; tsx must have been kept from that.
if (!/dist[\\/]index\.cjs$/.test(require.resolve('routeplane')))
  throw new Error(`routeplane resolved to ${require.resolve('routeplane')}, not the build`);

if (aiSdk.aiSdkModel({} as never, { tenant: 'smoke' }).specificationVersion !== 'v3')
  throw new Error('routeplane/ai-sdk did not load');

const label: string = `cts (${process.argv[2] ?? 'tsx'})`;
routeOnePerProvider(label, routeplane, testing, http).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
