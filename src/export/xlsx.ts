/**
 * Excel workbook (spec 7.6): one sheet per table in the given order, a header row, numbers as numbers,
 * booleans as booleans. Written with write-excel-file@4 (ecosystem.md section 3).
 * Non-finite numbers become empty cells: write-excel-file would emit `<v>NaN</v>`, which Excel "repairs"
 * and openpyxl rejects; an empty cell is what pandas' `na_rep=''` gives (ecosystem.md section 0).
 */
import writeExcelFile from 'write-excel-file/node';
import type { Sheet, SheetData, Cell } from 'write-excel-file/node';
import type { Table } from '../core/table.js';
import { isCellColocError } from '../core/errors.js';
import { exportError, writeFileAtomic } from './atomic.js';

/** Excel limits a sheet name to 31 characters without `[]:*?/\`. Our sheet names (spec 7.6) comply; check anyway. */
function checkSheetName(name: string): void {
  if (name.length === 0 || name.length > 31 || /[[\]:*?/\\]/.test(name)) {
    throw exportError(`sheet name "${name}": Excel needs 1–31 characters without []:*?/\\`);
  }
}

export function tableToSheetData(table: Table): SheetData {
  const cols = table.columns;
  const rows: SheetData = new Array(table.rowCount + 1);
  rows[0] = cols.map((c) => c.name);
  for (let r = 0; r < table.rowCount; r++) {
    const row: Cell[] = new Array(cols.length);
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

/** Encodes the workbook in memory (xlsx bytes). */
export async function encodeWorkbook(tables: readonly Table[]): Promise<Uint8Array> {
  if (tables.length === 0) throw exportError('workbook: no tables to write');
  const names = new Set<string>();
  for (const t of tables) {
    checkSheetName(t.name);
    if (names.has(t.name)) throw exportError(`workbook: sheet name "${t.name}" used twice`);
    names.add(t.name);
  }
  const sheets: Sheet<never>[] = tables.map((t) => ({ sheet: t.name, data: tableToSheetData(t) }));
  const buf = await writeExcelFile(sheets as never).toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
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
