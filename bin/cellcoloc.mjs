#!/usr/bin/env node
// Thin launcher. `npm install` (prepare) or `npm run build` compiles dist/: the bundled CLI (fast start)
// and the plain modules (library entry, and the fallback here).
import { existsSync, readdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { setFlagsFromString } from 'node:v8';
// WebAssembly modules compiled whole (Liftoff, on the background threads of `WebAssembly.compile`: the kernels are
// compiled while the image is read, core/wasm-kernels.ts) instead of one function at its first call: V8's lazy
// default compiled each declumping kernel on the main thread in the first segmentation, ~0.5 ms together on the
// 2048² bench image in a fresh process (measured). Set before the code cache below is loaded, as when the build
// wrote it: V8 accepts a cache only under the flags it was made with (test/cli-launcher.test.ts).
setFlagsFromString('--no-wasm-lazy-compilation');
lowerHelperThreadPriority();
const bundle = new URL('../dist/cli/cellcoloc.bundle.mjs', import.meta.url);
const plain = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(fileURLToPath(bundle)) ? bundle : plain;
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('cellcoloc: error: the package is not built (dist/ is missing): run `npm install` or `npm run build` in the package folder\n');
  process.exit(1);
}
// Backstop: a rejection nobody awaited (a library's background promise) is still one error line, no stack.
process.on('unhandledRejection', (e) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`cellcoloc: error: ${msg.replace(/\s*\n\s*/g, ' ').trim()}\n`);
  process.exit(1);
});
const cached = loadWithCodeCache();
const { main } = cached?.exports ?? (await import(entry.href));
process.exitCode = await main(process.argv);
cached?.writeCache?.();

/**
 * Issue 18 (declumping's cost in a fresh process): V8's helper threads — Node starts four, whatever the machine — run
 * the concurrent marking of the garbage collector and the optimising compilers of the JavaScript and WebAssembly the
 * run has made hot. On a machine with few cores (a 2-core VM, a cluster job's one or two cores) they took the cores
 * from the main thread, which does the whole analysis: its scheduler statistics showed it runnable but waiting for a
 * core for up to 8 ms at a time during the segmentation stage, while `perf` saw three helpers run marking and TurboFan
 * jobs. Here (Linux,
 * where the nice value is a per-thread attribute: setpriority(2)) the helpers that exist now — V8's, started before
 * any JavaScript — get nice 19: they run on idle cores as before and yield a busy one to the main thread. Threads
 * started later (libuv's pool that decodes images, worker threads) keep the process's priority. 2048² bench image,
 * 2-core VM, 13 interleaved fresh runs (docs/speed.md): `segment cell` with `declump_method: shape` 41 → 32 ms,
 * `intensity` 44 → 32 ms, without declumping (the same object rules) 26 → 25 ms. CELLCOLOC_HELPER_THREADS=normal
 * leaves them as they are.
 */
function lowerHelperThreadPriority() {
  if (process.platform !== 'linux' || process.env.CELLCOLOC_HELPER_THREADS === 'normal') return;
  let tasks;
  let mainTid;
  try {
    tasks = readdirSync('/proc/self/task');
    // the main thread's id is the process id as /proc numbers it (process.pid may be another PID namespace's)
    mainTid = Number(readlinkSync('/proc/self'));
  } catch {
    return; // no /proc: the default priorities
  }
  if (!Number.isInteger(mainTid) || !tasks.includes(String(mainTid))) return;
  for (const task of tasks) {
    const tid = Number(task);
    if (tid === mainTid) continue;
    try {
      setPriority(tid, 19);
    } catch {
      // a thread gone meanwhile, or a sandbox without setpriority: that thread keeps its priority
    }
  }
}

/**
 * Issue 21: Node 20 keeps no code cache for ES modules, so each run compiled the CLI's start-up JavaScript anew
 * (~40 ms). The build writes the same CLI as one CommonJS file plus V8's code cache for this Node
 * (scripts/bundle-cli.mjs); compiled here with that cache, start-up skips parsing and compiling. Without a cache
 * for this Node/V8 (another Node than the build's), the ES module bundle loads as before. V8 options that change
 * code generation (e.g. `node --max-old-space-size=…`) make V8 reject the cache: the script is then compiled
 * from source, correct but without the saving.
 */
function loadWithCodeCache() {
  if (entry !== bundle) return null;
  const file = fileURLToPath(new URL('../dist/cli/cellcoloc.bundle.cjs', import.meta.url));
  if (!existsSync(file)) return null;
  // the build stores the script as one function expression (scripts/bundle-cli.mjs), ASCII only (esbuild's default)
  const source = readFileSync(file, 'latin1');
  // the build's content hash: V8 itself compares only the source length with a cache's
  const key = /^\/\*cellcoloc-code-cache-key (\w+)\*\/\(function /.exec(source.slice(0, 64))?.[1];
  const cacheFile = `${file.slice(0, -4)}.${key}.v8-${process.versions.v8}-${process.arch}.codecache`;
  const write = process.env.CELLCOLOC_WRITE_CODE_CACHE === '1';
  if (!key || (!write && !existsSync(cacheFile))) return null;
  const script = new vm.Script(source, {
    filename: file,
    cachedData: write ? undefined : readFileSync(cacheFile),
  });
  // tests: whether V8 took the cache (it refuses one made under other flags)
  if (process.env.CELLCOLOC_DEBUG_CODE_CACHE === '1' && !write) process.stderr.write(`cellcoloc: code cache ${script.cachedDataRejected ? 'rejected' : 'accepted'}\n`);
  const module = { exports: {} };
  const meta = { url: bundle.href, resolve: (specifier) => import.meta.resolve(specifier) };
  script.runInThisContext()(module.exports, createRequire(file), module, file, fileURLToPath(new URL('.', bundle)), meta);
  // the build (CELLCOLOC_WRITE_CODE_CACHE=1, `--version`): the cache holds what start-up compiled
  const writeCache = write
    ? () => {
        writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
        renameSync(`${cacheFile}.tmp`, cacheFile);
      }
    : null;
  return { exports: module.exports, writeCache };
}
