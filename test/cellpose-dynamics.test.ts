/**
 * Cellpose mask stage (issue 7, internals §9–13) against Cellpose's own outputs in
 * `test/fixtures/cellpose/` (v3.1.1.3 and v4 HEAD, CPU) and the upstream CellColoc cache fixture.
 * Everything here is exact: positions bit-for-bit, masks label-for-label, flow errors to 1e-12.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from './helpers/npy.js';
import { CELLPOSE_FIXTURES, caseDir, readJson, readTiffPagesReference } from './helpers/fixtures.js';
import {
  computeMasks,
  followFlows,
  followFlowsOptions,
  foregroundIndices,
  getMasks,
  masksToFlows,
  flowError,
  removeBadFlowMasks,
  fillHolesAndRemoveSmallMasks,
  stitch3D,
  renumberInPlace,
  dynamicsHelperStats,
} from '../src/segmentation/cellpose/dynamics/index.js';
import type { MaskParams } from '../src/segmentation/cellpose/types.js';

const CP = CELLPOSE_FIXTURES;
const DYN = join(CP, 'dynamics');
const V3 = join(CP, 'v3net');
const V4 = join(CP, 'v4net');

const f32 = (p: string): Float32Array => {
  const d = readNpy(p).data;
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
};
const labels = (p: string): Uint32Array => Uint32Array.from(readNpy(p).data as ArrayLike<number>);
const f64 = (p: string): Float64Array => readNpy(p).data as Float64Array;

/** `dyn256_p_final_cp0.npy` is stored in Fortran order: (2, n) float32 → C-order rows (y, x). */
function f32MatrixAnyOrder(p: string): Float32Array {
  const buf = readFileSync(p);
  const hl = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + hl);
  const [r, c] = /'shape':\s*\((\d+),\s*(\d+)\)/.exec(header)!.slice(1).map(Number);
  const raw = new Float32Array(new Uint8Array(buf.subarray(10 + hl, 10 + hl + 4 * r * c)).buffer);
  if (!/'fortran_order':\s*True/.test(header)) return raw;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = raw[j * r + i];
  return out;
}

