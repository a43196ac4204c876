/**
 * The label runs (`core/label-runs.ts`) of declumping's output, from what `declumpMask` already holds: the runs of
 * the components left whole (the mask's own runs, under their object ids) and the runs of the split pieces that
 * the paste kernel reported (kernels/declump-wasm-box.ts). The tables and the label TIFF's encoder then take the
 * runs instead of scanning the label image again (the plain chain's labels come with their runs the same way,
 * `labelBitMask`): a `cellcoloc run` with declumping spent ~15 ms more in its export than without (measured).
 *
 * Built on first use (`lazyLabelRuns`): the segmentation stage pays only for recording the pieces' runs.
 */
import type { LabelRuns } from '../../core/label-runs.js';
import type { Runs } from '../runs.js';

/** The split pieces' runs: global row, x0, x1 (exclusive), object id; 4 ints each. */
export class PieceRuns {
  data = new Int32Array(1024);
  count = 0;
  private rows: { start: Int32Array; order: Int32Array } | null = null;
  push(row: number, x0: number, x1: number, id: number): void {
    if (4 * (this.count + 1) > this.data.length) {
      const grown = new Int32Array(2 * this.data.length);
      grown.set(this.data);
      this.data = grown;
    }
    const k = 4 * this.count++;
    this.data[k] = row;
    this.data[k + 1] = x0;
    this.data[k + 2] = x1;
    this.data[k + 3] = id;
    this.rows = null;
  }
  /**
   * The runs bucketed by row (counting sort), in x order within a row: the runs of row r are
   * `order[start[r]] … order[start[r + 1] − 1]`. Within a row a component's runs come in x order, and the runs of
   * two components sharing a row are put in x order by insertion (a handful per row). Made once, for the paint and
   * the label runs.
   */
  byRow(rows: number): { start: Int32Array; order: Int32Array } {
    if (this.rows && this.rows.start.length === rows + 1) return this.rows;
    const np = this.count;
    const pd = this.data;
    const start = new Int32Array(rows + 1);
    for (let t = 0; t < np; t++) start[pd[4 * t] + 1]++;
    for (let r = 0; r < rows; r++) start[r + 1] += start[r];
    const order = new Int32Array(np);
    const next = start.slice(0, rows);
    for (let t = 0; t < np; t++) {
      const r = pd[4 * t];
      let at = next[r]++;
      while (at > start[r] && pd[4 * order[at - 1] + 1] > pd[4 * t + 1]) {
        order[at] = order[at - 1];
        at--;
      }
      order[at] = t;
    }
    return (this.rows = { start, order });
  }
}

/**
 * Raster-order runs of the labels: per row, the whole components' runs (`direct[comp]` ≠ 0) and the pieces' runs
 * merged by x. Runs never overlap (each voxel has one label) and are maximal: a whole component's run is a maximal
 * run of the mask, and the paste kernel reports maximal runs of one piece within its box rows (other components'
 * voxels, the only other labels there, interrupt them).
 */
export function declumpedLabelRuns(runs: Runs, rows: number, X: number, direct: Uint32Array, pieces: PieceRuns): LabelRuns {
  const { rowStart, x0, x1, comp } = runs;
  const np = pieces.count;
  const pd = pieces.data;
  const { start: pStart, order } = pieces.byRow(rows);
  let nWhole = 0;
  for (let k = 0; k < runs.count; k++) if (direct[comp[k]] !== 0) nWhole++;
  const n = nWhole + np;
  const start = new Float64Array(n);
  const length = new Int32Array(n);
  const label = new Float64Array(n);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * X;
    let k = rowStart[r];
    const kEnd = rowStart[r + 1];
    let q = pStart[r];
    const qEnd = pStart[r + 1];
    while (k < kEnd || q < qEnd) {
      while (k < kEnd && direct[comp[k]] === 0) k++;
      const wholeX = k < kEnd ? x0[k] : Infinity;
      const pieceX = q < qEnd ? pd[4 * order[q] + 1] : Infinity;
      if (wholeX === Infinity && pieceX === Infinity) break;
      if (wholeX < pieceX) {
        start[o] = base + x0[k];
        length[o] = x1[k] - x0[k];
        label[o++] = direct[comp[k++]];
      } else {
        const t = 4 * order[q++];
        start[o] = base + pd[t + 1];
        length[o] = pd[t + 2] - pd[t + 1];
        label[o++] = pd[t + 3];
      }
    }
  }
  return { n, start, length, label };
}

/** A `LabelRuns` whose arrays are built by `build` when first read. */
export function lazyLabelRuns(build: () => LabelRuns): LabelRuns {
  let built: LabelRuns | null = null;
  const get = (): LabelRuns => (built ??= build());
  return {
    get n() {
      return get().n;
    },
    get start() {
      return get().start;
    },
    get length() {
      return get().length;
    },
    get label() {
      return get().label;
    },
  };
}
