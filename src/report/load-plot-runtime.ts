/**
 * Lazy loader of the plotting libraries (~0.8 MB of d3 + Plot + linkedom): no other command pays their
 * start-up. The build bundles them into dist/report/plot-runtime.bundle.mjs (one file loads ~3× faster than
 * the ~40 modules); from the sources (tsx, tests) the module itself is imported.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importModule } from '../core/import-module.js';

export type PlotRuntime = typeof import('./plot-runtime.js');

let runtime: Promise<PlotRuntime> | null = null;

export function loadPlotRuntime(): Promise<PlotRuntime> {
  if (!runtime) {
    // From dist/cli/cellcoloc.bundle.mjs and dist/report/*.js alike, the bundle is ../report/ relative.
    const bundled = new URL('../report/plot-runtime.bundle.mjs', import.meta.url);
    // A non-literal specifier keeps esbuild from inlining the libraries into the CLI bundle.
    const source = './plot-runtime.js';
    // importModule: the CLI's code-cached CommonJS bundle has no import() of its own (core/import-module.ts)
    runtime = existsSync(fileURLToPath(bundled)) ? importModule<PlotRuntime>(bundled.href) : (import(source) as Promise<PlotRuntime>);
  }
  return runtime;
}
