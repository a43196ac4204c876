// Bundles the CLI (and the segmentation worker, which runs the same file) into one ESM entry file:
// loading one file instead of ~200 modules (zod, geotiff, …) saves ~0.2 s of start-up per run.
// Code splitting (issue 21): what is only imported on demand — the report, the Cellpose network, the OME-Zarr
// codecs (1.4 MB of WebAssembly as base64), geotiff's decoders — goes to chunk files beside the entry, so that a
// run no longer parses 2.9 MB of JavaScript at start-up (1.2 MB now; ~12 MiB less resident memory). Every chunk
// lives in dist/cli/ like the entry, so `import.meta.url`-relative paths resolve as before.
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// chunks of earlier builds (content-hashed names) would pile up in the package
for (const f of readdirSync('dist/cli', { withFileTypes: true })) {
  if (f.isFile() && /-[A-Z0-9]{8}\.mjs$/.test(f.name)) rmSync(`dist/cli/${f.name}`);
}

await build({
  entryPoints: { 'cellcoloc.bundle': 'src/cli/main.ts' },
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: '[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  // onnxruntime-node loads its native binding by a computed path: it must stay a runtime dependency.
  // @mongodb-js/zstd (native libzstd for Zarr chunks) likewise: its platform package is required at run time.
  external: ['onnxruntime-node', '@mongodb-js/zstd', '@mongodb-js/zstd-*'],
  minify: true,
  keepNames: false,
  logLevel: 'warning',
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __cellcolocCreateRequire } from 'node:module'; const require = __cellcolocCreateRequire(import.meta.url);" },
});

// The report's plotting libraries (issue 17): Observable Plot + d3 + linkedom in one file of their own, loaded
// only by `cellcoloc report` and at the end of a run (src/report/load-plot-runtime.ts), never at start-up.
// CommonJS, because the loader compiles it with vm.Script and V8's code cache, written here after a warm-up render
// (src/report/plot-runtime-cache.ts, from tsc's output in dist/report/).
rmSync('dist/report/plot-runtime.bundle.mjs', { force: true }); // the ES-module bundle of earlier builds
await build({
  entryPoints: ['src/report/plot-runtime.ts'],
  outfile: 'dist/report/plot-runtime.bundle.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  legalComments: 'none',
  minify: true,
  logLevel: 'warning',
});
{
  const { writePlotRuntimeCodeCache } = await import('../dist/report/plot-runtime-cache.js');
  writePlotRuntimeCodeCache('dist/report');
}

// The browser viewer (issue 8): one minified ESM file plus its page and stylesheet in dist/viewer/,
// the only folder `cellcoloc view` serves static files from.
await build({
  entryPoints: ['src/viewer/app/main.ts'],
  outfile: 'dist/viewer/app.js',
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  legalComments: 'none',
  minify: true,
  logLevel: 'warning',
});
{
  const { copyFileSync, mkdirSync } = await import('node:fs');
  mkdirSync('dist/viewer', { recursive: true });
  for (const f of ['index.html', 'app.css']) copyFileSync(`src/viewer/app/${f}`, `dist/viewer/${f}`);
}
