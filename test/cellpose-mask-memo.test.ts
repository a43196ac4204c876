/**
 * Fast re-thresholding for the viewer's sliders (issue 8 item 7): `MaskMemo` must give exactly `computeMasks`'s
 * labels for any sequence of thresholds while reusing trajectories / pre-QC masks; the tracked WebAssembly
 * integration must give the same bits as `followFlows`; the cache-entry and measurement memos must return the
 * remembered object only when nothing changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from './helpers/npy.js';
import { CELLPOSE_FIXTURES } from './helpers/fixtures.js';
import {
  MaskMemo,
  computeMasks,
  followFlows,
  followFlowsOptions,
  followFlowsTracked,
  foregroundIndices,
  masksToFlows,
  dynamicsHelperStats,
  flowError,
} from '../src/segmentation/cellpose/dynamics/index.js';
import { CacheEntryMemo, readCacheEntry, writeCacheEntry } from '../src/segmentation/cellpose/cache.js';
import { MeasurementMemo, measureObjects } from '../src/tables/object-measurements.js';
import type { MaskParams } from '../src/segmentation/cellpose/types.js';

const DYN = join(CELLPOSE_FIXTURES, 'dynamics');
const f32 = (p: string): Float32Array => {
  const d = readNpy(p).data;
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
};
const dP256 = f32(join(DYN, 'dyn256_dP.npy'));
const cp256 = f32(join(DYN, 'dyn256_cellprob.npy'));

const params = (o: Partial<MaskParams>): MaskParams => ({
  cellprobThreshold: 0,
  flowThreshold: 0.4,
  minSize: 15,
  maxSizeFraction: 0.4,
  niter: 200,
  do3d: false,
  stitchThreshold: 0,
  cellposeVersion: 4,
  ...o,
});

function diffCount(a: Uint32Array, b: Uint32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

const maxOf = (a: Uint32Array): number => a.reduce((m, v) => (v > m ? v : m), 0);

/**
 * Cellpose-like output of disk cells (radius 6–11 px, some touching) on L×L: dP = 5·μ (v4 heat flows, the
 * training target), one cell in 7 perturbed so the QC has work; a smooth cellprob logit 8·(1 − r/R) − 1 inside,
 * −4 outside, so every threshold in [−1, 1] moves every boundary (the realistic case for the slider).
 */
function diskFlows(L: number, seed: number): { dP: Float32Array; cellprob: Float32Array } {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const masks = new Uint32Array(L * L);
  const cells: [number, number, number][] = [];
  for (let cy = 12; cy < L - 6; cy += 22)
    for (let cx = 12; cx < L - 6; cx += 22) {
      const r = 6 + rnd() * 5;
      const y0 = cy + (rnd() - 0.5) * 8;
      const x0 = cx + (rnd() - 0.5) * 8;
      cells.push([y0, x0, r]);
      for (let y = Math.max(0, Math.floor(y0 - r)); y <= Math.min(L - 1, Math.ceil(y0 + r)); y++)
        for (let x = Math.max(0, Math.floor(x0 - r)); x <= Math.min(L - 1, Math.ceil(x0 + r)); x++)
          if ((y - y0) ** 2 + (x - x0) ** 2 <= r * r && !masks[y * L + x]) masks[y * L + x] = cells.length;
    }
  const mu = masksToFlows(masks, L, L, 4);
  const dP = new Float32Array(2 * L * L);
  const cellprob = new Float32Array(L * L);
  for (let q = 0; q < L * L; q++) {
    const id = masks[q];
    const y = Math.floor(q / L);
    const x = q % L;
    const wob = id && id % 7 === 0 ? 3 * Math.sin(y / 2) * Math.cos(x / 3) : 0;
    dP[q] = 5 * mu[q] + wob;
    dP[L * L + q] = 5 * mu[L * L + q] - wob;
    cellprob[q] = id ? 8 * (1 - Math.hypot(y - cells[id - 1][0], x - cells[id - 1][1]) / cells[id - 1][2]) - 1 : -4;
  }
  return { dP, cellprob };
}

