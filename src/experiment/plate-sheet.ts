/**
 * An OME-NGFF HCS plate as a sample sheet (issue 20.4): one sample per well field, named `<row><column>_f<field>`
 * (`A01_f0`, the column zero-padded to two digits), with the metadata columns `plate, row, column, well, field`.
 * `cellcoloc batch plate.ome.zarr` runs it like a CSV sheet (resume, failures, merged tables, report); `cellcoloc
 * sheet plate.ome.zarr` writes the same sheet for editing (e.g. to add a `condition` column).
 */
import { stat } from 'node:fs/promises';
import { basename, relative, sep } from 'node:path';
import { csvField } from '../export/csv.js';
import { listPlateFields } from '../io/zarr/ngff-metadata.js';
import { readGroupAttributes } from '../io/zarr/ngff-metadata.js';

/** True when `path` is a folder holding NGFF `plate` metadata. */
export async function isPlateStore(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isDirectory()) return false;
    const ga = await readGroupAttributes(path, path);
    return ga.attrs.plate !== undefined;
  } catch {
    return false;
  }
}

export interface PlateSheet {
  csv: string;
  samples: number;
  plateName: string;
}

/**
 * The sample sheet of a plate. Image paths are written relative to `sheetDir` (the folder the sheet will live
 * in, so that it can be moved together with the plate), or absolute when `sheetDir` is null.
 */
export async function plateSheet(platePath: string, sheetDir: string | null): Promise<PlateSheet> {
  const { name, fields } = await listPlateFields(platePath);
  const plateName = name || basename(platePath).replace(/\.ome\.zarr$|\.zarr$/i, '');
  const header = ['sample', 'image', 'plate', 'row', 'column', 'well', 'field'];
  const lines = [header.join(',')];
  for (const f of fields) {
    const image = sheetDir === null ? f.path : relative(sheetDir, f.path).split(sep).join('/');
    lines.push([`${f.well}_f${f.field}`, image, plateName, f.row, f.column, f.well, String(f.field)].map((v) => csvField(v)).join(','));
  }
  return { csv: lines.join('\n') + '\n', samples: fields.length, plateName };
}
