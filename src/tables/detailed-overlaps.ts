/**
 * `detailed_overlaps` (spec 7.2) with the polygon membership rule of `src/tables/index.ts`:
 * one row per (ROI k, cell touching polygon(k), marker overlapping that cell inside polygon(k)),
 * or one row with `marker_label` NaN when no marker overlaps; `cell_voxels`, `overlap_voxels` and
 * `overlap_fraction_of_cell` are counted over the voxels inside polygon(k) × analysed z range
 * (fix Q1/Q4; upstream counts inside the ROI bbox). `y_min … x_max` stay the ROI bbox, as upstream.
 *
 * One pass over the voxels of the analysed z range: every pixel belongs to at most one ROI, so the
 * (roi, cell, marker) triple of each voxel is accumulated in hash maps keyed by numbers. Consecutive
 * voxels with the same triple are counted as one run, so the maps see one update per run, not per voxel.
 * The same pass counts, per (roi, cell), the voxels overlapping the union of all markers (positivity
 * rule `union`, Q5).
 */
import { valueError } from '../core/errors.js';
import { column, makeTable, type Table } from '../core/table.js';
import { formatShape, sameShape, type LabelData, type LabelVolume, type RoiLabels } from '../core/volume.js';
import { indexRois, resolveZRange, uniformRoiId, type RoiIndex } from '../roi/roi-index.js';
import type { LabelRuns } from './label-runs.js';

export const DETAILED_COLUMNS = [
  'roi_id',
  'cell_label',
  'cell_voxels',
  'n_overlapping_markers',
  'marker_label',
  'overlap_voxels',
  'overlap_fraction_of_cell',
  'y_min',
  'y_max',
  'x_min',
  'x_max',
] as const;

/** One entry per (roi, cell) group, in table order (= the `cell_summary` rows). */
export interface OverlapGroups {
  readonly roiId: Float64Array;
  readonly cellLabel: Float64Array;
  readonly cellVoxels: Float64Array;
  /** |cell ∩ polygon(k) ∩ ⋃ markers| */
  readonly unionOverlapVoxels: Float64Array;
  /** First row of the group in the detailed table and its row count (≥ 1). */
  readonly firstRow: Int32Array;
  readonly rowCount: Int32Array;
}

export interface DetailedOverlaps {
  readonly table: Table;
  readonly groups: OverlapGroups;
}

const TWO32 = 4294967296;