const MOVES: [number, number][] = [
  [0, 0.4],
  [-0.5, 0.4],
  [0.5, 0.4],
  [0.5, 0.8], // flow only
  [0.5, 0.1], // flow only
  [0.5, 0], // QC off
  [1.5, 0.4],
  [-1, 0.4],
  [-3, 0.4], // beyond every rim: same foreground as −1 except the outside
  [0, 0.4], // back to the start
  [20, 0.4], // nothing above the threshold
  [0, 0.4],
];

for (const version of [4, 3] as const)
test(`MaskMemo: every slider move gives exactly computeMasks (synthetic smooth cellprob, 256², v${version}), reusing trajectories`, () => {
  const { dP, cellprob } = diskFlows(256, 5);
  const memo = new MaskMemo();
  const shape: [number, number, number] = [1, 256, 256];
  let reusedAny = 0;
  let planesReused = 0;
  for (const [cp, fl] of MOVES) {
    memo.resetStats();
    const p = params({ cellprobThreshold: cp, flowThreshold: fl, cellposeVersion: version });
    const a = memo.computeMasks(dP, cellprob, shape, p);
    const b = computeMasks(dP, cellprob, shape, p);
    assert.equal(diffCount(a, b), 0, `cellprob ${cp}, flow ${fl}`);
    if (cp < 20) assert.ok(maxOf(b) > 50, `cellprob ${cp}: ${maxOf(b)} masks (the case must have cells)`);
    reusedAny += memo.stats.reused;
    planesReused += memo.stats.planesReused;
    if (cp === 0.5 && fl !== 0.4) assert.equal(memo.stats.planesReused, 1, 'a flow-only move reuses the plane whole');
    if (cp === -0.5) {
      // a half-unit move changes a one-pixel ring per cell: most trajectories are reused
      assert.ok(memo.stats.reused > memo.stats.integrated, `reused ${memo.stats.reused}, integrated ${memo.stats.integrated}`);
    }
  }
  assert.ok(reusedAny > 0 && planesReused === 3);
});

test('MaskMemo equals computeMasks on the Cellpose dyn256 fixture (v4 and v3) and on a stack segmented per plane', () => {
  for (const v of [4, 3] as const) {
    const memo = new MaskMemo();
    for (const [cp, fl] of [[0, 0.4], [1, 0.2], [1, 0.4], [-1, 0.4], [0, 0], [0.5, 0.6]] as const) {
      const p = params({ cellposeVersion: v, cellprobThreshold: cp, flowThreshold: fl });
      assert.equal(diffCount(memo.computeMasks(dP256, cp256, [1, 256, 256], p), computeMasks(dP256, cp256, [1, 256, 256], p)), 0, `v${v} ${cp}/${fl}`);
    }
  }
  // two planes (dyn256 and a copy shifted by 7 columns): per-plane labels, and stitching
  const plane = 256 * 256;
  const cp2 = new Float32Array(2 * plane);
  const dP2 = new Float32Array(4 * plane);
  const shifted = (src: Float32Array, off: number, dst: Float32Array, dOff: number) => {
    for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) dst[dOff + y * 256 + x] = src[off + y * 256 + ((x + 7) % 256)];
  };
  cp2.set(cp256, 0);
  shifted(cp256, 0, cp2, plane);
  dP2.set(dP256.subarray(0, plane), 0);
  shifted(dP256, 0, dP2, plane);
  dP2.set(dP256.subarray(plane), 2 * plane);
  shifted(dP256, plane, dP2, 3 * plane);
  for (const stitch of [0, 0.25]) {
    const memo = new MaskMemo();
    for (const [cp, fl] of [[0, 0.4], [0.5, 0.4], [0.5, 0.2], [-0.5, 0.4]] as const) {
      const p = params({ cellprobThreshold: cp, flowThreshold: fl, stitchThreshold: stitch });
      const ref = computeMasks(dP2, cp2, [2, 256, 256], p);
      assert.ok(maxOf(ref.subarray(plane)) > 10, 'the second plane has cells');
      assert.equal(diffCount(memo.computeMasks(dP2, cp2, [2, 256, 256], p), ref), 0, `stack stitch ${stitch} ${cp}/${fl}`);
    }
    assert.equal(memo.stats.planes, 8);
    assert.equal(memo.stats.planesReused, 2, 'the flow-only move reused both planes');
  }
});

