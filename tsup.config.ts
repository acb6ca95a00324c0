import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'redis/index': 'src/redis/index.ts',
    'otel/index': 'src/otel/index.ts',
    'http/index': 'src/http/index.ts',
    'report/index': 'src/report/index.ts',
    'ai-sdk/index': 'src/ai-sdk/index.ts',
    'replay/index': 'src/replay/index.ts',
    // The `routeplane` command (package.json "bin"); its shebang makes tsup mark it executable.
    'cli/index': 'src/cli/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  treeshake: true,
  // routeplane/report reads uPlot's files relative to import.meta.url, in the CJS build too.
  shims: true,
});
