/**
 * Per-sample effective configs (issue 14.1): the base config (everything but `image`), the sample's image(s) from
 * the sheet, `results_dir = DIR/samples/<sample>`, and the row's `config.<section>.<field>` overrides — validated
 * by the config schema like any config file, so an unknown key or a bad value is caught before any work.
 *
 * The fingerprint of a sample (what resume compares, issue 14.5) is the SHA-256 of every input file plus the hash
 * of the effective config without its paths: moving the experiment or the images does not rerun anything, changing
 * a pixel or a parameter does.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import YAML from 'yaml';
import type { AnalysisConfig } from '../config/types.js';
import { parseConfigObject, parseConfigText } from '../config/load-config.js';
import { assertSupported } from '../config/schema.js';
import type { SampleRow } from './sheet.js';

export interface BaseConfig {
  /** Absolute path of the base config file. */
  path: string;
  /** The file's object (snake_case sections), never mutated. */
  raw: Record<string, unknown>;
  sha256: string;
}

const PLACEHOLDER_IMAGE = '__cellcoloc_batch_sample_image__.tif';

/** Reads and checks the base config: everything a run needs except `image` (one problem line each). */
export async function loadBaseConfig(path: string): Promise<{ base: BaseConfig | null; problems: string[] }> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { base: null, problems: [`${abs}: ${code === 'ENOENT' ? 'config file not found' : `cannot read the config file (${code})`}`] };
  }
  let obj: unknown;
  try {
    obj = parseConfigText(text, abs);
  } catch (err) {
    return { base: null, problems: [(err as Error).message] };
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    return { base: null, problems: [`${abs}: expected a mapping of config sections, got ${Array.isArray(obj) ? 'a list' : JSON.stringify(obj)}`] };
  }
  const raw = obj as Record<string, unknown>;
  if ('image' in raw) {
    return { base: null, problems: [`${abs}: image: a batch base config must not name an image (each sample's image comes from the sample sheet); remove the key`] };
  }
  const base: BaseConfig = { path: abs, raw, sha256: createHash('sha256').update(text).digest('hex') };
  // The base on its own (with a placeholder image): its problems are reported once, not once per sample.
  try {
    const cfg = parseConfigObject({ ...raw, image: PLACEHOLDER_IMAGE }, abs);
    assertSupported(cfg);
  } catch (err) {
    return { base: null, problems: [(err as Error).message] };
  }
  return { base, problems: [] };
}

/** A sheet cell as a config value: YAML scalar or flow syntax (`10`, `0.5`, `true`, `otsu`, `[1, 2]`, `null`). */
export function parseOverrideValue(raw: string): unknown {
  try {
    return YAML.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** The sample's config object before validation: base + image + results folder + overrides. */
export function sampleConfigObject(base: BaseConfig, row: SampleRow, sampleDir: string): Record<string, unknown> {
  const obj = clone(base.raw);
  obj.image = row.imageKind === 'image' ? row.images[0] : [...row.images];
  obj.results_dir = sampleDir;
  for (const o of row.overrides) {
    let node: Record<string, unknown> = obj;
    for (const key of o.path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined || next === null) node[key] = {};
      else if (typeof next !== 'object' || Array.isArray(next)) {
        // The schema names the type error (e.g. a section given as a scalar in the base).
        node[key] = {};
      }
      node = node[key] as Record<string, unknown>;
    }
    node[o.path[o.path.length - 1]] = parseOverrideValue(o.raw);
  }
  return obj;
}

/** `DIR/samples/<sample>` */
export function sampleDirOf(resultsDir: string, sample: string): string {
  return join(resultsDir, 'samples', sample);
}

/** Validates the sample's config; throws the schema's one-line error. */
export function buildSampleConfig(base: BaseConfig, row: SampleRow, resultsDir: string): AnalysisConfig {
  const cfg = parseConfigObject(sampleConfigObject(base, row, sampleDirOf(resultsDir, row.sample)), base.path);
  assertSupported(cfg);
  return cfg;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = canonical(o[k]);
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/**
 * SHA-256 of the effective config without its file locations (image, results folder, config file, ROI label file
 * path): the inputs' contents are fingerprinted separately, so the same analysis of the same bytes hashes the same
 * wherever it lives.
 */
export function effectiveConfigHash(config: AnalysisConfig): string {
  const rois = config.rois.kind === 'label_image' ? { ...config.rois, path: undefined } : config.rois;
  const stripped = { ...config, configPath: undefined, image: undefined, resultsDir: undefined, rois };
  return createHash('sha256').update(JSON.stringify(canonical(stripped))).digest('hex');
}