function maxOf(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

function assertSameLabels(ours: Uint32Array, ref: Uint32Array, what: string): void {
  assert.equal(ours.length, ref.length, `${what}: size`);
  let diffs = 0;
  let first = -1;
  for (let i = 0; i < ref.length; i++)
    if (ours[i] !== ref[i]) {
      if (first < 0) first = i;
      diffs++;
    }
  assert.equal(diffs, 0, `${what}: ${diffs} differing pixels (first at ${first}: ours ${ours[first]}, Cellpose ${ref[first]})`);
}

const params = (o: Partial<MaskParams> & Pick<MaskParams, 'cellposeVersion'>): MaskParams => ({
  cellprobThreshold: 0,
  flowThreshold: 0.4,
  minSize: 15,
  maxSizeFraction: 0.4,
  niter: 200,
  do3d: false,
  stitchThreshold: 0,
  ...o,
});

const dP256 = f32(join(DYN, 'dyn256_dP.npy'));
const cp256 = f32(join(DYN, 'dyn256_cellprob.npy'));
const SHAPE256: [number, number, number] = [1, 256, 256];

for (const v of [4, 3] as const) {
  const dir = join(DYN, `v${v}`);
  test(`dynamics v${v}: p_final bit-exact, masks before QC, flow errors (dyn256, cellprob 0)`, () => {
    const inds = foregroundIndices(cp256, 0);
    assert.equal(inds.length, 11003); // README: n_pix 11003
    const p = followFlows(dP256, inds, SHAPE256, 200, v);
    const ref = f32MatrixAnyOrder(join(dir, 'dyn256_p_final_cp0.npy'));
    assert.equal(ref.length, 2 * 11003);
    let diffs = 0;
    for (let i = 0; i < ref.length; i++) if (!Object.is(ref[i], p[i])) diffs++;
    assert.equal(diffs, 0, `${diffs} of 22006 coordinates differ from Cellpose v${v}`);

    const masks = getMasks(p, inds, SHAPE256, 0.4);
    const before = labels(join(dir, 'dyn256_masks_before_qc_cp0.npy'));
    assertSameLabels(masks, before, `v${v} masks before QC`);
    assert.equal(maxOf(masks), 22);

    const err = flowError(before, dP256, 256, 256, v);
    const eref = f64(join(dir, 'dyn256_flow_errors_cp0.npy'));
    assert.equal(err.length, 22);
    for (let i = 0; i < 22; i++) assert.ok(Math.abs(err[i] - eref[i]) <= 1e-12, `label ${i + 1}: ${err[i]} vs ${eref[i]}`);
    // README: noisy label 9 far above any threshold; label 4 0.21 (v3) / 0.23 (v4)
    assert.ok(err[8] > 1.4);
    assert.ok(Math.abs(err[3] - (v === 4 ? 0.23181 : 0.21303)) < 1e-5);

    const qc = before.slice();
    removeBadFlowMasks(qc, dP256, 256, 256, 0.4, v);
    const left = new Set(qc);
    left.delete(0);
    assert.equal(left.size, 21);
    assert.ok(!left.has(9), 'label 9 removed by QC (error > 0.4), ids not renumbered');
  });

  if (v === 4) {
    test('v4 followFlows: the JavaScript fallback gives the same bits as the WebAssembly default (upstream cache, niter 400)', () => {
      const E = join(caseDir('2d_two_channel_cellpose_fullroi'), 'expected', 'cellpose_cache');
      const dP = f32(join(E, 'cell_roi1_dP.npy'));
      const inds = foregroundIndices(f32(join(E, 'cell_roi1_cellprob.npy')), -0.75);
      const a = followFlows(dP, inds, [1, 192, 192], 400, 4);
      followFlowsOptions.v4Engine = 'js';
      try {
        const b = followFlows(dP, inds, [1, 192, 192], 400, 4);
        let diffs = 0;
        for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) diffs++;
        assert.equal(diffs, 0);
        // and the JS path reproduces Cellpose's dyn256 positions too
        const ind256 = foregroundIndices(cp256, 0);
        const p = followFlows(dP256, ind256, SHAPE256, 200, 4);
        const ref = f32MatrixAnyOrder(join(dir, 'dyn256_p_final_cp0.npy'));
        for (let i = 0; i < ref.length; i++) if (!Object.is(ref[i], p[i])) diffs++;
        assert.equal(diffs, 0);
      } finally {
        followFlowsOptions.v4Engine = 'wasm';
      }
    });

    test('v4 with the helper thread (forced on small jobs): followFlows bits, masks and flow errors as Cellpose', () => {
      const saved = followFlowsOptions.helperMinPoints;
      followFlowsOptions.helperMinPoints = 0;
      try {
        const ind256 = foregroundIndices(cp256, 0);
        const before = dynamicsHelperStats.jobsDone;
        const p = followFlows(dP256, ind256, SHAPE256, 200, 4);
        assert.equal(dynamicsHelperStats.jobsDone, before + 1, 'the helper thread did its share');
        const ref = f32MatrixAnyOrder(join(dir, 'dyn256_p_final_cp0.npy'));
        let diffs = 0;
        for (let i = 0; i < ref.length; i++) if (!Object.is(ref[i], p[i])) diffs++;
        assert.equal(diffs, 0);
        const m = computeMasks(dP256, cp256, SHAPE256, params({ cellposeVersion: 4 }));
        assertSameLabels(m, labels(join(dir, 'dyn256_masks_cp0_ft0.4_ms15.npy')), 'v4 cp0 ft0.4 with helper');
        // the v4 heat diffusion of the flow-error QC split between the threads
        const jobs = dynamicsHelperStats.jobsDone;
        const err = flowError(labels(join(dir, 'dyn256_masks_before_qc_cp0.npy')), dP256, 256, 256, 4);
        assert.equal(dynamicsHelperStats.jobsDone, jobs + 1, 'the helper diffused its share of the cells');
        const eref = f64(join(dir, 'dyn256_flow_errors_cp0.npy'));
        for (let i = 0; i < 22; i++) assert.ok(Math.abs(err[i] - eref[i]) <= 1e-12, `label ${i + 1}: ${err[i]} vs ${eref[i]}`);
      } finally {
        followFlowsOptions.helperMinPoints = saved;
      }
    });
  }

  for (const [name, cpt, ft, ms, n] of [
    ['cp0_ft0.4_ms15', 0, 0.4, 15, 21],
    ['cp1_ft0.2_ms15', 1, 0.2, 15, 20],
    ['cp0_ft0_ms30', 0, 0, 30, 21],
  ] as const) {
    test(`computeMasks v${v} dyn256 ${name} equals Cellpose (${n} masks)`, () => {
      const m = computeMasks(dP256, cp256, SHAPE256, params({ cellposeVersion: v, cellprobThreshold: cpt, flowThreshold: ft, minSize: ms }));
      assertSameLabels(m, labels(join(dir, `dyn256_masks_${name}.npy`)), `v${v} ${name}`);
      assert.equal(maxOf(m), n);
    });
  }

  test(`masksToFlows v${v} equals Cellpose (mtf64)`, () => {
    const mt = labels(join(DYN, 'mtf64_masks.npy'));
    const mu = masksToFlows(mt, 64, 64, v);
    const ref = f64(join(dir, `mtf64_flows_${v === 4 ? 'v4' : 'v3cpu'}.npy`));
    let maxd = 0;
    for (let i = 0; i < ref.length; i++) maxd = Math.max(maxd, Math.abs(ref[i] - mu[i]));
    assert.ok(maxd < 1e-12, `max |Δμ| ${maxd}`);
  });
}

