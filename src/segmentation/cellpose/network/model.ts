/**
 * Cellpose network files: where they are looked up, what they must declare, and the onnxruntime session.
 *
 * A model is a `.onnx` file in the layout of `scripts/export_cellpose_onnx.py` (docs/cellpose-models.md):
 * input `input` [batch, C, H, W] float32, output `flows` [batch, 3, H, W] (dY, dX, cellprob logit).
 * What the backend must know about it (version, architecture, input channels, tile size, diam_mean) is read
 * from the file's ONNX metadata, or else from a sidecar `<model>.onnx.json` with the same keys — never guessed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir, availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Ort from 'onnxruntime-node';

let ortModule: Promise<typeof Ort> | null = null;
/**
 * onnxruntime-node, loaded on first use: its native library costs ~0.15 s at start-up, which threshold-only
 * runs (and `--help`) should not pay.
 */
export function loadOrt(): Promise<typeof Ort> {
  return (ortModule ??= import('onnxruntime-node'));
}
import { inputError } from '../../../core/errors.js';
import type { CellposeModelInfo } from '../types.js';
import { readOnnxMetadata } from './onnx-metadata.js';

/** Environment variable naming the folder that holds `<name>.onnx` model files. */
export const MODELS_ENV = 'CELLCOLOC_MODELS';

/** Metadata keys (ONNX `metadata_props` or sidecar JSON). */
export const METADATA_KEYS = ['cellpose_version', 'architecture', 'input_channels', 'tile_size', 'diam_mean'] as const;

export interface CellposeModel {
  info: CellposeModelInfo;
  /** The onnxruntime session (input `input`, output `flows`). */
  session: Ort.InferenceSession;
  /** Execution provider actually used. */
  provider: 'cpu' | 'cuda';
  close(): Promise<void>;
}

/**
 * Networks shipped inside the npm package (`models/`, issue 22): name → file. They are found before
 * `$CELLCOLOC_MODELS` and the cache folder, so a user's folder cannot shadow them by accident.
 */
export const BUILTIN_MODELS: Readonly<Record<string, string>> = { 'cellcoloc-nuclei': 'cellcoloc-nuclei.onnx' };

/**
 * The package's `models/` folder: the nearest ancestor of this module (src/… under tsx, dist/cli/ in the bundle)
 * whose package.json is named `cellcoloc`.
 */
export function builtinModelsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'cellcoloc') return join(dir, 'models');
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'models');
}

/** Default model folder: `$XDG_CACHE_HOME/cellcoloc/models`, else `~/.cache/cellcoloc/models` (Windows: `%LOCALAPPDATA%\cellcoloc\models`). */
export function defaultModelsDir(): string {
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'cellcoloc', 'models');
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return join(process.env.LOCALAPPDATA, 'cellcoloc', 'models');
  return join(homedir(), '.cache', 'cellcoloc', 'models');
}

/** The model folder in use: `$CELLCOLOC_MODELS` if set and non-empty, else {@link defaultModelsDir}. */
export function modelsDir(): string {
  const env = process.env[MODELS_ENV];
  return env && env.trim() !== '' ? resolve(env.trim()) : defaultModelsDir();
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') || p.startsWith('~\\') ? join(homedir(), p.slice(1)) : p;
}

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes('\\') || s.toLowerCase().endsWith('.onnx') || s.startsWith('~');
}

/**
 * `model_name_or_path` → absolute `.onnx` path. The config loader has already made relative paths absolute
 * against the config file's folder (`resolveModelReference` in config/load-config.ts); here, an existing file wins
 * (like the original, spec 5.1 / Q40); a bare `name.onnx` not found there is looked up in the model folder
 * (`$CELLCOLOC_MODELS`); any other path-like string must exist; a built-in name ({@link BUILTIN_MODELS}, e.g.
 * `cellcoloc-nuclei`) is the file shipped in the package; any other bare name (`cpsam`, `cyto3`, `nuclei`, …)
 * is `<models dir>/<name>.onnx`.
 */
