/**
 * Excel workbook (spec 7.6): one sheet per table in the given order, a header row, numbers as numbers,
 * booleans as booleans. Written by our direct SpreadsheetML writer (`xlsx-writer.ts`, issue 21).
 * Non-finite numbers become empty cells: a `<v>NaN</v>` makes Excel "repair" the file and openpyxl reject it;
 * an empty cell is what pandas' `na_rep=''` gives (ecosystem.md section 0).
 */
import type { Table } from '../core/table.js';
import { isCellColocError } from '../core/errors.js';
import { exportError, writeFileAtomic } from '../io/atomic-write.js';
import { encodeXlsx, SheetWriter } from './xlsx-writer.js';

/** A cell as the workbook holds it (`null` = empty). */
export type WorkbookCell = number | boolean | string | null;

/** The table's cells, header first, as the workbook holds them (for callers that want values, not bytes). */
export function tableToSheetData(table: Table): WorkbookCell[][] {
  const cols = table.columns;
  const rows: WorkbookCell[][] = new Array(table.rowCount + 1);
  rows[0] = cols.map((c) => c.name);
  for (let r = 0; r < table.rowCount; r++) {
    const row: WorkbookCell[] = new Array(cols.length);
    for (let c = 0; c < cols.length; c++) {
      const v = cols[c].values[r];
      if (!Number.isFinite(v)) row[c] = null;
      else if (cols[c].kind === 'bool') row[c] = v !== 0;
      else row[c] = v;
    }
    rows[r + 1] = row;
  }
  return rows;
}

function tableSheet(table: Table): SheetWriter {
  const sheet = new SheetWriter(table.name);
  const cols = table.columns;
  sheet.beginRow();
  for (const c of cols) sheet.text(c.name);
  sheet.endRow();
  const isBool = cols.map((c) => c.kind === 'bool');
  for (let r = 0; r < table.rowCount; r++) {
    sheet.beginRow();
    for (let c = 0; c < cols.length; c++) {
      const v = cols[c].values[r];
      if (isBool[c] && Number.isFinite(v)) sheet.boolean(v !== 0);
      else sheet.number(v);
    }
    sheet.endRow();
  }
  return sheet;
}

/** Encodes the workbook in memory (xlsx bytes). */
export async function encodeWorkbook(tables: readonly Table[]): Promise<Uint8Array> {
  if (tables.length === 0) throw exportError('workbook: no tables to write');
  return encodeXlsx(tables.map(tableSheet));
}

/** Writes the workbook atomically (temporary name, then rename). */
export async function writeWorkbook(path: string, tables: readonly Table[]): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await encodeWorkbook(tables);
  } catch (err) {
    if (isCellColocError(err)) throw err;
    throw exportError(`${path}: could not build the workbook (${(err as Error)?.message ?? err})`, err);
  }
  await writeFileAtomic(path, bytes);
}
