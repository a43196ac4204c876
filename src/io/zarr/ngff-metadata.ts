/**
 * OME-NGFF metadata (https://ngff.openmicroscopy.org): the `multiscales` image description of NGFF 0.4
 * (Zarr v2, group `.zattrs`) and 0.5 (Zarr v3, `zarr.json` → `attributes.ome`), `omero` channel labels, and
 * the HCS `plate` / `well` descriptions. Read with `node:fs` and validated with zod; the arrays themselves are
 * read by zarr-stack.ts. Only what CellColoc uses is validated
 * strictly; unknown keys pass.
 *
 * Errors name the store, the metadata file and what is wrong, on one line.
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { inputError } from '../../core/errors.js';
import { unitToMicrometres } from '../units.js';

/** Axis names CellColoc understands, in the order NGFF requires them (time, channel, space z/y/x). */
export const NGFF_AXES = ['t', 'c', 'z', 'y', 'x'] as const;
export type NgffAxis = (typeof NGFF_AXES)[number];

/**
 * The image schemas (zod), built on the first image opened and kept for the process: zod 4 compiles an object
 * schema into a parser on its first use (~2 ms, measured), which a run then pays once, not at every open (a store is
 * opened twice per run: memory check, then load), and a TIFF run not at all.
 */
let imageSchemas: ReturnType<typeof buildImageSchemas> | null = null;
function buildImageSchemas() {
  const ScaleTransform = z.object({ type: z.literal('scale'), scale: z.array(z.number().positive()) }).passthrough();
  const TranslationTransform = z.object({ type: z.literal('translation') }).passthrough();
  // Union messages of our own: zod's own for a failed union is only "Invalid input".
  const Transform = z.union([ScaleTransform, TranslationTransform, z.object({ type: z.string() }).passthrough()], { error: 'expected a transformation {type, ...}' });
  const AxisObject = z.object({ name: z.string(), type: z.string().optional(), unit: z.string().optional() }).passthrough();
  const Multiscale = z
    .object({
      version: z.string().optional(),
      axes: z.array(z.union([AxisObject, z.string()], { error: 'expected an axis name or {name, type?: string, unit?: string}' })).min(2),
      datasets: z.array(z.object({ path: z.string().min(1), coordinateTransformations: z.array(Transform).optional() }).passthrough()).min(1),
      coordinateTransformations: z.array(Transform).optional(),
    })
    .passthrough();
  const Omero = z.object({ channels: z.array(z.object({ label: z.string().optional() }).passthrough()).optional() }).passthrough();
  return { Multiscale, Omero };
}
type Multiscale = z.infer<ReturnType<typeof buildImageSchemas>['Multiscale']>;
type Transform = NonNullable<Multiscale['coordinateTransformations']>[number];

// The HCS plate and well layouts (`cellcoloc sheet`, `batch` on a plate): zod, built on first use.
let plateSchemas: ReturnType<typeof buildPlateSchemas> | null = null;
function buildPlateSchemas() {
  const PlateSchema = z
    .object({
      rows: z.array(z.object({ name: z.string() }).passthrough()).min(1),
      columns: z.array(z.object({ name: z.string() }).passthrough()).min(1),
      wells: z.array(z.object({ path: z.string().min(1), rowIndex: z.number().int().optional(), columnIndex: z.number().int().optional() }).passthrough()).min(1),
      name: z.string().optional(),
    })
    .passthrough();
  const WellSchema = z.object({ images: z.array(z.object({ path: z.string().min(1) }).passthrough()).min(1) }).passthrough();
  return { PlateSchema, WellSchema };
}

/** The attributes of a group, from `.zattrs` (v2) or `zarr.json` (v3; NGFF 0.5 nests them under `ome`). */
export interface GroupAttributes {
  zarrFormat: 2 | 3;
  /** NGFF attributes (`multiscales`, `omero`, `plate`, `well`, ...). */
  attrs: Record<string, unknown>;
  /** The file they came from (for messages). */
  file: string;
}

/**
 * A metadata file, read synchronously: a few hundred bytes, where `fs.promises.readFile` costs four thread-pool
 * round trips (and a store is opened twice per run: memory check, then load).
 */
