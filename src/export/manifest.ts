/**
 * Run manifest `{stem}_run_manifest.json`: everything needed to reproduce or audit a run — package and
 * dependency versions, the input files with size and SHA-256, every resolved parameter, the voxel size and
 * where it came from, the per-ROI thresholds, the label ids each filter step removed, the stage timings and
 * the files written. (The original recorded none of this, Q39; its preprint scripts wrote an
 * `_analysis_config.json` sidecar, spec 7.6.)
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisConfig } from '../config/types.js';
import type { ResultsPaths } from './results-paths.js';

export const MANIFEST_SCHEMA_VERSION = 1;

/** What the manifest needs from the loaded image (a structural subset of the pipeline's `LoadedImageChannels`). */
export interface ManifestLoadedInfo {
  sourcePaths: readonly string[];
  voxelSizeUm: readonly [number, number, number];
  voxelSizeSource: string;
  warnings: readonly string[];
  rawShapeTzcyx?: readonly number[];
  dtype?: string;
  channelNames?: readonly string[];
  timePoint?: number;
  cropForTesting?: unknown;
  analysisZBounds?: readonly [number, number] | null;
  cellImage?: { shape: readonly number[] };
}

export interface ManifestFilterStep {
  channel: string;
  step: string;
  nIn: number;
  nOut: number;
  removed: readonly number[];
}

export interface ManifestInput {
  config: AnalysisConfig;
  loaded: ManifestLoadedInfo;
  paths: ResultsPaths;
  roiIds?: ArrayLike<number>;
  /** Per channel (`cell`, `marker`, …): the per-ROI segmentation/threshold info objects, in ROI order. */
  segmentation?: Readonly<Record<string, readonly unknown[]>>;
  filterSteps?: readonly ManifestFilterStep[];
  timings?: readonly { stage: string; ms: number }[];
  /** Extra warnings to record besides the loader's. */
  warnings?: readonly string[];
  /** Output files (absolute paths); `exportAnalysisOutputs` replaces this with what it actually wrote. */
  outputs?: readonly string[];
  /** Creation time (tests pass a fixed one). */
  now?: Date;
}

export interface InputFileInfo {
  path: string;
  sizeBytes: number | null;
  sha256: string | null;
  error?: string;
}

/**
 * SHA-256 of a file, streamed (constant memory for multi-GB stacks). A folder (an OME-Zarr store) hashes as a
 * tree, in sorted relative-path order: the metadata files (`.zattrs`, `.zarray`, `.zgroup`, `zarr.json`, …) by
 * content, every chunk file by path and size. Chunk contents are not read: hashing a whole store would read every
 * chunk and defeat reading by region (a 512² crop of a 16384² store would read 512 MiB to hash it). An added,
 * removed, truncated or re-chunked chunk still changes the hash; a same-size rewrite of a chunk does not.
 */
export async function sha256File(path: string): Promise<string> {
  const st = await stat(path);
  if (st.isDirectory()) return sha256Tree(path);
  const key = prefetchKey(path, st);
  const early = prefetched.get(key);
  if (early) {
    prefetched.delete(key);
    const h = await early.catch(() => null);
    if (h) return h;
  }
  return sha256OfFile(path);
}

/**
 * Files up to this size are hashed off the main thread: read whole and digested by WebCrypto, both on libuv's
 * thread pool (`createHash().update` runs on the calling thread: 21 ms for the 8 MB 2D bench image, 70 ms for the
 * 19 MB 3D one). Larger files are streamed (constant memory) when the manifest is built.
 */
const PREFETCH_MAX_BYTES = 64 << 20;
/** Files up to this size are digested after the load (see `prefetchSha256`). */
const DEFER_MAX_BYTES = 16 << 20;
const prefetched = new Map<string, Promise<string>>();

function prefetchKey(path: string, st: { size: number; mtimeMs: number }): string {
  return `${path}\0${st.size}\0${st.mtimeMs}`;
}

/**
 * Starts hashing the run's input files on the thread pool, so that `sha256File` (the manifest, at the end of the
 * run) finds the digest ready instead of hashing on the main thread. Used once per file (a later call hashes again);
 * a file changed in between (size or mtime) is hashed again.
 *
 * Each file is read now; the digest of a file up to `DEFER_MAX_BYTES` starts once `digestAfter` has settled. The
 * runner passes the image load: its inflates keep both cores of a 2-core machine busy, and a digest beside them
 * lengthened the 2D bench load by ~12 ms (issue 21); after the load it runs on the core that the main thread's
 * segmentation leaves idle. A larger file is digested at once: held over the load, its bytes and WebCrypto's copy of
 * them (twice the file) were still alive at the 3D bench run's memory peak (+22 MiB RSS for its 19 MB file).
 */