test('v3 eval masks (CPnet E1/E2): QC, the v3.1 sorted-index min_size quirk, niter 113', () => {
  for (const [e, niter, ft, file, n] of [
    ['e1', 200, 0.4, 'e1_masks', 1],
    ['e1', 200, 0, 'e1_masks_flowthr0', 90],
    ['e2', 113, 0.4, 'e2_masks', 0],
    ['e2', 113, 0, 'e2_masks_flowthr0', 56],
  ] as const) {
    const m = computeMasks(f32(join(V3, `${e}_dP.npy`)), f32(join(V3, `${e}_cellprob.npy`)), [1, 128, 128], params({ cellposeVersion: 3, niter, flowThreshold: ft }));
    assertSameLabels(m, labels(join(V3, `${file}.npy`)), file);
    assert.equal(maxOf(m), n, file);
  }
});

test('v4 eval masks (cpsam V4E1 256 masks, V4E2 cellprob −3 niter 100: 1024 masks)', () => {
  for (const [e, niter, cpt, n] of [
    ['v4e1', 200, 0, 256],
    ['v4e2', 100, -3, 1024],
  ] as const) {
    const m = computeMasks(f32(join(V4, `${e}_dP.npy`)), f32(join(V4, `${e}_cellprob.npy`)), [1, 128, 128], params({ cellposeVersion: 4, niter, cellprobThreshold: cpt }));
    assertSameLabels(m, labels(join(V4, `${e}_masks.npy`)), e);
    assert.equal(maxOf(m), n, e);
  }
});

test('stitch3D and 3-D fill/min size reproduce E3 (272 → 212 labels, v3.1 removal quirk)', () => {
  const shape: [number, number, number] = [8, 64, 64];
  const st = stitch3D(labels(join(V3, 'e3_masks_per_plane.npy')), shape, 0.25);
  assertSameLabels(st, labels(join(V3, 'e3_stitch3D_output.npy')), 'stitch3D');
  assert.equal(maxOf(st), 272);
  const filled = fillHolesAndRemoveSmallMasks(st, shape, 15, 3, 3);
  assertSameLabels(filled, labels(join(V3, 'e3_masks_stitched.npy')), '3-D fill/min size');
  assert.equal(maxOf(filled), 212);
});

test('3-D dynamics (trilinear grid_sample, 5³/11³ clustering, no QC) reproduce E4: 155 labels', () => {
  const m = computeMasks(f32(join(V3, 'e4_dP.npy')), f32(join(V3, 'e4_cellprob.npy')), [8, 64, 64], params({ cellposeVersion: 3, do3d: true }));
  assertSameLabels(m, labels(join(V3, 'e4_masks.npy')), 'E4');
  assert.equal(maxOf(m), 155);
});

test('upstream 2d_two_channel_cellpose_fullroi: cell masks from the cache (45 raw; refined 86 raw)', async () => {
  const E = join(caseDir('2d_two_channel_cellpose_fullroi'), 'expected');
  const dP = f32(join(E, 'cellpose_cache', 'cell_roi1_dP.npy'));
  const cp = f32(join(E, 'cellpose_cache', 'cell_roi1_cellprob.npy'));
  const meta = readJson(join(E, 'cellpose.json'));
  const runs = [
    [meta.compute_masks_calls_run[0], meta.size_filter_run[0], 'cell_masks.tif'],
    [meta.compute_masks_calls_refine[0], meta.size_filter_refine[0], join('refined', 'cell_masks.tif')],
  ] as const;
  for (const [call, filter, tif] of runs) {
    const k = call.kwargs;
    const m = computeMasks(dP, cp, [1, 192, 192], {
      cellprobThreshold: k.cellprob_threshold,
      flowThreshold: k.flow_threshold,
      minSize: k.min_size,
      maxSizeFraction: k.max_size_fraction,
      niter: k.niter,
      do3d: k.do_3D,
      stitchThreshold: k.stitch_threshold,
      cellposeVersion: 4,
    });
    assert.equal(maxOf(m), call.n_masks, `${tif}: raw mask count`);
    const ref = await readTiffPagesReference(join(E, tif));
    let mismatched = 0;
    const extra = new Set<number>();
    for (let i = 0; i < m.length; i++) {
      if (ref.data[i] !== 0 && ref.data[i] !== m[i]) mismatched++;
      if (ref.data[i] === 0 && m[i] !== 0) extra.add(m[i]);
    }
    assert.equal(mismatched, 0, `${tif}: non-zero expected voxels that differ`);
    assert.deepEqual([...extra].sort((a, b) => a - b), filter.removed_labels, `${tif}: our extra ids = the ids min_cell_voxels removed`);
  }
});

