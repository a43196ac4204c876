// Bundles the CLI (and the segmentation worker, which runs the same file) into one ESM entry file:
// loading one file instead of ~200 modules (zod, geotiff, …) saves ~0.2 s of start-up per run.
// Code splitting (issue 21): what is only imported on demand — the report, the Cellpose network, the OME-Zarr
// codecs (1.4 MB of WebAssembly as base64), geotiff's decoders — goes to chunk files beside the entry, so that a
// run no longer parses 2.9 MB of JavaScript at start-up (1.2 MB now; ~12 MiB less resident memory). Every chunk
// lives in dist/cli/ like the entry, so `import.meta.url`-relative paths resolve as before.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { build } from 'esbuild';

// zod re-exports its 49 translated error-message locales as a namespace (`z.locales`), which a bundler cannot
// tree-shake: 264 KB of the 1.1 MB parsed at every start-up (issue 21). CellColoc only ever uses English (zod's
// default, registered by its schemas module from `locales/en.js` directly), so the namespace keeps only `en`.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

// chunks of earlier builds (content-hashed names) would pile up in the package
for (const f of readdirSync('dist/cli', { withFileTypes: true })) {
  if (f.isFile() && /-[A-Z0-9]{8}\.mjs$/.test(f.name)) rmSync(`dist/cli/${f.name}`);
}

const esm = await build({
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
  plugins: [zodEnglishOnly],
  minify: true,
  keepNames: false,
  logLevel: 'warning',
  metafile: true,
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __cellcolocCreateRequire } from 'node:module'; const require = __cellcolocCreateRequire(import.meta.url);" },
});

// The same CLI as one CommonJS script for the launcher's V8 code cache (issue 21). Node 20 keeps no code cache for
// ES modules, so every run compiled the 1.1 MB of JavaScript it loads at start-up (~40 ms of a 2D run's ~0.5 s);
// bin/cellcoloc.mjs instead compiles this file with `vm.Script` and the cache written below (measured: ~60 ms less
// CPU per `cellcoloc run`). Only the main thread uses it: each module's `import.meta.url` is the URL of its ESM
// chunk (same folder), so worker threads, sample processes and `import.meta.url`-relative paths (report runtime,
// models, package.json) are exactly those of the ESM bundle. What the ESM build loads on demand is inlined here, but with the cache V8
// neither parses nor compiles it until it runs.
// A module that names its own URL (a worker or a forked sample process runs "this very module"; files beside it)
// must see the URL of the ES module chunk that holds it, exactly as in the ESM bundle.
const chunkOfModule = new Map();
for (const [out, o] of Object.entries(esm.metafile.outputs)) {
  for (const input of Object.keys(o.inputs)) {
    const file = resolvePath(input);
    if (/\.(ts|js|mjs|cjs)$/.test(file) && existsSync(file) && readFileSync(file, 'utf8').includes('import.meta')) chunkOfModule.set(file, basename(out));
  }
}
const esmChunkImportMeta = {
  name: 'esm-chunk-import-meta',
  setup(b) {
    b.onLoad({ filter: /\.(ts|js|mjs|cjs)$/ }, (args) => {
      const chunk = chunkOfModule.get(args.path);
      if (!chunk) return undefined;
      const contents = readFileSync(args.path, 'utf8')
        .replaceAll('import.meta.url', `new URL(${JSON.stringify(`./${chunk}`)}, __cellcolocImportMeta.url).href`)
        .replaceAll('import.meta.resolve', '__cellcolocImportMeta.resolve');
      return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js', resolveDir: dirname(args.path) };
    });
  },
};
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/cellcoloc.bundle.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  legalComments: 'none',
  external: ['onnxruntime-node', '@mongodb-js/zstd', '@mongodb-js/zstd-*'],
  plugins: [zodEnglishOnly, esmChunkImportMeta],
  minify: true,
  keepNames: false,
  logLevel: 'warning',
  // A script compiled by vm.Script has no usable import() in Node 20 (no callback without --experimental-vm-modules,
  // none at all from a code cache): import() of a literal (node:fs, onnxruntime-node, bundled modules) becomes
  // require(). No computed import() of an ES module may run in the CLI's main thread (the report's runtime is
  // CommonJS, compiled with vm.Script itself: src/report/load-plot-runtime.ts).
  supported: { 'dynamic-import': false },
  // ES modules are strict; the file becomes the body of one function below, where the directive applies to all of it.
  banner: { js: "'use strict';" },
  // the launcher reads the file as latin1 (one byte per character, no decoding)
  charset: 'ascii',
  // the launcher passes `__cellcolocImportMeta` (bin/cellcoloc.mjs); every module naming import.meta is rewritten above
  define: { 'import.meta.url': '__cellcolocImportMeta.url', 'import.meta.resolve': '__cellcolocImportMeta.resolve' },
});
// The code cache of this build of the script and this Node/V8, written by the launcher after compiling and running a
// small `cellcoloc run` (the demo image with declumping on both channels, `warmUpRun` below): the cache then holds the
// bytecode of every function such a run compiles — the config, TIFF reading, the threshold chain, declumping, the
// tables and the exports — which each run otherwise compiled lazily anew (measured on the 2048² bench image: `segment
// cell` ~3 ms and the whole process ~12 ms faster; `--version` ~1 ms slower to load the larger cache). Should that run
// fail, `--version` writes the start-up-only cache as before. V8 checks only the source's length against a cache, so
// the script's first line carries a hash of its content and the cache file is named by it (and by the V8 version and
// CPU architecture): a cache meets no other build, and another Node falls back to the ESM bundle.
{
  const { createHash } = await import('node:crypto');
  const { writeFileSync } = await import('node:fs');
  const body = readFileSync('dist/cli/cellcoloc.bundle.cjs', 'utf8');
  const key = createHash('sha256').update(body).digest('hex').slice(0, 16);
  // Stored already wrapped as the function the launcher calls (its parameters: the CommonJS module scope plus the
  // import.meta stand-in), so that the source string V8 keeps is the file's text itself, not a second copy.
  writeFileSync(
    'dist/cli/cellcoloc.bundle.cjs',
    `/*cellcoloc-code-cache-key ${key}*/(function (exports, require, module, __filename, __dirname, __cellcolocImportMeta) {${body}\n})`,
  );
  const { spawnSync } = await import('node:child_process');
  for (const f of readdirSync('dist/cli')) if (f.endsWith('.codecache')) rmSync(`dist/cli/${f}`);
  // A time limit: an install must not hang on the warm-up run (it takes ~0.5 s).
  const writeCache = (args) => spawnSync(process.execPath, ['bin/cellcoloc.mjs', ...args], { env: { ...process.env, CELLCOLOC_WRITE_CODE_CACHE: '1' }, encoding: 'utf8', timeout: 120_000 });
  let warm = null;
  try {
    warm = warmUpRun();
  } catch (e) {
    console.warn(`bundle-cli: no warm-up run for the code cache (${e.message}): caching start-up only`);
  }
  let r = warm ? writeCache(warm.args) : null;
  if (warm) rmSync(warm.dir, { recursive: true, force: true });
  if (!r || r.status !== 0) {
    if (r) console.warn(`bundle-cli: the warm-up run for the code cache failed, caching start-up only: ${r.error?.message ?? r.stderr.trim().split('\n').pop()}`);
    r = writeCache(['--version']);
  }
  // No cache is no error: the launcher then loads the ESM bundle, as before.
  if (r.status !== 0) console.warn(`bundle-cli: no V8 code cache written (the CLI will load the ES module bundle): ${r.stderr.trim()}`);
}