export function prefetchSha256(paths: readonly string[], digestAfter: Promise<unknown> = Promise.resolve()): void {
  const gate = digestAfter.then(
    () => undefined,
    () => undefined,
  );
  for (const path of paths) {
    const job = stat(path).then((st) => {
      if (!st.isFile() || st.size > PREFETCH_MAX_BYTES) return;
      const after = st.size <= DEFER_MAX_BYTES ? gate : undefined;
      const digest = Promise.all([readWhole(path, st.size), after]).then(async ([buf]) =>
        Buffer.from(await webcrypto.subtle.digest('SHA-256', buf)).toString('hex'),
      );
      digest.catch(() => undefined); // a failure falls back to streaming in sha256File
      prefetched.set(prefetchKey(path, st), digest);
    });
    job.catch(() => undefined);
  }
}

/**
 * The whole file in one read request: `fs.promises.readFile` reads 512 KiB per request, and each next request
 * waits for a turn of the main thread's event loop, which synchronous work (segmentation, tables) holds up.
 */
async function readWhole(path: string, size: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(buf, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? buf : buf.subarray(0, done);
  } finally {
    void fh.close().catch(() => undefined);
  }
}

/**
 * A Zarr store's fingerprint (docs/ome-zarr.md, Provenance): every file by path and size, metadata files by content.
 * The walk and the sizes are read synchronously: a 16384² store in 256² chunks is 4096 files, and a promise and a
 * thread-pool round trip per `stat` cost 0.22 s of CPU there in a fresh process, 0.12 s this way (0.04 s warm); the
 * bench's 2048² store (128 chunks) takes ~2 ms. The metadata files (a few KB each) are read and hashed
 * synchronously too: a file stream per file cost ~2.5 ms of the run's main thread, and WebCrypto (the thread pool)
 * ~5.6 ms, its first use in a process loading its JavaScript — on the critical path here, at the end of a run.
 */
async function sha256Tree(root: string): Promise<string> {
  const files: { rel: string; size: number }[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const r = rel === '' ? e.name : `${rel}${sep}${e.name}`;
      if (e.isDirectory()) walk(p, r);
      else if (e.isFile()) files.push({ rel: r, size: statSync(p).size });
    }
  };
  walk(root, '');
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const hash = createHash('sha256');
  for (const { rel, size } of files) {
    const isMetadata = /(^|[\\/])(\.zattrs|\.zarray|\.zgroup|\.zmetadata|[^\\/]*\.json)$/.test(rel);
    const content = isMetadata ? createHash('sha256').update(readFileSync(join(root, rel))).digest('hex') : '';
    hash.update(`${rel.split(sep).join('/')}\0${size}\0${content}\n`);
  }
  return hash.digest('hex');
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await new Promise<void>((resolveP, reject) => {
    const s = createReadStream(path, { highWaterMark: 1 << 20 });
    s.on('data', (chunk) => hash.update(chunk));
    s.on('error', reject);
    s.on('end', () => resolveP());
  });
  return hash.digest('hex');
}