test('hand-made cases: renumber, fill holes overwriting an inner mask, v3.1 removal by sorted index', () => {
  const r = Uint32Array.from([0, 7, 7, 3, 0, 9, 3]);
  assert.equal(renumberInPlace(r), 3);
  assert.deepEqual([...r], [0, 1, 1, 2, 0, 3, 2]);

  // 5×5 ring of label 1 around a single pixel of label 2: filling label 1 overwrites label 2.
  const ring = new Uint32Array(25);
  for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) if (y === 0 || y === 4 || x === 0 || x === 4) ring[y * 5 + x] = 1;
  ring[12] = 2;
  const filled = fillHolesAndRemoveSmallMasks(ring.slice(), [1, 5, 5], 0, 4);
  assert.ok(filled.every((v) => v === 1));

  // Labels {2 (20 px), 5 (3 px), 6 (20 px)}: a correct min_size 10 removes 5; v3.1 maps
  // sorted index 1 (the 3-px label) to id 2 and removes label 2 instead; after renumbering
  // {5→1, 6→2} its second pass (consecutive ids now) removes the 3-px mask: one mask left.
  const m = new Uint32Array(100);
  for (let i = 0; i < 20; i++) m[i] = 2;
  for (let i = 40; i < 43; i++) m[i] = 5;
  for (let i = 60; i < 80; i++) m[i] = 6;
  const v4 = fillHolesAndRemoveSmallMasks(m.slice(), [1, 10, 10], 10, 4);
  assert.equal(maxOf(v4), 2);
  assert.equal(v4[0], 1);
  assert.equal(v4[40], 0);
  assert.equal(v4[60], 2);
  const v3 = fillHolesAndRemoveSmallMasks(m.slice(), [1, 10, 10], 10, 3);
  assert.equal(v3[0], 0, 'v3.1 removed label 2 (index 1 + 1)');
  assert.equal(v3[40], 0);
  assert.equal(v3[60], 1);
  assert.equal(maxOf(v3), 1);
});

test('stitch3D: hand-made two-plane IoU linking and new ids', () => {
  // plane 0: label 1 at x 0..3, label 2 at x 6..9; plane 1: label 1 at x 1..4 (IoU 3/5 with 1), label 2 at x 8..9 (IoU 2/4 with 2)
  const m = new Uint32Array(20);
  for (let x = 0; x < 4; x++) m[x] = 1;
  for (let x = 6; x < 10; x++) m[x] = 2;
  for (let x = 1; x < 5; x++) m[10 + x] = 1;
  for (let x = 8; x < 10; x++) m[10 + x] = 2;
  const a = stitch3D(m.slice(), [2, 1, 10], 0.25);
  assert.deepEqual([...a.subarray(10)], [0, 1, 1, 1, 1, 0, 0, 0, 2, 2]);
  // threshold 0.55: plane-1 label 2 (IoU 0.5) gets a new id 3
  const b = stitch3D(m.slice(), [2, 1, 10], 0.55);
  assert.deepEqual([...b.subarray(10)], [0, 1, 1, 1, 1, 0, 0, 0, 3, 3]);
});

test('computeMasks on a 2-plane stack with stitching: identical planes link to the same ids', () => {
  const plane = 256 * 256;
  const dP = new Float32Array(4 * plane);
  dP.set(dP256.subarray(0, plane), 0); // dY z0
  dP.set(dP256.subarray(0, plane), plane); // dY z1
  dP.set(dP256.subarray(plane), 2 * plane); // dX z0
  dP.set(dP256.subarray(plane), 3 * plane); // dX z1
  const cp = new Float32Array(2 * plane);
  cp.set(cp256, 0);
  cp.set(cp256, plane);
  const p = params({ cellposeVersion: 4, stitchThreshold: 0.25 });
  const st = computeMasks(dP, cp, [2, 256, 256], p);
  assertSameLabels(st.slice(plane), st.slice(0, plane), 'plane 1 vs plane 0');
  // Every mask of the 2-D result (v4, QC 0.4, 21 masks, all ≥ 15 px) spans both planes with one id.
  const twoD = computeMasks(dP256, cp256, SHAPE256, p);
  assertSameLabels(st.slice(0, plane), twoD, 'stitched plane 0 vs 2-D masks');
  assert.equal(maxOf(st), 21);
  // Without stitching the planes are labelled independently (Cellpose: "masks are made per plane only").
  const per = computeMasks(dP, cp, [2, 256, 256], params({ cellposeVersion: 4 }));
  assertSameLabels(per.slice(plane), twoD, 'per-plane labels, plane 1');
});
