/**
 * Workbook: sheets in order, header row, numbers/booleans typed, NaN/±Inf as empty cells; read back with
 * read-excel-file (an independent reader).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readXlsxFile from 'read-excel-file/node';
import { column, makeTable } from '../src/core/table.js';
import { writeWorkbook } from '../src/export/xlsx.js';
import { isCellColocError } from '../src/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-xlsx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('writeWorkbook: sheet order, header, typed values, empty cells for non-finite numbers', async () => {
  const detailed = makeTable('detailed_overlaps', [
    column('roi_id', 'int', [1, 1]),
    column('marker_label', 'label', [2, NaN]),
    column('overlap_fraction_of_cell', 'float', [0.07853881278538813, 0]),
  ]);
  const summary = makeTable('cell_summary', [
    column('cell_label', 'int', [3, 4]),
    column('marker_positive', 'bool', [1, 0]),
    column('x', 'float', [Infinity, -Infinity]),
  ]);
  const empty = makeTable('roi_coloc_overview', [column('roi_id', 'int', []), column('n_cells', 'int', [])]);
  const path = join(dir, 'w.xlsx');
  await writeWorkbook(path, [detailed, summary, empty]);
  // Atomic write leaves no temporary file behind.
  assert.deepEqual(readdirSync(dir), ['w.xlsx']);

  const sheets = await readXlsxFile(path);
  assert.deepEqual(
    sheets.map((s) => s.sheet),
    ['detailed_overlaps', 'cell_summary', 'roi_coloc_overview'],
  );
  assert.deepEqual(sheets[0].data, [
    ['roi_id', 'marker_label', 'overlap_fraction_of_cell'],
    [1, 2, 0.07853881278538813],
    [1, null, 0],
  ]);
  assert.deepEqual(sheets[1].data, [
    ['cell_label', 'marker_positive', 'x'],
    [3, true, null],
    [4, false, null],
  ]);
  assert.deepEqual(sheets[2].data, [['roi_id', 'n_cells']]);
});

test('writeWorkbook rejects duplicate or invalid sheet names with an ExportError and writes nothing', async () => {
  const t = makeTable('a', [column('x', 'int', [1])]);
  const path = join(dir, 'bad.xlsx');
  await assert.rejects(writeWorkbook(path, [t, t]), (e) => isCellColocError(e, 'ExportError') && /used twice/.test(e.message));
  await assert.rejects(
    writeWorkbook(path, [makeTable('a/b', [column('x', 'int', [1])])]),
    (e) => isCellColocError(e, 'ExportError') && /a\/b/.test(e.message),
  );
  assert.equal(existsSync(path), false);
});
