import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests and examples import the package by name, as users do; resolve it to the source.
    alias: [
      { find: /^routeplane\/testing$/, replacement: src('testing/index.ts') },
      { find: /^routeplane\/http$/, replacement: src('http/index.ts') },
      { find: /^routeplane\/ai-sdk$/, replacement: src('ai-sdk/index.ts') },
      { find: /^routeplane\/replay$/, replacement: src('replay/index.ts') },
      { find: /^routeplane\/report$/, replacement: src('report/index.ts') },
      { find: /^routeplane$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The cancellation matrix collects garbage between stream parts.
    execArgv: ['--expose-gc'],
  },
});
