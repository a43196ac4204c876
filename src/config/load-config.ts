/**
 * Reading a config file (YAML or JSON by extension), validating it with the zod schema of `schema.ts`,
 * resolving relative paths against the config file's folder and checking that the input files exist.
 * Every problem becomes ONE `CellColocError` with a one-line message:
 * `<config path>: <key.path>: expected <what>, got <value>` (several problems joined by `; `).
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import YAML from 'yaml';
import { configError, inputError, isCellColocError } from '../core/errors.js';
import type { AnalysisConfig, ModelConfig } from './types.js';
import { isZarrPath } from '../io/zarr/zarr-path.js';
import { resolveChannelNames } from './channel-names.js';
import { formatValue, parseConfigWithSchema } from './schema.js';

export {
  assertSupported,
  checkChannelIndices,
  configJsonSchema,
  defaultColocalizationConfig,
  defaultModelConfig,
  defaultRuntimeConfig,
} from './schema.js';

/** `~` / `~/x` → home folder (the original calls `Path.expanduser` on the image path), then absolute. */
function resolveAgainst(baseDir: string, p: string): string {
  const expanded = p === '~' ? homedir() : p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : p;
  return isAbsolute(expanded) ? resolve(expanded) : resolve(baseDir, expanded);
}

/**
 * `model_name_or_path` like every other path: a path with a folder part (`models/m.onnx`, `~/m.onnx`) becomes
 * absolute against the config file's folder; a bare `m.onnx` too when that file exists there, else it stays bare
 * and the Cellpose backend looks it up in the model folder (`$CELLCOLOC_MODELS`); a model name (`cpsam`) stays.
 */
export function resolveModelReference(value: string | null, baseDir: string): string | null {
  if (value === null) return null;
  const raw = value.trim();
  if (raw === '') return value;
  if (/[\\/]/.test(raw) || raw === '~' || raw.startsWith('~')) return resolveAgainst(baseDir, raw);
  if (raw.toLowerCase().endsWith('.onnx')) {
    const beside = join(baseDir, raw);
    return existsSync(beside) ? beside : raw;
  }
  return raw;
}

/**
 * Validates an in-memory config object (snake_case sections, as in a file). Relative paths resolve against the
 * folder of `configPath` (or the current folder when it is null). Input files are NOT checked for existence
 * here (`loadConfigFile` does that); the only disk access is the lookup of a bare `model.onnx` beside the file.
 */
export function parseConfigObject(obj: unknown, configPath: string | null = null): AnalysisConfig {
  const absConfig = configPath === null ? null : resolve(configPath);
  const baseDir = absConfig === null ? process.cwd() : dirname(absConfig);
  const config = parseConfigWithSchema(obj, absConfig, (p) => resolveAgainst(baseDir, p));
  const model = (m: ModelConfig | null | undefined) => {
    if (m) m.modelNameOrPath = resolveModelReference(m.modelNameOrPath, baseDir);
  };
  model(config.cellModelConfig);
  model(config.markerModelConfig);
  model(config.optionalRegionModelConfig);
  model(config.singleChannel?.modelConfig);
  return config;
}