for (const version of [4, 3] as const)
test(`tracked v${version} integration: same bits as followFlows for a subset, tap boxes contain the start pixel; with the helper thread too`, () => {
  const inds = foregroundIndices(cp256, 0);
  const all = followFlows(dP256, inds, [1, 256, 256], 200, version);
  const n = inds.length;
  // two points in three (more than one block of 4096, so the helper thread can take a share)
  const subset = Uint32Array.from({ length: n }, (_, k) => k).filter((k) => k % 3 !== 0);
  assert.ok(subset.length > 4096);
  for (const helper of [false, true]) {
    const saved = followFlowsOptions.helperMinPoints;
    if (helper) followFlowsOptions.helperMinPoints = 0;
    try {
      const jobs = dynamicsHelperStats.jobsDone;
      const t = followFlowsTracked(dP256, inds, subset, 256, 256, 200, version);
      assert.ok(t, 'WebAssembly is available');
      if (helper) assert.equal(dynamicsHelperStats.jobsDone, jobs + 1, 'the helper did its share');
      const m = subset.length;
      let diffs = 0;
      for (let k = 0; k < m; k++) {
        if (!Object.is(t.p[k], all[subset[k]]) || !Object.is(t.p[m + k], all[n + subset[k]])) diffs++;
        const q = inds[subset[k]];
        const y = Math.floor(q / 256);
        const x = q % 256;
        const [jmin, jmax, imin, imax] = t.taps.subarray(4 * k, 4 * k + 4);
        // the first step samples at u = p·L/(L−1) − 0.5, i.e. taps at rows floor(u) and floor(u) + 1 around y
        assert.ok(jmin <= y && y <= jmax + 1 && imin <= x && x <= imax + 1, `point ${k}: box [${jmin}, ${jmax}]×[${imin}, ${imax}] vs (${y}, ${x})`);
      }
      assert.equal(diffs, 0, helper ? 'with the helper thread' : 'main thread');
    } finally {
      followFlowsOptions.helperMinPoints = saved;
    }
  }
});

test('CacheEntryMemo returns the kept entry until the file changes; MeasurementMemo only for identical labels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-memo-'));
  try {
    const w = 8;
    const input = {
      key: 'k',
      channel: 'cell' as const,
      roiId: 1,
      box: { yMin: 0, yMax: w, xMin: 0, xMax: w },
      z0: 0,
      net: { shape: [1, w, w] as [number, number, number], do3d: false, dP: new Float32Array(2 * w * w).fill(0.5), cellprob: new Float32Array(w * w).fill(1) },
      roiMask: new Uint8Array(w * w).fill(1),
      model: { path: 'm.onnx', sha256: 'x', cellposeVersion: 4 as const, architecture: 'cpsam' },
      network: { modelSha256: 'x', diameter: null, do3d: false, anisotropy: null, flow3dSmooth: 0, zAxis: 0, channelAxis: null, prefilter: { names: [], sigmaXy: 1, sigmaZ: null, medianSizeXy: 3, medianSizeZ: null } },
      mask: params({}),
    };
    const path = await writeCacheEntry(dir, input);
    const memo = new CacheEntryMemo();
    const a = await memo.readEntry(path);
    assert.ok(a);
    assert.equal(await memo.readEntry(path), a, 'second read: the same object');
    await writeCacheEntry(dir, { ...input, net: { ...input.net, cellprob: new Float32Array(w * w).fill(2) } });
    utimesSync(path, new Date(), new Date(Date.now() + 5000)); // a rewrite within the clock's resolution still counts
    const b = await memo.readEntry(path);
    assert.notEqual(b, a);
    assert.equal(b!.cellprob[0], 2);
    assert.deepEqual(b!.cellprob, (await readCacheEntry(path))!.cellprob);
    assert.equal(await memo.readEntry(join(dir, 'missing.cpcache')), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const labels = { data: new Uint32Array([0, 1, 1, 0, 2, 2, 2, 0, 0]), shape: [1, 3, 3] as [number, number, number] };
  const intensity = { data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), shape: [1, 3, 3] as [number, number, number] };
  const mm = new MeasurementMemo();
  const m1 = mm.measure(labels, intensity, null, [1, 1, 1]);
  assert.deepEqual(m1, measureObjects(labels, intensity, null, [1, 1, 1]));
  const copy = { data: labels.data.slice(), shape: labels.shape };
  assert.equal(mm.measure(copy, intensity, null, [1, 1, 1]), m1, 'identical labels: the remembered pass');
  copy.data[8] = 2;
  const m2 = mm.measure(copy, intensity, null, [1, 1, 1]);
  assert.notEqual(m2, m1);
  assert.deepEqual(Array.from(m2.count), [2, 4]);
  assert.notEqual(mm.measure(labels, intensity, null, [1, 1, 0.5]), m1, 'another voxel size: measured again');
  labels.data[0] = 1; // the memo kept its own copy: a caller changing its array is not served the old pass
  assert.deepEqual(Array.from(mm.measure(labels, intensity, null, [1, 1, 1]).count), [3, 3]);
});

