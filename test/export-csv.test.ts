/**
 * CSV writer: byte-for-byte equality with the original's pandas `to_csv(index=False)` output (fixtures),
 * and Python `repr(float)` formatting on hand-checked values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseDir, readCsv } from './helpers/fixtures.js';
import { column, makeTable, type ColumnKind } from '../src/core/table.js';
import { pythonFloatRepr, tableToCsv } from '../src/export/csv.js';

const CASES = [
  '2d_two_channel_otsu_fullroi',
  '3d_two_channel_otsu_fullroi',
  '2d_two_channel_li_percentile_rois',
  '3d_three_channel_optional_region',
  '2d_two_channel_cellpose_fullroi',
  '3d_two_channel_cellpose_fullroi',
];
const SHEETS = [
  'detailed_overlaps',
  'marker_properties',
  '3rd_channel_properties',
  'roi_coloc_overview',
  'roi_cell_summary',
  'roi_marker_summary',
  'roi_3rd_channel_summary',
];

/** Column kinds as spec 7.2 / 7.4 / 7.5 give the pandas dtypes. */
function kindFor(sheet: string, name: string): ColumnKind {
  if (sheet === 'detailed_overlaps') {
    // 7.2: marker_label int64, float64 when any NaN; overlap fraction float64; everything else int64.
    if (name === 'marker_label') return 'label';
    if (name === 'overlap_fraction_of_cell') return 'float';
    return 'int';
  }
  if (name === 'roi_id' || name.startsWith('n_') || /^(marker|cell|optional_region)_label$/.test(name)) return 'int';
  if (sheet === 'roi_coloc_overview') {
    // 7.4: pixel and voxel counts are ints, areas/volumes in µm and percentages floats.
    if (/_px$|_voxels$|_px_2d_projection$|_voxels_3d$/.test(name)) return 'int';
    return 'float';
  }
  // 7.5.1 / 7.5.2: every metric (areas in px included) is float64.
  return 'float';
}

test('tableToCsv reproduces the fixtures byte for byte', () => {
  let compared = 0;
  for (const c of CASES) {
    for (const sheet of SHEETS) {
      const path = join(caseDir(c), 'expected', `${sheet}.csv`);
      if (!existsSync(path)) continue;
      const csv = readCsv(path);
      const cols = csv.header.map((name, j) =>
        column(
          name,
          kindFor(sheet, name),
          csv.rows.map((r) => (r[j] === '' ? NaN : r[j] === 'True' ? 1 : r[j] === 'False' ? 0 : Number(r[j]))),
        ),
      );
      const text = tableToCsv(makeTable(sheet, cols));
      assert.equal(text, readFileSync(path, 'utf8'), `${c}/${sheet}.csv`);
      compared++;
    }
  }
  assert.ok(compared >= 30, `compared ${compared} files`);
});

test('pythonFloatRepr matches Python repr(float)', () => {
  const cases: [number, string][] = [
    [0, '0.0'],
    [-0, '-0.0'],
    [2, '2.0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [0.00012, '0.00012'],
    [1.5e16, '1.5e+16'],
    [1e16, '1e+16'],
    [9999999999999998, '9999999999999998.0'],
    [123456789012345678, '1.2345678901234568e+17'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [1e22, '1e+22'],
    [-2.5e-7, '-2.5e-07'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
    [621.3953247070312, '621.3953247070312'],
  ];
  for (const [v, s] of cases) assert.equal(pythonFloatRepr(v), s, String(v));
});

test('kinds, NaN and quoting follow pandas', () => {
  const t = makeTable('t', [
    column('i', 'int', [1, 2, 3]),
    column('lab', 'label', [1, NaN, 3]),
    column('lab_int', 'label', [4, 5, 6]),
    column('b', 'bool', [1, 0, 1]),
    column('f', 'float', [1, NaN, 1e-5]),
    column('a,"b"', 'int', [0, 0, 0]),
  ]);
  assert.equal(
    tableToCsv(t),
    'i,lab,lab_int,b,f,"a,""b"""\n1,1.0,4,True,1.0,0\n2,,5,False,,0\n3,3.0,6,True,1e-05,0\n',
  );
  // pandas: DataFrame() → "\n"; a single empty field in a row is written as "" (Python csv module).
  assert.equal(tableToCsv(makeTable('e', [])), '\n');
  assert.equal(tableToCsv(makeTable('s', [column('a', 'float', [NaN, 1])])), 'a\n""\n1.0\n');
  // Empty table keeps its header (fix Q38).
  assert.equal(tableToCsv(makeTable('h', [column('x', 'int', []), column('y', 'float', [])])), 'x,y\n');
});