/**
 * The run whose compiled functions the code cache keeps: the shipped demo image (data/demo, HT29, CC0) with the
 * threshold chain, the gaussian prefilter and declumping with the object rules on the cell channel (`shape`) and on
 * the marker channel (`intensity`), results in a temporary folder; null where the demo image is missing.
 */
function warmUpRun() {
  const image = resolvePath('data/demo/ht29_dna_ph3.ome.tif');
  if (!existsSync(image)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-code-cache-'));
  const rules = 'typical_diameter_px: [8, 40], fill_holes: true, exclude_border_objects: true, discard_outside_diameter: true';
  writeFileSync(
    join(dir, 'warm-up.yaml'),
    [
      `image: ${JSON.stringify(image)}`,
      'results_dir: results',
      'voxel_scale_zyx: [1.0, 0.5, 0.5]',
      'channel_config: {cell_channel: 0, marker_channel: 1}',
      `cell_model_config: {segmentation_method: otsu, prefilter: gaussian, prefilter_sigma_xy: 1.0, declump_method: shape, ${rules}}`,
      `marker_model_config: {segmentation_method: otsu, declump_method: intensity, ${rules}}`,
      'colocalization_config: {min_cell_voxels: 30, min_overlap_voxels: 10}',
      'rois: full',
      '',
    ].join('\n'),
  );
  return { dir, args: ['run', join(dir, 'warm-up.yaml'), '--quiet', '--no-report'] };
}

// The report's plotting libraries (issue 17): Observable Plot + d3 + linkedom in one file of their own, loaded
// only by `cellcoloc report` and at the end of a run (src/report/load-plot-runtime.ts), never at start-up.
// CommonJS, because the loader compiles it with vm.Script and V8's code cache, written here after a warm-up render
// (src/report/plot-runtime-cache.ts, from tsc's output in dist/report/).
rmSync('dist/report/plot-runtime.bundle.mjs', { force: true }); // the ES-module bundle of earlier builds
// Two number formatters were created when the libraries load: Observable Plot's default format (format.js) and
// cssomnom's CSS number serialiser (linkedom's CSSStyleDeclaration). The first Intl object of a process
// initialises ICU (≈ 12 ms CPU here), and a run report never formats a number with either (counted on the bench
// run, a single-channel and a 3D run: no `format` call); so each is created on its first use instead — the same
// formatter, the same text. Each replaced text must be found: a changed dependency stops the build here.
const lazyNumberFormats = {
  name: 'lazy-number-formats',
  setup(b) {
    const patch = (filter, from, to) =>
      b.onLoad({ filter }, (args) => {
        const src = readFileSync(args.path, 'utf8');
        if (!src.includes(from)) throw new Error(`bundle-cli: lazy-number-formats: the expected code is not in ${args.path} (dependency changed?)`);
        return { contents: src.replace(from, to), loader: 'js' };
      });
    patch(
      /@observablehq[\\/]plot[\\/]src[\\/]format\.js$/,
      'export function formatNumber(locale = "en-US") {\n  const format = numberFormat(locale);\n  return (i) => (i != null && !isNaN(i) ? format.format(i) : undefined);\n}',
      'export function formatNumber(locale = "en-US") {\n  let format;\n  return (i) => (i != null && !isNaN(i) ? (format ??= numberFormat(locale)).format(i) : undefined);\n}',
    );
    patch(
      /cssomnom[\\/]dist[\\/]CSSStyleDeclaration-[^\\/]*\.js$/,
      'const formatter = new Intl.NumberFormat("en-US", {',
      'let formatterInstance;\nconst formatter = { format: (v) => (formatterInstance ??= new Intl.NumberFormat("en-US", formatterOptions)).format(v) };\nconst formatterOptions = ({',
    );
  },
};
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
  plugins: [lazyNumberFormats],
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