async function readJson(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw inputError(`${file}: cannot read (${(e as Error).message})`, e);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw inputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

export { isZarrPath } from './zarr-path.js';

/** Reads a group's attributes; `store` names the store in messages. */
export async function readGroupAttributes(groupPath: string, store: string): Promise<GroupAttributes> {
  const v3 = await readJson(join(groupPath, 'zarr.json'));
  if (v3 !== undefined) {
    const node = v3 as { zarr_format?: unknown; node_type?: unknown; attributes?: Record<string, unknown> };
    if (node.zarr_format !== 3) throw inputError(`${store}: ${join(groupPath, 'zarr.json')}: expected zarr_format 3, got ${JSON.stringify(node.zarr_format)}`);
    const attributes = node.attributes ?? {};
    // NGFF 0.5 keeps its metadata under `ome`; accept 0.4-style top-level keys in a v3 store too.
    const ome = (attributes.ome ?? {}) as Record<string, unknown>;
    return { zarrFormat: 3, attrs: { ...attributes, ...ome }, file: join(groupPath, 'zarr.json') };
  }
  const attrs = await readJson(join(groupPath, '.zattrs'));
  if (attrs === undefined) {
    const hasGroup = (await readJson(join(groupPath, '.zgroup'))) !== undefined;
    throw inputError(
      `${store}: ${hasGroup ? `${join(groupPath, '.zattrs')} is missing` : 'no .zattrs or zarr.json'} (expected OME-NGFF metadata: an image with multiscales or an HCS plate)`,
    );
  }
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) throw inputError(`${store}: ${join(groupPath, '.zattrs')}: expected a JSON object`);
  return { zarrFormat: 2, attrs: attrs as Record<string, unknown>, file: join(groupPath, '.zattrs') };
}

/** One resolution level: its array path inside the group and its voxel size per axis (NGFF units). */
export interface NgffLevel {
  path: string;
  /** Scale per axis, in the axes' order (1 where no scale is given). */
  scale: number[];
  /**
   * Translation per axis (NGFF units, after the multiscale-wide scale; 0 where none is given): NGFF maps index i
   * of this level to i · scale + translation, so a writer can centre a downsampled level on the pixels it averages.
   */
  translation: number[];
}

/** A validated NGFF image: axes in order, levels, µm per spatial axis unit, channel labels. */
export interface NgffImage {
  axes: NgffAxis[];
  levels: NgffLevel[];
  /** Micrometres per unit of each axis (null for t/c or an unknown/absent unit). */
  unitUm: (number | null)[];
  /** Raw unit strings per axis ('' when absent), for messages. */
  units: string[];
  channelLabels: string[];
  version: string;
}

function scaleOf(transforms: readonly Transform[] | undefined, n: number): number[] {
  const s = new Array<number>(n).fill(1);
  for (const t of transforms ?? []) {
    if (t.type === 'scale' && Array.isArray((t as { scale?: unknown }).scale)) {
      const sc = (t as { scale: number[] }).scale;
      if (sc.length !== n) return [];
      for (let i = 0; i < n; i++) s[i] *= sc[i];
    }
  }
  return s;
}

/** The summed `translation` transforms of a list (zeros where none; [] when one has the wrong length). */
function translationOf(transforms: readonly Transform[] | undefined, n: number): number[] {
  const t = new Array<number>(n).fill(0);
  for (const tr of transforms ?? []) {
    const v = (tr as { translation?: unknown }).translation;
    if (tr.type === 'translation' && Array.isArray(v)) {
      if (v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) return [];
      for (let i = 0; i < n; i++) t[i] += v[i] as number;
    }
  }
  return t;
}

