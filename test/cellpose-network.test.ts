/**
 * Cellpose network stage against Cellpose's own outputs (`test/fixtures/cellpose/`, README there;
 * internals §3–8, §13) and the original CellColoc's refinement cache
 * (`upstream/2d_two_channel_cellpose_fullroi/expected/cellpose_cache`).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CELLPOSE_FIXTURES, caseDir, readJson } from './helpers/fixtures.js';
import { readNpy, readNpyF32 } from './helpers/npy.js';
import {
  loadCellposeModel,
  resolveModelPath,
  readModelInfo,
  normalizeChannelInPlace,
  runNet2D,
  runNetworkOnChannels,
  runCellposeNetwork,
  forwardTiles,
  tileGrid,
  padAxis,
  taperProfile,
  taperMask,
  planeLayout,
  resizePlanes,
  type CellposeModel,
} from '../src/segmentation/cellpose/network/index.js';
import { openImageStack } from '../src/io/image-stack.js';
import { gaussianFilter } from '../src/segmentation/kernels/gaussian.js';
import { writeIdentityOnnx } from './helpers/onnx-identity.js';
import { computeMasks } from '../src/segmentation/cellpose/dynamics/compute-masks.js';

const CP = CELLPOSE_FIXTURES;
const V3 = join(CP, 'v3net');
const V4 = join(CP, 'v4net');

const models: CellposeModel[] = [];
async function open(path: string): Promise<CellposeModel> {
  const m = await loadCellposeModel(path, { useGpu: false });
  models.push(m);
  return m;
}
after(async () => {
  for (const m of models) await m.close();
});

/** Channel c of an interleaved (…, C) uint16 array as float32. */
function channelOf(path: string, c: number): { data: Float32Array; shape: number[] } {
  const a = readNpy(path);
  const C = a.shape[a.shape.length - 1];
  const n = a.data.length / C;
  const out = new Float32Array(n);
  const src = a.data as Uint16Array;
  for (let i = 0; i < n; i++) out[i] = src[i * C + c];
  return { data: out, shape: a.shape.slice(0, -1) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** channels-last (…, K) → channel k as a flat array */
function lastAxis(a: Float32Array, K: number, k: number): Float32Array {
  const out = new Float32Array(a.length / K);
  for (let i = 0; i < out.length; i++) out[i] = a[i * K + k];
  return out;
}

const img2d = [0, 1].map((c) => channelOf(join(CP, 'inputs', 'img2d_128x128x2_uint16.npy'), c).data);
const img3d = [0, 1].map((c) => channelOf(join(CP, 'inputs', 'img3d_8x64x64x2_uint16.npy'), c).data);

test('normalisation: e1 input (1st/99th percentiles per channel) is bit-exact', () => {
  const expected = readNpyF32(join(V3, 'e1_input_normalized.npy')).data; // (128,128,2)
  for (let c = 0; c < 2; c++) {
    const x = Float32Array.from(img2d[c]);
    assert.equal(normalizeChannelInPlace(x, [1, 128, 128]), true);
    const e = lastAxis(expected, 2, c);
    let diff = 0;
    for (let i = 0; i < x.length; i++) if (x[i] !== e[i]) diff++;
    assert.equal(diff, 0, `channel ${c}: ${diff} values differ`);
  }
});

test('normalisation: constant channel is left alone; percentile range ≤ 1e-3 gives 0', () => {
  const x = new Float32Array(100).fill(7);
  assert.equal(normalizeChannelInPlace(x, [1, 10, 10]), false);
  assert.equal(x[0], 7);
  // 999 values of 5 and one of 6: the 1st and 99th percentiles are both 5 (rank 989.01 of 999) → range 0 → all zero
  const y = new Float32Array(1000).fill(5);
  y[999] = 6;
  assert.equal(normalizeChannelInPlace(y, [1, 10, 100]), true);
  assert.deepEqual(Array.from(new Set(y)), [0]);
  // 0..100 (101 values): percentiles 1 and 99 are exactly 1 and 99 → x ↦ (x − 1)/98
  const z = Float32Array.from({ length: 101 }, (_, i) => i);
  normalizeChannelInPlace(z, [1, 1, 101]);
  assert.equal(z[1], 0);
  assert.equal(z[99], 1);
  assert.equal(z[50], Math.fround(49 / 98));
});

test('tile grids, padding and taper match Cellpose (meta.json, taper_1d_*.npy)', () => {
  const meta = readJson(join(V3, 'meta.json')) as any;
  // E1 (v3): 128 → pad 8+8 → 144, one 144 tile
  assert.deepEqual(padAxis(128, null), [8, 8]);
  const g1 = tileGrid(144, 144, 224, 0.1, false);
  assert.deepEqual([g1.ly, g1.lx, g1.ystarts, g1.xstarts], [144, 144, [0], [0]]);
  assert.deepEqual(meta.e1.padded_LyLx, [144, 144]);
  // E2 (v3): 225 → pad (15, 16) → 256; tiles 224 at {0, 32}²
  assert.deepEqual(padAxis(225, null), [15, 16]);
  const g2 = tileGrid(256, 256, 224, 0.1, false);
  const ysub = [];
  const xsub = [];
  for (const ys of g2.ystarts) for (const xs of g2.xstarts) {
    ysub.push([ys, ys + g2.ly]);
    xsub.push([xs, xs + g2.lx]);
  }
  assert.deepEqual(ysub, meta.e2.tiles_ysub);
  assert.deepEqual(xsub, meta.e2.tiles_xsub);
  // E4 (v3): Z 8 → 12 + 8 + 12 = 32
  assert.deepEqual(padAxis(8, null), [12, 12]);
  // v4: 128 → 64 + 128 + 64 = 256 (one tile); V4E2 256 → 8+8 → 272, tiles at {0, 16}
  assert.deepEqual(padAxis(128, 256), [64, 64]);
  assert.deepEqual(padAxis(256, 256), [8, 8]);
  const g4 = tileGrid(272, 272, 256, 0.1, false);
  assert.deepEqual([g4.ly, g4.ystarts, g4.xstarts], [256, [0, 16], [0, 16]]);
  // upstream marker: 288 → 304, 2×2 tiles
  assert.deepEqual(padAxis(288, 256), [8, 8]);
  assert.deepEqual(tileGrid(304, 304, 256, 0.1, false).ystarts, [0, 48]);
  // v4 8-plane Z view: 124 + 8 + 124
  assert.deepEqual(padAxis(8, 256), [124, 124]);
  // augment: half-overlapping tiles, at least 2 per axis
  const ga = tileGrid(144, 144, 224, 0.1, true);
  assert.deepEqual([ga.Ly, ga.ly, ga.ystarts], [224, 224, [0, 0]]);
  // taper profiles are exact
  for (const B of [224, 256]) {
    const ref = readNpy(join(V3, `taper_1d_${B}.npy`)).data as Float64Array;
    const m = taperProfile(B);
    for (let i = 0; i < B; i++) assert.equal(m[i], ref[i], `taper ${B}[${i}]`);
  }
  // 144 tile = centre crop [40:184] of the 224 mask
  const ref224 = readNpy(join(V3, 'taper_1d_224.npy')).data as Float64Array;
  const m144 = taperMask(144, 144);
  assert.equal(m144[0], ref224[40] * ref224[40]);
  assert.equal(m144[143 * 144 + 5], ref224[183] * ref224[45]);
});

test('cv2 INTER_LINEAR by hand: half-pixel upsampling with edge replication, exact 2x shrink = 2x2 mean', () => {
  // 2 → 4: source positions (d + 0.5)/2 − 0.5 = −0.25 (clamped → 0), 0.25, 0.75, 1.25 (clamped → 1)
  assert.deepEqual(Array.from(resizePlanes(new Float32Array([0, 1]), 1, 1, 2, 1, 4)), [0, 0.25, 0.75, 1]);
  // [[0,1,2,3],[4,5,6,7]] → 1×2: (0+1+4+5)/4, (2+3+6+7)/4
  assert.deepEqual(Array.from(resizePlanes(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]), 1, 2, 4, 1, 2)), [2.5, 4.5]);
  // 3 → 2 (no area shortcut: only one axis changes): positions 0.25 and 1.75 → 0.25·10, 10 + 0.75·10
  assert.deepEqual(Array.from(resizePlanes(new Float32Array([0, 10, 20]), 1, 1, 3, 1, 2)), [2.5, 17.5]);
});