test('flow-error QC: the WebAssembly SIMD heat diffusion gives the same bits as the scalar code (v3, v4; helper thread on/off)', () => {
  const { dP } = diskFlows(256, 9);
  // masks: the clustering's labels of this case (touching cells, a few perturbed ones)
  const masks = computeMasks(dP, diskFlows(256, 9).cellprob, [1, 256, 256], params({ flowThreshold: 0 }));
  assert.ok(maxOf(masks) > 50);
  const saved = followFlowsOptions.helperMinPoints;
  try {
    for (const helper of [false, true]) {
      followFlowsOptions.helperMinPoints = helper ? 0 : saved;
      for (const v of [4, 3] as const) {
        followFlowsOptions.v4Engine = 'js';
        const errJs = flowError(masks, dP, 256, 256, v);
        const muJs = masksToFlows(masks, 256, 256, v);
        followFlowsOptions.v4Engine = 'wasm';
        const jobs = dynamicsHelperStats.jobsDone;
        const errWasm = flowError(masks, dP, 256, 256, v);
        if (helper && v === 4) assert.equal(dynamicsHelperStats.jobsDone, jobs + 1, 'the helper diffused its share');
        const muWasm = masksToFlows(masks, 256, 256, v);
        let d = 0;
        for (let i = 0; i < errJs.length; i++) if (!Object.is(errJs[i], errWasm[i])) d++;
        for (let i = 0; i < muJs.length; i++) if (!Object.is(muJs[i], muWasm[i])) d++;
        assert.equal(d, 0, `v${v}, helper ${helper}`);
      }
    }
  } finally {
    followFlowsOptions.helperMinPoints = saved;
    followFlowsOptions.v4Engine = 'wasm';
  }
});

test('v3 integration: the WebAssembly kernel gives the same bits as the JavaScript one (helper thread on/off)', () => {
  const { dP, cellprob } = diskFlows(256, 11);
  const inds = foregroundIndices(cellprob, -0.5);
  assert.ok(inds.length > 4096, 'more than one block, so the helper can take a share');
  const saved = followFlowsOptions.helperMinPoints;
  try {
    followFlowsOptions.v4Engine = 'js';
    const js = followFlows(dP, inds, [1, 256, 256], 200, 3);
    followFlowsOptions.v4Engine = 'wasm';
    for (const helper of [false, true]) {
      followFlowsOptions.helperMinPoints = helper ? 0 : 1 << 30;
      const jobs = dynamicsHelperStats.jobsDone;
      const w = followFlows(dP, inds, [1, 256, 256], 200, 3);
      assert.equal(dynamicsHelperStats.jobsDone, jobs + (helper ? 1 : 0));
      let d = 0;
      for (let i = 0; i < js.length; i++) if (!Object.is(js[i], w[i])) d++;
      assert.equal(d, 0, `helper ${helper}`);
    }
  } finally {
    followFlowsOptions.helperMinPoints = saved;
    followFlowsOptions.v4Engine = 'wasm';
  }
});