/** Validates `multiscales[0]` (+ `omero`) of an image group. */
export function parseNgffImage(ga: GroupAttributes, store: string): NgffImage {
  const where = `${store}: ${ga.file}`;
  const ms = ga.attrs.multiscales;
  if (!Array.isArray(ms) || ms.length === 0) {
    const what = ga.attrs.plate ? 'an HCS plate (use `cellcoloc batch` or `cellcoloc sheet` on it, or point image: at one field, e.g. A/1/0)' : ga.attrs.well ? 'a plate well (point image: at one of its fields, e.g. <well>/0)' : 'no multiscales';
    throw inputError(`${where}: expected an OME-NGFF image (multiscales metadata), got ${what}`);
  }
  imageSchemas ??= buildImageSchemas();
  const r = imageSchemas.Multiscale.safeParse(ms[0]);
  if (!r.success) {
    const i = r.error.issues[0];
    throw inputError(`${where}: multiscales[0]${i.path.map((k) => `.${String(k)}`).join('')}: ${i.message}`);
  }
  const m = r.data;
  const names = m.axes.map((a) => (typeof a === 'string' ? a : a.name).toLowerCase());
  const seen = new Set<string>();
  for (const n of names) {
    if (!(NGFF_AXES as readonly string[]).includes(n)) throw inputError(`${where}: multiscales[0].axes: expected names from t, c, z, y, x, got "${n}"`);
    if (seen.has(n)) throw inputError(`${where}: multiscales[0].axes: axis "${n}" appears twice (${names.join(', ')})`);
    seen.add(n);
  }
  const order = names.map((n) => NGFF_AXES.indexOf(n as NgffAxis));
  for (let i = 1; i < order.length; i++) {
    if (order[i] <= order[i - 1]) throw inputError(`${where}: multiscales[0].axes: expected the NGFF order t, c, z, y, x, got ${names.join(', ')}`);
  }
  if (!seen.has('y') || !seen.has('x')) throw inputError(`${where}: multiscales[0].axes: expected y and x axes, got ${names.join(', ')}`);
  const units = m.axes.map((a) => (typeof a === 'string' ? '' : (a.unit ?? '')));
  const unitUm = names.map((n, i) => (n === 't' || n === 'c' || units[i] === '' ? null : unitToMicrometres(units[i])));
  const outer = scaleOf(m.coordinateTransformations, names.length);
  const levels = m.datasets.map((d, li) => {
    const s = scaleOf(d.coordinateTransformations, names.length);
    if (s.length !== names.length || outer.length !== names.length) {
      throw inputError(`${where}: multiscales[0].datasets[${li}].coordinateTransformations: expected a scale with ${names.length} values (one per axis)`);
    }
    const tr = translationOf(d.coordinateTransformations, names.length);
    if (tr.length !== names.length) {
      throw inputError(`${where}: multiscales[0].datasets[${li}].coordinateTransformations: expected a translation with ${names.length} numbers (one per axis)`);
    }
    // The multiscale-wide transform applies after the level's own: its scale stretches the level's translation too.
    return { path: d.path, scale: s.map((v, i) => v * outer[i]), translation: tr.map((v, i) => v * outer[i]) };
  });
  // omero is optional and transitional (NGFF): a block of another shape is ignored, not an error.
  const om = imageSchemas.Omero.safeParse(ga.attrs.omero);
  const channelLabels = om.success ? (om.data.channels ?? []).map((c) => c.label ?? '') : [];
  return { axes: names as NgffAxis[], levels, unitUm, units, channelLabels, version: m.version ?? (ga.zarrFormat === 3 ? '0.5' : '0.4') };
}

/** One field of view of an HCS plate. */
export interface PlateField {
  /** Row name (e.g. `A`). */
  row: string;
  /** Column name (e.g. `1` or `01`). */
  column: string;
  /** `<row><column>` with the column zero-padded to two digits (`A01`). */
  well: string;
  /** Field index within the well (0-based, the order of the well's `images`). */
  field: number;
  /** Absolute path of the field's image group. */
  path: string;
}

/** Lists the fields of an NGFF HCS plate (`plate` → wells → `well.images`), in plate order. */
export async function listPlateFields(platePath: string): Promise<{ name: string; fields: PlateField[] }> {
  const store = platePath;
  const ga = await readGroupAttributes(platePath, store);
  const { PlateSchema, WellSchema } = (plateSchemas ??= buildPlateSchemas());
  const pr = PlateSchema.safeParse(ga.attrs.plate);
  if (!pr.success) {
    if (ga.attrs.plate === undefined) throw inputError(`${store}: ${ga.file}: expected an OME-NGFF HCS plate (plate metadata)`);
    const i = pr.error.issues[0];
    throw inputError(`${store}: ${ga.file}: plate.${i.path.join('.')}: ${i.message}`);
  }
  const plate = pr.data;
  const fields: PlateField[] = [];
  for (const w of plate.wells) {
    const parts = w.path.split('/');
    if (parts.length !== 2) throw inputError(`${store}: ${ga.file}: plate.wells path "${w.path}": expected "<row>/<column>"`);
    const [row, column] = parts;
    const wellPath = join(platePath, row, column);
    const wa = await readGroupAttributes(wellPath, store);
    const wr = WellSchema.safeParse(wa.attrs.well);
    if (!wr.success) throw inputError(`${store}: ${wa.file}: expected well metadata with images [{path}, ...]`);
    wr.data.images.forEach((im, field) => {
      const col = /^\d+$/.test(column) ? column.padStart(2, '0') : column;
      fields.push({ row, column, well: `${row}${col}`, field, path: join(wellPath, im.path) });
    });
  }
  return { name: plate.name ?? '', fields };
}