test('model resolution: names, env folder, missing files, metadata and sidecars', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-models-'));
  const saved = process.env.CELLCOLOC_MODELS;
  try {
    process.env.CELLCOLOC_MODELS = dir;
    assert.throws(
      () => resolveModelPath('cyto3'),
      (e: any) => e._tag === 'InputError' && e.message.includes(join(dir, 'cyto3.onnx')) && e.message.includes('export_cellpose_onnx.py'),
    );
    assert.throws(() => resolveModelPath(join(dir, 'nope.onnx')), (e: any) => e._tag === 'InputError' && e.message.includes('nope.onnx'));
    // a network without metadata and without a sidecar is refused (never guessed)
    copyFileSync(join(V4, 'cpsam_tiny_random.onnx'), join(dir, 'tiny.onnx'));
    assert.equal(resolveModelPath('tiny'), join(dir, 'tiny.onnx'));
    assert.throws(() => readModelInfo(join(dir, 'tiny.onnx')), (e: any) => e._tag === 'InputError' && e.message.includes('tiny.onnx.json'));
    await assert.rejects(loadCellposeModel('tiny', { useGpu: false }), (e: any) => e._tag === 'InputError');
    // incomplete sidecar names the missing key
    writeFileSync(join(dir, 'tiny.onnx.json'), JSON.stringify({ cellpose_version: '4', architecture: 'cpsam', input_channels: 3, tile_size: 256 }));
    assert.throws(() => readModelInfo(join(dir, 'tiny.onnx')), (e: any) => e.message.includes('diam_mean'));
    writeFileSync(join(dir, 'tiny.onnx.json'), readFileSync(join(V4, 'cpsam_tiny_random.onnx.json')));
    const info = readModelInfo(join(dir, 'tiny.onnx'));
    assert.deepEqual(info, { path: join(dir, 'tiny.onnx'), cellposeVersion: 4, architecture: 'cpsam', inputChannels: 3, tileSize: 256, diamMean: 30, diamLabels: null });
    const v3 = readModelInfo(join(V3, 'cpnet_small_v3.onnx'));
    assert.deepEqual([v3.cellposeVersion, v3.architecture, v3.inputChannels, v3.tileSize, v3.diamMean], [3, 'cpnet', 2, 224, 30]);
    // use_gpu on a CPU-only onnxruntime: warns and runs on the CPU
    const warnings: string[] = [];
    const m = await loadCellposeModel('tiny', { useGpu: true, warn: (w) => warnings.push(w) });
    try {
      if (m.provider === 'cpu') assert.match(warnings[0] ?? '', /CUDA execution provider is not available.*CPU/);
    } finally {
      await m.close();
    }
  } finally {
    if (saved === undefined) delete process.env.CELLCOLOC_MODELS;
    else process.env.CELLCOLOC_MODELS = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('v3 CPnet: e1 network batch matches torch (max |Δ| ≤ 1e-4)', async () => {
  const m = await open(join(V3, 'cpnet_small_v3.onnx'));
  const norm = readNpyF32(join(V3, 'e1_input_normalized.npy')).data;
  const tile = new Float32Array(2 * 144 * 144);
  for (let c = 0; c < 2; c++)
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) tile[c * 144 * 144 + (y + 8) * 144 + x + 8] = norm[(y * 128 + x) * 2 + c];
  const out = await forwardTiles(m, tile, 1, 144, 144);
  const ref = readNpyF32(join(V3, 'e1_net_output_batch.npy')).data;
  const d = maxAbsDiff(out, ref);
  assert.ok(d <= 1e-4, `max |Δ| = ${d}`);
});

test('v3 CPnet: e1 flows (one tile) and e2 (diameter 17: 225² resize, 4 tiles, resize back)', async () => {
  const m = await open(join(V3, 'cpnet_small_v3.onnx'));
  const e1 = await runNetworkOnChannels(m, img2d, [1, 128, 128], { do3d: false, diameter: null, anisotropy: null, flow3dSmooth: 0 });
  const d1 = maxAbsDiff(e1.dP, readNpyF32(join(V3, 'e1_dP.npy')).data);
  const c1 = maxAbsDiff(e1.cellprob, readNpyF32(join(V3, 'e1_cellprob.npy')).data);
  assert.ok(d1 <= 1e-3 && c1 <= 1e-3, `e1 dP ${d1}, cellprob ${c1}`);

  // run_net output in the rescaled geometry (225×225, channels last in the fixture)
  const norm = img2d.map((c) => {
    const x = Float32Array.from(c);
    normalizeChannelInPlace(x, [1, 128, 128]);
    return x;
  });
  const params = { do3d: false, diameter: 17, anisotropy: null, flow3dSmooth: 0 };
  const { out, Lyr, Lxr } = await runNet2D(m, norm, 128, 128, 30 / 17, params);
  assert.deepEqual([Lyr, Lxr], [225, 225]);
  const ref = readNpyF32(join(V3, 'e2_run_net_output_rescaled.npy')).data;
  let dr = 0;
  for (let k = 0; k < 3; k++) dr = Math.max(dr, maxAbsDiff(out.subarray(k * 225 * 225, (k + 1) * 225 * 225), lastAxis(ref, 3, k)));
  assert.ok(dr <= 1e-3, `e2 rescaled run_net output max |Δ| = ${dr}`);
  // cv2 resize back alone, from Cellpose's own rescaled output: bit-exact
  const refCF = new Float32Array(3 * 225 * 225);
  for (let k = 0; k < 3; k++) refCF.set(lastAxis(ref, 3, k), k * 225 * 225);
  const backRef = resizePlanes(refCF, 3, 225, 225, 128, 128);
  const e2dP = readNpyF32(join(V3, 'e2_dP.npy')).data;
  const e2cp = readNpyF32(join(V3, 'e2_cellprob.npy')).data;
  const dResize = Math.max(maxAbsDiff(backRef.subarray(0, 2 * 128 * 128), e2dP), maxAbsDiff(backRef.subarray(2 * 128 * 128), e2cp));
  assert.equal(dResize, 0, `cv2 resize of the fixture's own run_net output: max |Δ| = ${dResize}`);

  const e2 = await runNetworkOnChannels(m, img2d, [1, 128, 128], params);
  const d2 = maxAbsDiff(e2.dP, e2dP);
  const c2 = maxAbsDiff(e2.cellprob, e2cp);
  assert.ok(d2 <= 1e-3 && c2 <= 1e-3, `e2 dP ${d2}, cellprob ${c2}`);
});

test('v3 CPnet: e4 do_3D three-view flows and cellprob (8×64×64)', async () => {
  const m = await open(join(V3, 'cpnet_small_v3.onnx'));
  const e4 = await runNetworkOnChannels(m, img3d, [8, 64, 64], { do3d: true, diameter: null, anisotropy: null, flow3dSmooth: 0 });
  const d = maxAbsDiff(e4.dP, readNpyF32(join(V3, 'e4_dP.npy')).data);
  const c = maxAbsDiff(e4.cellprob, readNpyF32(join(V3, 'e4_cellprob.npy')).data);
  assert.ok(d <= 1e-3 && c <= 1e-3, `e4 dP ${d}, cellprob ${c}`);
});

test('v4 cpsam: v4e1 (one padded 256 tile) and v4e2 (diameter 15: 4 tiles of 256)', async () => {
  const m = await open(join(V4, 'cpsam_tiny_random.onnx'));
  const chans = [img2d[0], img2d[1]];
  for (const [name, diameter] of [['v4e1', null], ['v4e2', 15]] as const) {
    const r = await runNetworkOnChannels(m, chans, [1, 128, 128], { do3d: false, diameter, anisotropy: null, flow3dSmooth: 0 });
    const d = maxAbsDiff(r.dP, readNpyF32(join(V4, `${name}_dP.npy`)).data);
    const c = maxAbsDiff(r.cellprob, readNpyF32(join(V4, `${name}_cellprob.npy`)).data);
    assert.ok(d <= 1e-3 && c <= 1e-3, `${name} dP ${d}, cellprob ${c}`);
  }
  const lay = planeLayout(m, 256, 256, { tileOverlap: 0.1, augment: false });
  assert.deepEqual([lay.LyP, lay.grid.ystarts, lay.grid.xstarts], [272, [0, 16], [0, 16]]);
});

test('upstream 2d_two_channel_cellpose_fullroi: flows of both channels match the original cache', async () => {
  const dir = caseDir('2d_two_channel_cellpose_fullroi');
  const m = await open(join(dir, 'cpsam_tiny_coloc.onnx'));
  const stack = await openImageStack(join(dir, 'input.ome.tif'));
  {
    for (const [name, c, diameter] of [['cell', 0, 60], ['marker', 1, 20]] as const) {
      const plane = await stack.readChannel(c, 0);
      const crop = { data: Float32Array.from(plane.data as ArrayLike<number>), shape: [...plane.shape] as [number, number, number] };
      assert.deepEqual(crop.shape, [1, 192, 192]);
      const r = await runCellposeNetwork(m, crop, { do3d: false, diameter, anisotropy: null, flow3dSmooth: 0 });
      const cp = maxAbsDiff(r.cellprob, readNpyF32(join(dir, 'expected', 'cellpose_cache', `${name}_roi1_cellprob.npy`)).data);
      assert.ok(cp <= 1e-3, `${name} cellprob max |Δ| = ${cp}`);
      if (name === 'cell') {
        const dP = maxAbsDiff(r.dP, readNpyF32(join(dir, 'expected', 'cellpose_cache', 'cell_roi1_dP.npy')).data);
        assert.ok(dP <= 1e-3, `cell dP max |Δ| = ${dP}`);
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// Identity network (1×1 conv: flows = [x0, x0, x0], test/helpers/onnx-identity.ts, metadata in the ONNX file):
// every step around the network has a hand-computable result.

function pseudoRandom(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) % 1000;
  });
}
function normalized(x: Float32Array, shape: [number, number, number]): Float32Array {
  const y = Float32Array.from(x);
  normalizeChannelInPlace(y, shape); // bit-exact with Cellpose (first test)
  return y;
}
function maxRel(got: ArrayLike<number>, want: ArrayLike<number>, scale = 1): number {
  return maxAbsDiff(got, want) / scale;
}
const idDir = mkdtempSync(join(tmpdir(), 'cellcoloc-idnet-'));
after(() => rmSync(idDir, { recursive: true, force: true }));
async function identityModel(version: 3 | 4): Promise<CellposeModel> {
  const C = version === 3 ? 2 : 3;
  const path = join(idDir, `id${version}.onnx`);
  writeIdentityOnnx(path, C, {
    cellpose_version: String(version),
    architecture: version === 3 ? 'cpnet' : 'cpsam',
    input_channels: String(C),
    tile_size: version === 3 ? '224' : '256',
    diam_mean: '30',
  });
  return open(path);
}

test('identity net (v3 layout, ONNX metadata): 2-D multi-tile blending returns the normalised crop', async () => {
  const m = await identityModel(3);
  assert.equal(m.info.architecture, 'cpnet'); // read from metadata_props, no sidecar
  const x = pseudoRandom(300 * 300, 1);
  const xn = normalized(x, [1, 300, 300]);
  // 300 → pad 10 + 10 → 320 → 2 × 2 tiles of 224 at {0, 96}
  assert.deepEqual(planeLayout(m, 300, 300, { tileOverlap: 0.1, augment: false }).grid.ystarts, [0, 96]);
  const r = await runCellposeNetwork(m, { data: x, shape: [1, 300, 300] }, { do3d: false, diameter: null, anisotropy: null, flow3dSmooth: 0 });
  const n = 300 * 300;
  assert.ok(maxAbsDiff(r.cellprob, xn) <= 1e-6, `cellprob ${maxAbsDiff(r.cellprob, xn)}`);
  assert.ok(maxAbsDiff(r.dP.subarray(0, n), xn) <= 1e-6 && maxAbsDiff(r.dP.subarray(n), xn) <= 1e-6);
});

test('identity net: augment un-flips tiles and negates dY of Y-flipped (odd column) / dX of X-flipped (odd row) tiles', async () => {
  const m = await identityModel(3);
  const L = 300;
  const x = pseudoRandom(L * L, 2);
  const xn = normalized(x, [1, L, L]);
  const r = await runCellposeNetwork(m, { data: x, shape: [1, L, L] }, { do3d: false, diameter: null, anisotropy: null, flow3dSmooth: 0, augment: true });
  // padded 320, augment grid: max(2, ceil(2·320/224)) = 3 tiles per axis at linspace(0, 96, 3) = [0, 48, 96]
  const starts = [0, 48, 96];
  const M = taperMask(224, 224);
  const pad = 10;
  const wantY = new Float32Array(L * L);
  const wantX = new Float32Array(L * L);
  for (let y = 0; y < L; y++)
    for (let xx = 0; xx < L; xx++) {
      let w = 0;
      let sy = 0;
      let sx = 0;
      for (let j = 0; j < 3; j++)
        for (let i = 0; i < 3; i++) {
          const ty = y + pad - starts[j];
          const tx = xx + pad - starts[i];
          if (ty < 0 || ty >= 224 || tx < 0 || tx >= 224) continue;
          const mm = M[ty * 224 + tx];
          w += mm;
          sy += (i % 2 === 1 ? -1 : 1) * mm; // Y flipped iff column index odd
          sx += (j % 2 === 1 ? -1 : 1) * mm; // X flipped iff row index odd
        }
      wantY[y * L + xx] = (xn[y * L + xx] * sy) / w;
      wantX[y * L + xx] = (xn[y * L + xx] * sx) / w;
    }
  assert.ok(maxAbsDiff(r.cellprob, xn) <= 1e-6, `cellprob ${maxAbsDiff(r.cellprob, xn)}`);
  assert.ok(maxAbsDiff(r.dP.subarray(0, L * L), wantY) <= 1e-5, `dY ${maxAbsDiff(r.dP.subarray(0, L * L), wantY)}`);
  assert.ok(maxAbsDiff(r.dP.subarray(L * L), wantX) <= 1e-5, `dX ${maxAbsDiff(r.dP.subarray(L * L), wantX)}`);
});

test('identity net: 3-D three views sum to dZ = dY = dX = 2x̂ and cellprob = 3x̂; anisotropy and flow3d_smooth', async () => {
  const m = await identityModel(3);
  const [Z, Y, X] = [5, 40, 48];
  const n = Z * Y * X;
  const x = pseudoRandom(n, 3);
  const xn = normalized(x, [Z, Y, X]);
  const base = { do3d: true, diameter: null, anisotropy: null, flow3dSmooth: 0 };
  const r = await runCellposeNetwork(m, { data: x, shape: [Z, Y, X] }, base);
  const two = xn.map((v) => 2 * v);
  const three = xn.map((v) => 3 * v);
  for (let k = 0; k < 3; k++) assert.ok(maxAbsDiff(r.dP.subarray(k * n, (k + 1) * n), two) <= 2e-6, `component ${k}`);
  assert.ok(maxAbsDiff(r.cellprob, three) <= 3e-6);
  // flow3d_smooth smooths dP only (SciPy gaussian_filter, σ = 1 on Z, Y, X), never cellprob
  const s = await runCellposeNetwork(m, { data: x, shape: [Z, Y, X] }, { ...base, flow3dSmooth: 1 });
  const smoothTwo = gaussianFilter(Float32Array.from(r.dP.subarray(0, n)), [Z, Y, X], [1, 1, 1]);
  assert.ok(maxAbsDiff(s.dP.subarray(0, n), smoothTwo) <= 1e-6);
  assert.ok(maxAbsDiff(s.cellprob, r.cellprob) === 0);
  assert.ok(maxAbsDiff(s.dP.subarray(0, n), r.dP.subarray(0, n)) > 0.1);
  // anisotropy 2 on a stack constant along Z: Z is resized 5 → 10 and back exactly
  const planeXY = pseudoRandom(Y * X, 4);
  const flat = new Float32Array(n);
  for (let z = 0; z < Z; z++) flat.set(planeXY, z * Y * X);
  const fn = normalized(flat, [Z, Y, X]);
  const a = await runCellposeNetwork(m, { data: flat, shape: [Z, Y, X] }, { ...base, anisotropy: 2 });
  assert.ok(maxAbsDiff(a.cellprob, fn.map((v) => 3 * v)) <= 3e-6);
  assert.ok(maxAbsDiff(a.dP.subarray(2 * n), fn.map((v) => 2 * v)) <= 2e-6);
});

test('identity net (v4 layout): non-square crop padded to 256 tiles; constant crop → zeros in v4', async () => {
  const m = await identityModel(4);
  const [Y, X] = [100, 130];
  const x = pseudoRandom(Y * X, 5);
  const xn = normalized(x, [1, Y, X]);
  // v4 pads short axes to the 256 tile: 100 → 78 + 100 + 78, 130 → 63 + 130 + 63 (Lpad = 256 − L − 16, + 8 each side)
  const lay = planeLayout(m, Y, X, { tileOverlap: 0.1, augment: false });
  assert.deepEqual([lay.ypad1, lay.ypad2, lay.xpad1, lay.xpad2, lay.LyP, lay.LxP], [78, 78, 63, 63, 256, 256]);
  const r = await runCellposeNetwork(m, { data: x, shape: [1, Y, X] }, { do3d: false, diameter: null, anisotropy: null, flow3dSmooth: 0 });
  assert.ok(maxAbsDiff(r.cellprob, xn) <= 1e-6);
  const c = await runCellposeNetwork(m, { data: new Float32Array(Y * X).fill(42), shape: [1, Y, X] }, { do3d: false, diameter: null, anisotropy: null, flow3dSmooth: 0 });
  assert.equal(maxAbsDiff(c.cellprob, new Float32Array(Y * X)), 0);
});

test('upstream 3d_two_channel_cellpose_fullroi: anisotropy 4 (Z 10 → 40), flow3d_smooth 1 — cellprob = cache, 91 raw masks', async () => {
  const dir = caseDir('3d_two_channel_cellpose_fullroi');
  const m = await open(join(dir, 'cpsam_tiny_coloc.onnx'));
  const stack = await openImageStack(join(dir, 'input.ome.tif'));
  const v = await stack.readChannel(0, 0);
  const shape = [...v.shape] as [number, number, number];
  assert.deepEqual(shape, [10, 96, 96]);
  const r = await runCellposeNetwork(m, { data: Float32Array.from(v.data as ArrayLike<number>), shape }, { do3d: true, diameter: null, anisotropy: 4, flow3dSmooth: 1 });
  const cp = maxAbsDiff(r.cellprob, readNpyF32(join(dir, 'expected', 'cellpose_cache', 'cell_roi1_cellprob.npy')).data);
  assert.ok(cp <= 1e-4, `cellprob max |Δ| = ${cp}`);
  // The cache holds no 3-D dP; the original's raw mask count (expected/cellpose.json: 91) pins the flows, in particular
  // that flow3d_smooth comes after the resize back (smoothing the 40-plane flows first gives 64 masks).
  const masks = computeMasks(r.dP, r.cellprob, shape, {
    cellprobThreshold: 0, flowThreshold: 0.4, minSize: 15, maxSizeFraction: 0.4, niter: 200, do3d: true, stitchThreshold: 0, cellposeVersion: 4,
  });
  const expected = (readJson(join(dir, 'expected', 'cellpose.json')) as any).compute_masks_calls_run[0].n_masks;
  assert.equal(expected, 91);
  assert.equal(new Set(masks).size - 1, expected);
});