export function buildDetailedOverlaps(
  cell: LabelVolume,
  marker: LabelVolume,
  roi: RoiLabels,
  zBounds: readonly [number, number] | null,
  roiIndex: RoiIndex = indexRois(roi),
  /** The runs of `cell` (from its measurement pass): only cell voxels are visited. */
  cellRuns: LabelRuns | null = null,
  /** The runs of `marker` (from its measurement pass): with the cell runs and a whole-image ROI, runs meet runs. */
  markerRuns: LabelRuns | null = null,
): DetailedOverlaps {
  if (!sameShape(cell.shape, marker.shape)) {
    throw valueError(`marker mask shape ${formatShape(marker.shape)} does not match cell mask shape ${formatShape(cell.shape)}`);
  }
  const [Z, Y, X] = cell.shape;
  if (roi.shape[0] !== Y || roi.shape[1] !== X) {
    throw valueError(`ROI label image shape ${formatShape(roi.shape)} does not match image plane ${formatShape([Y, X])}`);
  }
  const [z0, z1] = resolveZRange(zBounds, Z);
  const plane = Y * X;
  const cd = cell.data;
  const md = marker.data;
  // one ROI covering the raster (its index says so): its id everywhere, no read of the raster (roi/full-image.ts)
  const uniform = uniformRoiId(roi);

  // (roi, cell) → pair id; per pair: roi, cell, voxels in polygon, union overlap
  const pairIndex = new Map<number, number>();
  const pRoi: number[] = [];
  const pCell: number[] = [];
  const pVox: number[] = [];
  const pUnion: number[] = [];
  // pairId * 2^32 + marker → overlap voxels
  const triples = new Map<number, number>();

  // (the run state lives in plain locals; `flush` only closes over constants, so the hot loop keeps
  // them in registers)
  const flush = (r: number, c: number, m: number, run: number) => {
    const key = r * TWO32 + c;
    let pid = pairIndex.get(key);
    if (pid === undefined) {
      pid = pRoi.length;
      pairIndex.set(key, pid);
      pRoi.push(r);
      pCell.push(c);
      pVox.push(0);
      pUnion.push(0);
    }
    pVox[pid] += run;
    if (m !== 0) {
      pUnion[pid] += run;
      const tk = pid * TWO32 + m;
      triples.set(tk, (triples.get(tk) ?? 0) + run);
    }
  };
  // The triples of the cell voxels inside a ROI, in raster order; the cell runs visit exactly those voxels in that
  // order (sums are integers and the rows are sorted below, so the flush points do not matter).
  const st = { curR: 0, curC: 0, curM: 0, run: 0 };
  if (cellRuns && markerRuns && uniform !== 0) tripleRunsOfRunPairs(cellRuns, markerRuns, uniform, plane, z0, z1, st, flush);
  else if (cellRuns && uniform !== 0) tripleRunsOfCellRunsUniform(cellRuns, cd, md, uniform, plane, z0, z1, st, flush);
  else if (cellRuns) tripleRunsOfCellRuns(cellRuns, cd, md, roi.data, plane, z0, z1, st, flush);
  else tripleRunsOfVolume(cd, md, roi.data, plane, z0, z1, st, flush);
  if (st.run > 0) flush(st.curR, st.curC, st.curM, st.run);
  if (pRoi.length >= 2 ** 21) throw valueError(`too many (ROI, cell) pairs for the overlap table: ${pRoi.length}`);

  // markers per pair
  const markersOf: Array<Array<[number, number]> | undefined> = new Array(pRoi.length);
  for (const [tk, cnt] of triples) {
    const m = tk % TWO32;
    const pid = (tk - m) / TWO32;
    (markersOf[pid] ??= []).push([m, cnt]);
  }
  const pairOrder = Array.from({ length: pRoi.length }, (_, i) => i).sort((a, b) => pRoi[a] - pRoi[b] || pCell[a] - pCell[b]);

  let nRows = 0;
  for (let i = 0; i < pRoi.length; i++) nRows += markersOf[i]?.length ?? 1;
  const cols = DETAILED_COLUMNS.map(() => new Float64Array(nRows));
  const [cRoi, cCell, cVox, cN, cMarker, cOv, cFrac, cY0, cY1, cX0, cX1] = cols;
  const g = pairOrder.length;
  const groups = {
    roiId: new Float64Array(g),
    cellLabel: new Float64Array(g),
    cellVoxels: new Float64Array(g),
    unionOverlapVoxels: new Float64Array(g),
    firstRow: new Int32Array(g),
    rowCount: new Int32Array(g),
  };
  const roiPos = new Map<number, number>();
  roiIndex.ids.forEach((id, j) => roiPos.set(id, j));

  let row = 0;
  for (let gi = 0; gi < g; gi++) {
    const pid = pairOrder[gi];
    const r = pRoi[pid];
    const box = roiIndex.boxes[roiPos.get(r)!];
    const vox = pVox[pid];
    // spec 7.2 order: overlap_voxels ↓, ties in marker-label order ↑
    const ms = (markersOf[pid] ?? []).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    groups.roiId[gi] = r;
    groups.cellLabel[gi] = pCell[pid];
    groups.cellVoxels[gi] = vox;
    groups.unionOverlapVoxels[gi] = pUnion[pid];
    groups.firstRow[gi] = row;
    groups.rowCount[gi] = Math.max(1, ms.length);
    const emit = (markerLabel: number, ov: number) => {
      cRoi[row] = r;
      cCell[row] = pCell[pid];
      cVox[row] = vox;
      cN[row] = ms.length;
      cMarker[row] = markerLabel;
      cOv[row] = ov;
      cFrac[row] = ov / vox;
      cY0[row] = box.yMin;
      cY1[row] = box.yMax;
      cX0[row] = box.xMin;
      cX1[row] = box.xMax;
      row++;
    };
    if (ms.length === 0) emit(NaN, 0);
    else for (const [m, cnt] of ms) emit(m, cnt);
  }

  const kinds = ['int', 'int', 'int', 'int', 'label', 'int', 'float', 'int', 'int', 'int', 'int'] as const;
  const table = makeTable(
    'detailed_overlaps',
    DETAILED_COLUMNS.map((name, j) => column(name, kinds[j], cols[j])),
  );
  return { table, groups };
}

interface TripleRun {
  curR: number;
  curC: number;
  curM: number;
  run: number;
}
type Flush = (r: number, c: number, m: number, run: number) => void;

/** Every voxel of planes `[z0, z1)`. */
function tripleRunsOfVolume(cd: LabelData, md: LabelData, rd: Uint16Array, plane: number, z0: number, z1: number, st: TripleRun, flush: Flush): void {
  let { curR, curC, curM, run } = st;
  for (let z = z0; z < z1; z++) {
    const base = z * plane;
    for (let p = 0; p < plane; p++) {
      const c = cd[base + p];
      if (c === 0) continue;
      const r = rd[p];
      if (r === 0) continue;
      const m = md[base + p];
      if (r === curR && c === curC && m === curM) {
        run++;
      } else {
        if (run > 0) flush(curR, curC, curM, run);
        curR = r;
        curC = c;
        curM = m;
        run = 1;
      }
    }
  }
  st.curR = curR;
  st.curC = curC;
  st.curM = curM;
  st.run = run;
}

