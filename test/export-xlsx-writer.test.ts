/**
 * The direct xlsx writer (src/export/xlsx-writer.ts, zip.ts) read back by two independent readers: openpyxl
 * (Python, when /usr/bin/python3 or python3 has it; .ci/run installs python3-openpyxl; with CI set a missing
 * openpyxl fails the test) and read-excel-file. (LibreOffice is not in the suite: it is not installed here and too
 * large for CI.) Expected values are the inputs themselves, typed as a
 * spreadsheet holds them; the CRC-32 check value is the standard one for "123456789" (0xCBF43926).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import readXlsxFile from 'read-excel-file/node';
import { column, makeTable } from '../src/core/table.js';
import { encodeWorkbook } from '../src/export/xlsx.js';
import { encodeXlsx, SheetWriter } from '../src/export/xlsx-writer.js';
import { crc32, crc32Fallback } from '../src/export/zip.js';
import { isCellColocError } from '../src/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-xlsxw-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

type Cell = number | boolean | string | null;
const TRICKY = '  a & b <c> "q" ';
/** Sheet "mixed & more": what we write, and what a reader must see (null = empty cell). */
const written: Cell[][] = [
  ['name', 'value', 'flag'],
  [TRICKY, 0.1 + 0.2, true],
  ['µm² — Ünïcode 🙂', 1e-7, false],
  ['ctl\u0001x', 1e21, NaN],
  ['big', 123456789012345, null],
  ['neg', -0, -Infinity],
  ['tail', -2.5e-300, Infinity],
];
const seen: Cell[][] = [
  ['name', 'value', 'flag'],
  [TRICKY, 0.30000000000000004, true],
  ['µm² — Ünïcode 🙂', 1e-7, false],
  ['ctl\uFFFDx', 1e21, null],
  ['big', 123456789012345, null],
  ['neg', 0, null],
  ['tail', -2.5e-300, null],
];
const WIDE = 30; // past column Z: AA..AD
const wideWritten: Cell[][] = [
  Array.from({ length: WIDE }, (_, i) => `c${i}`),
  Array.from({ length: WIDE }, (_, i) => i * 1.5),
];

function sheetFrom(name: string, rows: Cell[][]): SheetWriter {
  const s = new SheetWriter(name);
  for (const row of rows) {
    s.beginRow();
    for (const v of row) {
      if (v === null) s.empty();
      else if (typeof v === 'number') s.number(v);
      else if (typeof v === 'boolean') s.boolean(v);
      else s.text(v);
    }
    s.endRow();
  }
  return s;
}

async function writeSample(): Promise<{ path: string; bytes: Uint8Array }> {
  const bytes = await encodeXlsx([sheetFrom('mixed & more', written), sheetFrom('wide', wideWritten), sheetFrom('empty', [])]);
  const path = join(dir, 'sample.xlsx');
  writeFileSync(path, bytes);
  return { path, bytes };
}

function findPython(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import openpyxl'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return py;
  }
  return null;
}
const python = findPython();

test('xlsx writer: openpyxl reads every sheet, type and value back; ZIP CRCs check; fixed 1980-01-01 timestamps', { skip: python || process.env.CI ? false : 'no python3 with openpyxl (apt-get install python3-openpyxl)' }, async () => {
  assert.ok(python, 'no python3 with openpyxl: CI installs python3-openpyxl (.ci/run)');
  const { path } = await writeSample();
  const r = spawnSync(python!, ['test/helpers/read_xlsx_openpyxl.py', path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { sheets: { name: string; rows: ({ t: string; v: Cell } | null)[][] }[]; dates: number[][] };
  assert.deepEqual(out.dates, [[1980, 1, 1, 0, 0, 0]]);
  assert.deepEqual(out.sheets.map((s) => s.name), ['mixed & more', 'wide', 'empty']);
  const typed = (rows: Cell[][]) =>
    rows.map((row) => row.map((v) => (v === null ? null : { t: typeof v === 'number' ? 'n' : typeof v === 'boolean' ? 'b' : 's', v })));
  assert.deepEqual(out.sheets[0].rows, typed(seen));
  assert.deepEqual(out.sheets[1].rows, typed(wideWritten));
  assert.equal(out.sheets[2].rows.flat().filter((c) => c !== null).length, 0);
});

test('xlsx writer: read-excel-file reads the same values back', async () => {
  const { path } = await writeSample();
  const sheets = await readXlsxFile(path, { trim: false } as never);
  assert.deepEqual(sheets.map((s) => s.sheet), ['mixed & more', 'wide', 'empty']);
  assert.deepEqual(sheets[0].data, seen);
  assert.deepEqual(sheets[1].data, wideWritten);
});

test('xlsx writer: same sheets give byte-identical files; table workbooks too', async () => {
  const a = (await writeSample()).bytes;
  const b = (await writeSample()).bytes;
  assert.ok(Buffer.from(a).equals(Buffer.from(b)));
  const t = makeTable('cell_summary', [column('cell_label', 'int', [1, 2, 3]), column('x', 'float', [0.5, NaN, 1 / 3])]);
  assert.ok(Buffer.from(await encodeWorkbook([t])).equals(Buffer.from(await encodeWorkbook([t]))));
});

test('xlsx writer: sheet names are checked (length, characters, case-insensitive duplicates)', async () => {
  assert.throws(() => new SheetWriter('x'.repeat(32)), (e) => isCellColocError(e, 'ExportError'));
  assert.throws(() => new SheetWriter('a:b'), (e) => isCellColocError(e, 'ExportError') && /a:b/.test(e.message));
  await assert.rejects(encodeXlsx([new SheetWriter('Cells'), new SheetWriter('cells')]), (e) => isCellColocError(e, 'ExportError') && /used twice/.test(e.message));
  await assert.rejects(encodeXlsx([]), (e) => isCellColocError(e, 'ExportError'));
});

test('zip CRC-32: standard check value, and the table fallback equals the native one', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32Fallback(Buffer.from('123456789')), 0xcbf43926);
  const data = randomBytes(100_003);
  assert.equal(crc32Fallback(data), crc32(data));
  assert.equal(crc32(new Uint8Array(0)), 0);
});
