import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** uPlot's script and stylesheet, read once from the installed `uplot` package. */
export interface ChartAssets {
  script: string;
  style: string;
}

let cached: ChartAssets | undefined;

/**
 * Reads `uplot/dist/uPlot.iife.min.js` and `uPlot.min.css` where Node resolves them from this
 * module (`uplot` has no `exports` map, so its files resolve by path), or else from the
 * working directory (an app bundled into one file, run from its project). In the CommonJS
 * build tsup's shim turns `import.meta.url` into this file's URL.
 */
export function chartAssets(): ChartAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const read = (file: string) => {
    try {
      const specifier = `uplot/dist/${file}`;
      let path: string;
      try {
        path = require.resolve(specifier);
      } catch {
        path = require.resolve(specifier, { paths: [process.cwd()] });
      }
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(
        `routeplane/report could not read uplot/dist/${file}: install routeplane's dependency 'uplot' (npm install uplot), or keep it external when bundling`,
        { cause: error },
      );
    }
  };
  cached = { script: read('uPlot.iife.min.js'), style: read('uPlot.min.css') };
  return cached;
}