/** Only the voxels of the cell runs that lie in planes `[z0, z1)` (same voxels, same order as the volume scan). */
function tripleRunsOfCellRuns(
  runs: LabelRuns,
  cd: LabelData,
  md: LabelData,
  rd: Uint16Array,
  plane: number,
  z0: number,
  z1: number,
  st: TripleRun,
  flush: Flush,
): void {
  let { curR, curC, curM, run } = st;
  const { n, start, length } = runs;
  const lo = z0 * plane;
  const hi = z1 * plane;
  for (let j = 0; j < n; j++) {
    const i0 = start[j];
    if (i0 < lo || i0 >= hi) continue; // a run never crosses a row, so never a plane
    const i1 = i0 + length[j];
    const c = cd[i0];
    const p0 = i0 - Math.floor(i0 / plane) * plane;
    for (let i = i0, p = p0; i < i1; i++, p++) {
      const r = rd[p];
      if (r === 0) continue;
      const m = md[i];
      if (r === curR && c === curC && m === curM) {
        run++;
      } else {
        if (run > 0) flush(curR, curC, curM, run);
        curR = r;
        curC = c;
        curM = m;
        run = 1;
      }
    }
  }
  st.curR = curR;
  st.curC = curC;
  st.curM = curM;
  st.run = run;
}

/** `tripleRunsOfCellRuns` when one ROI (`r`) covers every pixel: the same triples without reading the raster. */
function tripleRunsOfCellRunsUniform(
  runs: LabelRuns,
  cd: LabelData,
  md: LabelData,
  r: number,
  plane: number,
  z0: number,
  z1: number,
  st: TripleRun,
  flush: Flush,
): void {
  let { curR, curC, curM, run } = st;
  const { n, start, length } = runs;
  const lo = z0 * plane;
  const hi = z1 * plane;
  for (let j = 0; j < n; j++) {
    const i0 = start[j];
    if (i0 < lo || i0 >= hi) continue; // a run never crosses a row, so never a plane
    const i1 = i0 + length[j];
    const c = cd[i0];
    for (let i = i0; i < i1; i++) {
      const m = md[i];
      if (r === curR && c === curC && m === curM) {
        run++;
      } else {
        if (run > 0) flush(curR, curC, curM, run);
        curR = r;
        curC = c;
        curM = m;
        run = 1;
      }
    }
  }
  st.curR = curR;
  st.curC = curC;
  st.curM = curM;
  st.run = run;
}

/**
 * `tripleRunsOfCellRunsUniform` from the marker's runs instead of its voxels (issue 21): both run lists are in raster
 * order and are exactly the non-zero voxels of their masks, so one pointer walks the marker runs beside the cell runs
 * and each cell run is cut into the stretches over one marker run or over none, left to right. The state machine
 * sees the same triples in the same order, a stretch at a time instead of a voxel at a time: the same flushes.
 */
function tripleRunsOfRunPairs(
  cellRuns: LabelRuns,
  markerRuns: LabelRuns,
  r: number,
  plane: number,
  z0: number,
  z1: number,
  st: TripleRun,
  flush: Flush,
): void {
  let { curR, curC, curM, run } = st;
  const { n, start, length, label } = cellRuns;
  const { n: mn, start: mStart, length: mLength, label: mLabel } = markerRuns;
  const lo = z0 * plane;
  const hi = z1 * plane;
  let j = 0;
  for (let k = 0; k < n; k++) {
    const i0 = start[k];
    if (i0 < lo || i0 >= hi) continue; // a run never crosses a row, so never a plane
    const i1 = i0 + length[k];
    const c = label[k];
    while (j < mn && mStart[j] + mLength[j] <= i0) j++; // marker runs that end before this cell run
    let p = i0;
    for (let q = j; p < i1; q++) {
      // the next stretch: up to the next marker run (none: m = 0), or over it
      let m = 0;
      let e = i1;
      if (q < mn && mStart[q] < i1) {
        if (mStart[q] > p) {
          e = mStart[q];
          q--; // this marker run comes next
        } else {
          m = mLabel[q];
          e = Math.min(mStart[q] + mLength[q], i1);
        }
      }
      const len = e - p;
      if (r === curR && c === curC && m === curM) {
        run += len;
      } else {
        if (run > 0) flush(curR, curC, curM, run);
        curR = r;
        curC = c;
        curM = m;
        run = len;
      }
      p = e;
    }
  }
  st.curR = curR;
  st.curC = curC;
  st.curM = curM;
  st.run = run;
}
