/**
 * Is this path an OME-Zarr store? Its own module (no zod, no zarrita) so that the config loader and the image opener
 * can ask without loading the NGFF metadata schemas and the Zarr codecs at start-up (issue 21: a TIFF run never
 * needs them; they are imported on demand).
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/** True when `path` is a folder that holds Zarr group or array metadata (v2 or v3). */
export async function isZarrPath(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isDirectory()) return false;
  } catch {
    return false;
  }
  for (const f of ['zarr.json', '.zattrs', '.zgroup', '.zarray']) {
    try {
      await stat(join(path, f));
      return true;
    } catch {
      /* next */
    }
  }
  return /\.zarr\/?$/i.test(path);
}

/** Bytes per element of the Zarr data types CellColoc reads (v3 names and v2 `<u2`-style codes). */
const ITEM_BYTES: Record<string, number> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8 };

/**
 * The uncompressed bytes of level `level` of the OME-Zarr image at `path`, as its metadata declares them (two small
 * JSON files read synchronously, no chunk, no schema): what a whole-frame read will decode. null when the metadata
 * cannot be read this simply (the image opener reports what is wrong).
 */
export function declaredLevelBytes(path: string, level = 0): number | null {
  const json = (f: string): Record<string, unknown> | null => {
    try {
      return JSON.parse(readFileSync(join(path, f), 'utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const root = json('zarr.json') ?? json('.zattrs');
  const attrs = (root?.attributes as Record<string, unknown> | undefined) ?? root;
  const ngff = ((attrs?.ome as Record<string, unknown> | undefined) ?? attrs) as { multiscales?: { datasets?: { path?: string }[] }[] } | null;
  const ds = ngff?.multiscales?.[0]?.datasets?.[level]?.path;
  if (typeof ds !== 'string') return null;
  const arr = (json(join(ds, 'zarr.json')) ?? json(join(ds, '.zarray'))) as { shape?: number[]; data_type?: string; dtype?: string } | null;
  const type = arr?.data_type ?? arr?.dtype;
  const item = typeof type === 'string' ? (ITEM_BYTES[type] ?? (/^[<>|][uif]\d$/.test(type) ? Number(type[2]) : undefined)) : undefined;
  if (!arr?.shape || !item) return null;
  return arr.shape.reduce((a, b) => a * b, 1) * item;
}