export function resolveModelPath(modelNameOrPath: string): string {
  const raw = modelNameOrPath.trim();
  if (raw === '') throw inputError('model_name_or_path is empty: expected a Cellpose model name (e.g. cpsam, cyto3) or a path to an .onnx file');
  const asPath = resolve(expandHome(raw));
  if (existsSync(asPath) && statSync(asPath).isFile()) return asPath;
  // A bare file name (`my_model.onnx`) not beside the config file: the model folder ($CELLCOLOC_MODELS).
  if (!/[\\/]/.test(raw) && !raw.startsWith('~') && raw.toLowerCase().endsWith('.onnx')) {
    const dir = modelsDir();
    const inDir = join(dir, raw);
    if (existsSync(inDir) && statSync(inDir).isFile()) return inDir;
    throw inputError(
      `Cellpose model file "${raw}" not found beside the config file nor in the model folder ${dir} (${process.env[MODELS_ENV] ? `$${MODELS_ENV}` : `the default; set $${MODELS_ENV} to change it`}); ` +
        'export one with scripts/export_cellpose_onnx.py (see docs/cellpose-models.md)',
    );
  }
  if (looksLikePath(raw)) {
    throw inputError(
      `Cellpose model file not found: ${asPath} (model_name_or_path "${raw}"); export one with scripts/export_cellpose_onnx.py (see docs/cellpose-models.md)`,
    );
  }
  const builtin = Object.hasOwn(BUILTIN_MODELS, raw) ? BUILTIN_MODELS[raw] : undefined;
  if (builtin !== undefined) {
    const shipped = join(builtinModelsDir(), builtin);
    if (existsSync(shipped)) return shipped;
    throw inputError(`built-in Cellpose model "${raw}" is missing from this installation: expected ${shipped} (reinstall cellcoloc)`);
  }
  const dir = modelsDir();
  const file = join(dir, `${raw}.onnx`);
  if (existsSync(file)) return file;
  throw inputError(
    `Cellpose model "${raw}" not found: looked for ${file} (model folder from ${process.env[MODELS_ENV] ? `$${MODELS_ENV}` : `the default; set $${MODELS_ENV} to change it`}); ` +
      `create it with \`python scripts/export_cellpose_onnx.py --model ${raw} --out ${file}\` where cellpose and torch are installed (docs/cellpose-models.md)`,
  );
}

function parseInfo(path: string, source: string, get: (k: string) => unknown): CellposeModelInfo {
  const missing = METADATA_KEYS.filter((k) => get(k) === undefined || get(k) === null || get(k) === '');
  if (missing.length > 0) throw inputError(`${source}: missing key(s) ${missing.join(', ')} (expected ${METADATA_KEYS.join(', ')}; docs/cellpose-models.md)`);
  const num = (k: string): number => {
    const v = get(k);
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : NaN;
    if (!Number.isFinite(n)) throw inputError(`${source}: ${k} = ${JSON.stringify(v)} is not a number`);
    return n;
  };
  const version = num('cellpose_version');
  const arch = String(get('architecture')).trim().toLowerCase();
  const inputChannels = num('input_channels');
  const tileSize = num('tile_size');
  const diamMean = num('diam_mean');
  if (version !== 3 && version !== 4) throw inputError(`${source}: cellpose_version = ${JSON.stringify(get('cellpose_version'))}, expected 3 (CPnet) or 4 (Cellpose-SAM)`);
  if (arch !== 'cpnet' && arch !== 'cpsam') throw inputError(`${source}: architecture = ${JSON.stringify(get('architecture'))}, expected "cpnet" or "cpsam"`);
  if ((arch === 'cpnet') !== (version === 3)) throw inputError(`${source}: architecture "${arch}" does not belong to cellpose_version ${version} (cpnet = 3, cpsam = 4)`);
  if (!Number.isInteger(inputChannels) || inputChannels < 1) throw inputError(`${source}: input_channels = ${inputChannels}, expected a positive integer`);
  if (!Number.isInteger(tileSize) || tileSize < 16 || tileSize % 16 !== 0) throw inputError(`${source}: tile_size = ${tileSize}, expected a positive multiple of 16`);
  if (!(diamMean > 0)) throw inputError(`${source}: diam_mean = ${diamMean}, expected > 0 (pixels)`);
  // Optional: custom Cellpose 3 models' training-label diameter (scripts/export_cellpose_onnx.py writes it).
  const rawLabels = get('diam_labels');
  let diamLabels: number | null = null;
  if (rawLabels !== undefined && rawLabels !== null && rawLabels !== '') {
    diamLabels = num('diam_labels');
    if (!(diamLabels > 0)) throw inputError(`${source}: diam_labels = ${diamLabels}, expected > 0 (pixels)`);
  }
  return { path, cellposeVersion: version, architecture: arch, inputChannels, tileSize, diamMean, diamLabels };
}