export async function describeInputFile(path: string): Promise<InputFileInfo> {
  try {
    const st = await stat(path);
    return { path, sizeBytes: st.size, sha256: await sha256File(path) };
  } catch (err) {
    return { path, sizeBytes: null, sha256: null, error: String((err as Error)?.message ?? err) };
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/** Our own package.json: the nearest ancestor folder whose package.json is named `cellcoloc` (src/ and dist/ alike). */
function findOwnPackage(): { root: string; json: Record<string, unknown> } | null {
  let d = here;
  for (;;) {
    const p = join(d, 'package.json');
    if (existsSync(p)) {
      try {
        const json = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
        if (json.name === 'cellcoloc') return { root: d, json };
      } catch {
        /* unreadable package.json: keep walking */
      }
    }
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

function readVersion(pkgJsonPath: string, name: string): string | null {
  try {
    const j = JSON.parse(readFileSync(pkgJsonPath, 'utf8')) as { name?: string; version?: string };
    return j.name === name && typeof j.version === 'string' ? j.version : null;
  } catch {
    return null;
  }
}

/**
 * Installed version of a dependency: `node_modules/<name>/package.json` in the package root or any ancestor
 * (node's lookup order), else through `require.resolve` (packages whose `exports` hide package.json are
 * found by walking up from their entry point). `null` when not installed.
 */
export function installedVersion(name: string, fromDir: string = here): string | null {
  let d = fromDir;
  for (;;) {
    const p = join(d, 'node_modules', name, 'package.json');
    if (existsSync(p)) {
      const v = readVersion(p, name);
      if (v) return v;
    }
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  try {
    const req = createRequire(join(fromDir, 'noop.js'));
    let e = dirname(req.resolve(name));
    for (let i = 0; i < 8; i++) {
      const v = existsSync(join(e, 'package.json')) ? readVersion(join(e, 'package.json'), name) : null;
      if (v) return v;
      e = dirname(e);
    }
  } catch {
    /* not resolvable */
  }
  return null;
}

/** JSON-safe copy: typed arrays → arrays (huge ones summarised), NaN/±Inf → null, Maps → objects, bigint → string. */
function toJsonValue(v: unknown, depth = 0): unknown {
  if (depth > 40) return '[too deep]';
  if (v === null || v === undefined) return v ?? null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (ArrayBuffer.isView(v)) {
    const a = v as unknown as ArrayLike<number> & { constructor: { name: string } };
    if (a.length > 4096) return { typedArray: a.constructor.name, length: a.length };
    return Array.from(a, (x) => toJsonValue(x, depth + 1));
  }
  if (Array.isArray(v)) return v.map((x) => toJsonValue(x, depth + 1) ?? null);
  if (v instanceof Map) return toJsonValue(Object.fromEntries(v), depth + 1);
  if (v instanceof Set) return toJsonValue([...v], depth + 1);
  if (v instanceof Date) return v.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const j = toJsonValue(x, depth + 1);
    if (j !== undefined) out[k] = j;
  }
  return out;
}

/** Nested object keys sorted (stable output whatever order upstream code built them in); arrays keep order. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) out[k] = sortKeys(o[k]);
    return out;
  }
  return v;
}

export type Manifest = Record<string, unknown>;

/** This package's folder (where its package.json is): e.g. for the absolute bin/cellcoloc.mjs of emitted workflows. */
export function ownPackageRoot(): string {
  const own = findOwnPackage();
  if (!own) throw new Error('cannot find the cellcoloc package folder (its package.json) above ' + here);
  return own.root;
}

/** This package's name and version (as recorded in every manifest). */
export function ownPackage(): { name: string; version: string | null } {
  const own = findOwnPackage();
  return { name: (own?.json.name as string) ?? 'cellcoloc', version: (own?.json.version as string) ?? null };
}

export async function buildManifest(input: ManifestInput): Promise<Manifest> {
  const own = findOwnPackage();
  const deps = Object.keys((own?.json.dependencies as Record<string, string> | undefined) ?? {}).sort();
  const from = own?.root ?? here;
  const dependencies: Record<string, string | null> = {};
  for (const d of deps) dependencies[d] = installedVersion(d, from);

  const inputFiles = [...input.loaded.sourcePaths];
  if (input.config.rois.kind === 'label_image') inputFiles.push(input.config.rois.path);
  const inputs = await Promise.all(inputFiles.map(describeInputFile));

  const l = input.loaded;
  const resultsDir = input.paths.resultsDir;
  const outputs = (input.outputs ?? []).map((p) => relative(resultsDir, p));

  return {
    manifestSchemaVersion: MANIFEST_SCHEMA_VERSION,
    createdAt: (input.now ?? new Date()).toISOString(),
    package: { name: (own?.json.name as string) ?? 'cellcoloc', version: (own?.json.version as string) ?? null },
    runtime: { node: process.version, platform: process.platform, arch: process.arch },
    dependencies,
    inputs,
    image: toJsonValue({
      rawShapeTzcyx: l.rawShapeTzcyx ?? null,
      analysedShapeZyx: l.cellImage?.shape ?? null,
      dtype: l.dtype ?? null,
      channelNames: l.channelNames ?? null,
      timePoint: l.timePoint ?? null,
      cropForTesting: l.cropForTesting ?? null,
      analysisZBounds: l.analysisZBounds ?? null,
      // OME-Zarr: the level analysed and the chunks/bytes fetched (a crop reads only the chunks it touches).
      read: (l as { imageRead?: unknown }).imageRead ?? null,
    }),
    voxelSize: {
      zyxUm: [...l.voxelSizeUm],
      source: l.voxelSizeSource,
    },
    warnings: [...l.warnings, ...(input.warnings ?? [])],
    // In the config file's own vocabulary (snake_case), so a run can be reproduced from it.
    config: sortKeys(snakeCaseKeys(toJsonValue(input.config))),
    roiIds: input.roiIds ? Array.from(input.roiIds) : null,
    thresholds: sortKeys(toJsonValue(input.segmentation ?? {})),
    filterSteps: (input.filterSteps ?? []).map((s) => ({
      channel: s.channel,
      step: s.step,
      nIn: s.nIn,
      nOut: s.nOut,
      removedLabels: [...s.removed],
    })),
    timingsMs: (input.timings ?? []).map((t) => ({ stage: t.stage, ms: t.ms })),
    resultsDir,
    outputs,
  };
}

/** 2-space JSON with a trailing newline; NaN/±Inf → null, typed arrays → arrays. */
export function serializeManifest(manifest: Manifest): string {
  return JSON.stringify(toJsonValue(manifest), null, 2) + '\n';
}

/** `cellModelConfig` → `cell_model_config`, recursively on object keys (values untouched). */
function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k === 'do3d' ? 'do_3d' : k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(), snakeCaseKeys(v)]),
    );
  }
  return value;
}
