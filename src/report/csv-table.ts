/**
 * Reading back the CSV tables a run or an experiment wrote (pandas `to_csv` style: empty field = NaN,
 * `True`/`False`), with d3-dsv's RFC 4180 parser. Columns are read on demand as typed arrays.
 */
import { readFile } from 'node:fs/promises';
import { csvParseRows } from 'd3-dsv';
import { inputError } from '../core/errors.js';

export interface CsvTable {
  path: string;
  columns: string[];
  rows: string[][];
}

export async function readCsvTable(path: string): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw inputError(`${path}: cannot read the table (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  return parseCsvTable(text, path);
}

export function parseCsvTable(text: string, path = '<csv>'): CsvTable {
  const all = csvParseRows(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (all.length === 0) throw inputError(`${path}: empty table (expected a header row)`);
  const columns = all[0];
  const rows = all.slice(1).filter((r) => !(r.length === 1 && r[0] === ''));
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].length !== columns.length) {
      throw inputError(`${path}: row ${i + 2} has ${rows[i].length} fields, expected ${columns.length} (the header's)`);
    }
  }
  return { path, columns, rows };
}

export function hasColumn(t: CsvTable, name: string): boolean {
  return t.columns.includes(name);
}

function columnIndex(t: CsvTable, name: string): number {
  const i = t.columns.indexOf(name);
  if (i < 0) throw inputError(`${t.path}: missing column ${JSON.stringify(name)}`);
  return i;
}

/** A numeric column; empty fields and non-numbers are NaN. */
export function numberColumn(t: CsvTable, name: string): Float64Array {
  const i = columnIndex(t, name);
  const out = new Float64Array(t.rows.length);
  for (let r = 0; r < t.rows.length; r++) {
    const s = t.rows[r][i];
    out[r] = s === '' ? NaN : Number(s);
  }
  return out;
}

/** A boolean column written as `True`/`False` (also `true`/`1`). */
export function boolColumn(t: CsvTable, name: string): Uint8Array {
  const i = columnIndex(t, name);
  const out = new Uint8Array(t.rows.length);
  for (let r = 0; r < t.rows.length; r++) {
    const s = t.rows[r][i];
    out[r] = s === 'True' || s === 'true' || s === '1' ? 1 : 0;
  }
  return out;
}

export function stringColumn(t: CsvTable, name: string): string[] {
  const i = columnIndex(t, name);
  return t.rows.map((r) => r[i]);
}
