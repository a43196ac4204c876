/**
 * Test-only access to the reference fixtures committed under `test/fixtures/` (the original's outputs in
 * `upstream/<case>/`, Cellpose's own outputs in `cellpose/`; provenance in `test/fixtures/README.md`).
 * Tests read only these in-repository copies, so a fresh clone passes `npm test` with nothing beside it.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromFile } from 'geotiff';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '..', '..');
/** `test/fixtures/` — the committed copies of the reference fixtures. */
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
/** The original CellColoc's outputs, one folder per case. */
export const UPSTREAM = join(FIXTURES, 'upstream');
/** Cellpose's own outputs (v3.1.1.3 and v4) and the small random-weight networks. */
export const CELLPOSE_FIXTURES = join(FIXTURES, 'cellpose');

export function caseDir(name: string): string {
  const d = join(UPSTREAM, name);
  if (!existsSync(d)) throw new Error(`fixture case missing: ${d} (see test/fixtures/README.md)`);
  return d;
}

/** A committed fixture file; a missing one fails the test with its path instead of a bare ENOENT later. */
export function fixtureFile(...parts: string[]): string {
  const p = join(FIXTURES, ...parts);
  if (!existsSync(p)) throw new Error(`fixture file missing: ${p} (see test/fixtures/README.md)`);
  return p;
}

export interface RawTiff {
  /** pages concatenated in file order; each page Y×X, single sample */
  data: Uint8Array | Uint16Array | Uint32Array | Float32Array | Int16Array | Int32Array | Float64Array;
  pages: number;
  height: number;
  width: number;
}

/**
 * Reads every page of a simple single-sample TIFF with geotiff (independent of our own reader,
 * so fixture comparisons do not depend on the code under test).
 */
export async function readTiffPagesReference(path: string): Promise<RawTiff> {
  const tiff = await fromFile(path);
  try {
    const n = await tiff.getImageCount();
    const first = await tiff.getImage(0);
    const width = first.getWidth();
    const height = first.getHeight();
    const plane = width * height;
    let out: RawTiff['data'] | null = null;
    for (let i = 0; i < n; i++) {
      const img = await tiff.getImage(i);
      const r = (await img.readRasters({ interleave: true })) as unknown as RawTiff['data'];
      if (!out) {
        const Ctor = r.constructor as new (n: number) => RawTiff['data'];
        out = new Ctor(plane * n);
      }
      out.set(r as never, i * plane);
    }
    return { data: out!, pages: n, height, width };
  } finally {
    await tiff.close?.();
  }
}

export interface Csv {
  header: string[];
  rows: string[][];
}

/** Minimal CSV reader for pandas `to_csv` output (no quoting in these fixtures). */
export function readCsv(path: string): Csv {
  const text = readFileSync(path, 'utf8').replace(/\r/g, '');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = lines[0].split(',');
  return { header, rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Column of a CSV as numbers (empty field → NaN, True/False → 1/0). */
export function csvColumn(csv: Csv, name: string): number[] {
  const i = csv.header.indexOf(name);
  if (i < 0) throw new Error(`CSV has no column ${name}`);
  return csv.rows.map((r) => {
    const v = r[i];
    if (v === '') return NaN;
    if (v === 'True') return 1;
    if (v === 'False') return 0;
    return Number(v);
  });
}

export function readJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Relative closeness with NaN == NaN. */
export function close(a: number, b: number, rel = 1e-6, abs = 1e-12): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b)));
}