/** Model facts from the ONNX metadata, else from `<path>.json`; an inputError when neither has them. */
export function readModelInfo(path: string): CellposeModelInfo {
  const meta = readOnnxMetadata(path);
  if (METADATA_KEYS.every((k) => meta.has(k))) return parseInfo(path, `${path} (ONNX metadata)`, (k) => meta.get(k));
  const sidecar = `${path}.json`;
  if (existsSync(sidecar)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(sidecar, 'utf8'));
    } catch (e) {
      throw inputError(`${sidecar}: not valid JSON (${(e as Error).message})`, e);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw inputError(`${sidecar}: expected a JSON object with keys ${METADATA_KEYS.join(', ')}`);
    const obj = json as Record<string, unknown>;
    return parseInfo(path, sidecar, (k) => obj[k]);
  }
  const have = METADATA_KEYS.filter((k) => meta.has(k));
  throw inputError(
    `${path}: no Cellpose model metadata (ONNX metadata ${have.length ? `has only ${have.join(', ')}` : 'has none of'} ${METADATA_KEYS.join(', ')}) and no sidecar ${sidecar}; ` +
      'export with scripts/export_cellpose_onnx.py or write the sidecar (docs/cellpose-models.md)',
  );
}

/** Threads for onnxruntime's intra-op pool: every core this process may use. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

function sessionOptions(providers: string[], threads: number, quiet = false): Ort.InferenceSession.SessionOptions {
  return {
    // the CUDA probe logs its own failure at error level; our one-line warning replaces it
    ...(quiet ? { logSeverityLevel: 4 as const } : {}),
    executionProviders: providers,
    intraOpNumThreads: threads,
    // onnxruntime's defaults otherwise: measured on the fixture networks, `graphOptimizationLevel: 'all'` was about
    // 25 % slower per tile than the default level (cpsam-shaped ViT), and inter-op/execution-mode settings changed nothing.
  };
}

/**
 * Why onnxruntime's CUDA provider cannot be used, or null when its library is installed. The npm package
 * downloads `libonnxruntime_providers_cuda.so` at install time on Linux x64 only (skipped offline or with
 * `ONNXRUNTIME_NODE_INSTALL=skip`); without it the CUDA session would fail after logging an internal error.
 */
function cudaUnavailableReason(): string | null {
  if (process.platform !== 'linux' && process.platform !== 'win32') return `no CUDA build of onnxruntime-node for ${process.platform}`;
  try {
    const req = createRequire(import.meta.url);
    const binDir = join(dirname(req.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    if (!existsSync(join(binDir, lib))) return `${lib} is not installed in ${binDir} (reinstall onnxruntime-node with network access to get its CUDA binaries)`;
  } catch {
    // cannot locate the package folder (bundled differently): let onnxruntime decide
  }
  return null;
}

/**
 * Opens a Cellpose network. With `useGpu` the CUDA execution provider is tried first; when it cannot be
 * created (no CUDA build of onnxruntime, no driver, no device) `warn` says so and the CPU is used.
 */
export async function loadCellposeModel(
  modelNameOrPath: string,
  options: { useGpu: boolean; warn?: (msg: string) => void; threads?: number },
): Promise<CellposeModel> {
  const path = resolveModelPath(modelNameOrPath);
  const info = readModelInfo(path);
  const threads = options.threads ?? defaultThreads();
  const warn = options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  let session: Ort.InferenceSession | undefined;
  const ort = await loadOrt();
  let provider: 'cpu' | 'cuda' = 'cpu';
  const noCuda = options.useGpu ? cudaUnavailableReason() : null;
  if (options.useGpu && noCuda) {
    warn(`use_gpu: true but onnxruntime's CUDA execution provider is not available (${noCuda}); running Cellpose network ${path} on the CPU`);
  } else if (options.useGpu) {
    try {
      session = await ort.InferenceSession.create(path, sessionOptions(['cuda'], threads, true));
      provider = 'cuda';
    } catch (e) {
      const reason = String((e as Error)?.message ?? e).split('\n')[0];
      warn(`use_gpu: true but onnxruntime's CUDA execution provider is not available (${reason}); running Cellpose network ${path} on the CPU`);
    }
  }
  if (!session) {
    try {
      session = await ort.InferenceSession.create(path, sessionOptions(['cpu'], threads));
    } catch (e) {
      throw inputError(`${path}: onnxruntime cannot load this model (${String((e as Error)?.message ?? e).split('\n')[0]})`, e);
    }
  }
  if (!session.inputNames.includes('input') || !session.outputNames.includes('flows')) {
    await session.release();
    throw inputError(
      `${path}: expected input "input" and output "flows", found inputs [${session.inputNames.join(', ')}], outputs [${session.outputNames.join(', ')}] (docs/cellpose-models.md)`,
    );
  }
  const s = session;
  return { info, session: s, provider, close: () => s.release() };
}
