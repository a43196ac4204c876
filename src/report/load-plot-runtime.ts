/**
 * Lazy loader of the plotting libraries (~0.8 MB of d3 + Plot + linkedom): no other command pays their
 * start-up. The build bundles them into one CommonJS file, dist/report/plot-runtime.bundle.cjs (one file loads
 * ~3× faster than the ~40 modules), and stores V8's code cache of it beside it (plot-runtime.bundle.v8cache:
 * the bytecode of the bundle's top level and of every function a warm-up render of each plot kind ran,
 * scripts/bundle-cli.mjs). The bundle is compiled with `vm.Script` and that cache — what node 22's
 * `module.enableCompileCache()` does for modules, which node 20 lacks — so that a report's fresh process neither
 * parses the libraries nor compiles the functions its plots call (on the 2048² bench run: ~65 → ~38 ms to load,
 * ~32 → ~18 ms for the first plots, main-thread CPU under load). A cache that V8 rejects (another node version
 * or V8 flags) is ignored: the bundle is then compiled from source, as without a cache. From the sources (tsx,
 * tests) the module itself is imported.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

export type PlotRuntime = typeof import('./plot-runtime.js');

/** The bundle and its code cache, relative to this module in dist/report/ and in the CLI's dist/cli/ alike. */
export const BUNDLE_FILE = 'plot-runtime.bundle.cjs';
export const CODE_CACHE_FILE = 'plot-runtime.bundle.v8cache';

let runtime: Promise<PlotRuntime> | null = null;

export function loadPlotRuntime(): Promise<PlotRuntime> {
  if (!runtime) {
    const bundled = fileURLToPath(new URL(`../report/${BUNDLE_FILE}`, import.meta.url));
    if (existsSync(bundled)) {
      runtime = Promise.resolve().then(() => {
        const cachePath = `${dirname(bundled)}/${CODE_CACHE_FILE}`;
        return loadBundle(bundled, existsSync(cachePath) ? readFileSync(cachePath) : undefined).exports;
      });
    } else {
      // A non-literal specifier keeps esbuild from inlining the libraries into the CLI bundle.
      const source = './plot-runtime.js';
      runtime = import(source) as Promise<PlotRuntime>;
    }
  }
  return runtime;
}

/**
 * Compiles and runs the CommonJS bundle at `path` (with V8's `cachedData` when given) and returns its exports
 * and the compiled script (whose `createCachedData()` the build stores).
 */
export function loadBundle(path: string, cachedData?: Buffer): { exports: PlotRuntime; script: vm.Script; cacheRejected: boolean } {
  const code = readFileSync(path, 'utf8');
  // CommonJS's own wrapper (node's module loader wraps every file so); the bundle's only `require` is linkedom's
  // optional `canvas`, which it catches.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${code}\n})`, { filename: path, cachedData });
  const fn = script.runInThisContext() as (e: object, r: NodeRequire, m: { exports: object }, f: string, d: string) => void;
  const module = { exports: {} };
  fn.call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
  return { exports: module.exports as PlotRuntime, script, cacheRejected: cachedData !== undefined && script.cachedDataRejected === true };
}