/** Parses YAML (`.yaml`/`.yml`) or JSON (`.json`) text; syntax errors → one line with `file:line:col`. */
export function parseConfigText(text: string, configPath: string): unknown {
  const ext = extname(configPath).toLowerCase();
  // A UTF-8 byte-order mark (Windows editors) is accepted in JSON as it is in YAML.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (ext === '.json') {
    try {
      const value = JSON.parse(text) as unknown;
      checkJsonDuplicateKeys(text, configPath);
      return value;
    } catch (err) {
      if (isCellColocError(err)) throw err;
      // Node 20 says either `… at position N` or `Unexpected token 'x', "<excerpt>" is not valid JSON`
      // (the excerpt may span lines): keep the reason, and find line:col from the position or, failing
      // that, from the YAML parser (JSON is a subset of YAML's flow style).
      const raw = (err as Error).message;
      const reason = raw.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '').split('\n')[0];
      const pos = /position (\d+)/.exec(raw);
      let where: string | null = null;
      if (pos) {
        const before = text.slice(0, Number(pos[1]));
        where = `${before.split('\n').length}:${Number(pos[1]) - before.lastIndexOf('\n')}`;
      } else {
        const lp = YAML.parseDocument(text).errors[0]?.linePos?.[0];
        if (lp) where = `${lp.line}:${lp.col}`;
      }
      throw configError(`${configPath}${where ? `:${where}` : ''}: invalid JSON: ${reason}`);
    }
  }
  if (ext === '.yaml' || ext === '.yml') {
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const lp = e.linePos?.[0];
      const where = lp ? `${configPath}:${lp.line}:${lp.col}` : configPath;
      // yaml@2 messages may carry a source excerpt on following lines: keep the first line only.
      const msg = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw configError(`${where}: invalid YAML: ${msg}`);
    }
    try {
      return doc.toJS() as unknown;
    } catch (err) {
      // e.g. yaml's "Excessive alias count indicates a resource exhaustion attack" (a billion-laughs file).
      throw configError(`${configPath}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw configError(`${configPath}: expected a config file ending in .yaml, .yml or .json, got ${formatValue(ext || '(no extension)')}`);
}

/**
 * JSON.parse keeps the last of duplicate keys silently; YAML refuses them. The JSON text (already valid)
 * is re-read by yaml's parser, whose JSON-compatible flow syntax reports duplicates with their position.
 */
function checkJsonDuplicateKeys(text: string, configPath: string): void {
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const dup = doc.errors.find((e) => e.code === 'DUPLICATE_KEY');
  if (!dup) return;
  const lp = dup.linePos?.[0];
  const key = /^[^\n]*/.exec(text.slice(dup.pos[0]))?.[0].split(':')[0].trim() ?? '';
  throw configError(
    `${configPath}${lp ? `:${lp.line}:${lp.col}` : ''}: invalid JSON: duplicate key ${key} (each key may appear once in an object)`,
  );
}

/** Config files larger than this are refused unread (a config is a few KiB; shapes lists stay far below). */
const MAX_CONFIG_BYTES = 16 * 2 ** 20;

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** The input files named by a resolved config that must exist before any work: `[key.path, absolute path]`. */
export function inputFilesOf(config: AnalysisConfig): [string, string][] {
  const files: [string, string][] = [];
  if (typeof config.image === 'string') files.push(['image', config.image]);
  else config.image.forEach((p, i) => files.push([`image[${i}]`, p]));
  if (config.rois.kind === 'label_image') files.push(['rois.label_image', config.rois.path]);
  return files;
}

/** Checks that every input file of the config exists; one `configError` naming all missing ones. */
export async function checkInputFilesExist(config: AnalysisConfig): Promise<void> {
  const label = config.configPath ?? 'config';
  const missing: string[] = [];
  for (const [key, p] of inputFilesOf(config)) {
    // `image:` may also be an OME-Zarr store (a folder); its metadata is checked when it is opened.
    if (!(await isFile(p)) && !(key === 'image' && (await isZarrPath(p)))) {
      missing.push(`${key}: expected an existing file${key === 'image' ? ' (or an OME-Zarr folder)' : ''}, got ${formatValue(p)}`);
    }
  }
  if (missing.length > 0) throw configError(`${label}: ${missing.join('; ')}`);
}

/**
 * Reads, validates and resolves a config file. `overrides.resultsDir` (e.g. the CLI's `--results-dir`)
 * replaces `results_dir`; it is resolved against the current folder.
 */
export async function loadConfigFile(path: string, overrides: { resultsDir?: string } = {}): Promise<AnalysisConfig> {
  const abs = resolve(path);
  let text: string;
  try {
    // Directories, FIFOs (a read would block forever) and devices are refused before reading.
    const st = await stat(abs);
    if (st.isDirectory()) throw inputError(`${abs}: is a directory, expected a config file`);
    if (!st.isFile()) throw inputError(`${abs}: not a regular file (a FIFO, socket or device), expected a config file`);
    if (st.size > MAX_CONFIG_BYTES) throw inputError(`${abs}: config file of ${st.size} bytes; expected at most ${MAX_CONFIG_BYTES}`);
    text = await readFile(abs, 'utf8');
  } catch (err) {
    if (isCellColocError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw inputError(
      code === 'ENOENT' ? `${abs}: config file not found` : `${abs}: cannot read the config file (${code ?? (err as Error).message})`,
      err,
    );
  }
  const obj = parseConfigText(text, abs);
  const config = parseConfigObject(obj, abs);
  if (overrides.resultsDir !== undefined) config.resultsDir = resolve(overrides.resultsDir);
  await checkInputFilesExist(config);
  // Channels given by name are resolved against the image's metadata here, before any work.
  return resolveChannelNames(config);
}
