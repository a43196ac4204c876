/**
 * Is this path an OME-Zarr store? Its own module (no zod, no zarrita) so that the config loader and the image opener
 * can ask without loading the NGFF metadata schemas and the Zarr codecs at start-up (issue 21: a TIFF run never
 * needs them; they are imported on demand).
 */
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
