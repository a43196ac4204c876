/**
 * Declumping's per-component kernels of a plane (segmentation/kernels/declump-wasm-box.ts: the whole-component tests
 * and rules, the flood mask of a component's runs, the paste of a split component's pieces) give what the JavaScript
 * loops of declump.ts give: `declumpMask` through both engines (`declumpKernels.engine`, 'js' runs every loop in
 * JavaScript) on random planes — touching disks, rings with small and large holes, objects cut by the image's edges,
 * ROI outlines, every method and rule setting, anisotropic pixels, more components than the kernels hold — must give
 * the same labels, voxel counts and report; and each kernel against a plain JavaScript reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declumpMask, resolveDeclumpSettings } from '../src/segmentation/declump/declump.js';
import { defaultModelConfig } from '../src/config/schema.js';
import { boxRunsMaskWasm, pastePiecesWasm } from '../src/segmentation/kernels/declump-wasm-box.js';
import { findRuns, resolveComponents } from '../src/segmentation/runs.js';
import { fillLabelHolesCounted } from '../src/segmentation/declump/object-rules.js';
import type { ModelConfig } from '../src/config/types.js';
import { lcg, withEngine } from './helpers/declump-engines.js';

/** A plane of disks (pairs touching), rings (holes smaller and larger than the hole limit), blobs cut by the edges. */
function randomPlane(r: () => number, Y: number, X: number): { mask: Uint8Array; intensity: Float32Array } {
  const mask = new Uint8Array(Y * X);
  const intensity = new Float32Array(Y * X);
  const disk = (cy: number, cx: number, rad: number, inner: number, peak: number) => {
    for (let y = Math.max(0, Math.floor(cy - rad)); y <= Math.min(Y - 1, Math.ceil(cy + rad)); y++) {
      for (let x = Math.max(0, Math.floor(cx - rad)); x <= Math.min(X - 1, Math.ceil(cx + rad)); x++) {
        const d2 = (y - cy) ** 2 + (x - cx) ** 2;
        if (d2 > rad * rad || d2 < inner * inner) continue;
        const i = y * X + x;
        mask[i] = 1;
        intensity[i] += peak * (1 - d2 / (rad * rad)) + 20;
      }
    }
  };
  const n = 2 + Math.floor(r() * 8);
  for (let b = 0; b < n; b++) {
    const cy = r() * Y;
    const cx = r() * X;
    const rad = 4 + r() * 10;
    const kind = r();
    if (kind < 0.45) {
      // two (or three) touching disks: a clump to split
      const a = r() * 2 * Math.PI;
      const d = rad * (1.2 + r() * 0.6);
      disk(cy, cx, rad, 0, 500 + r() * 500);
      disk(cy + d * Math.sin(a), cx + d * Math.cos(a), rad * (0.7 + r() * 0.4), 0, 500 + r() * 500);
      if (r() < 0.3) disk(cy - d * Math.sin(a), cx - d * Math.cos(a), rad * 0.8, 0, 400);
    } else if (kind < 0.65) {
      // a ring: its hole small (filled) or large (kept by the hole limit), sometimes with a second ring touching it
      const outer = 8 + r() * 12;
      disk(cy, cx, outer, outer * (0.3 + r() * 0.4), 600);
      if (r() < 0.4) disk(cy, cx + outer * 1.6, outer * 0.9, outer * 0.3, 500);
    } else {
      disk(cy, cx, rad, 0, 300 + r() * 700);
    }
  }
  for (let i = 0; i < intensity.length; i++) if (mask[i]) intensity[i] = Math.fround(intensity[i] + r() * 30);
  return { mask, intensity };
}

/** A ROI of the plane (an ellipse, a rectangle with a notch, or the whole plane: null) with the mask cut to it. */
function randomRoi(r: () => number, Y: number, X: number, mask: Uint8Array): Uint8Array | null {
  const kind = r();
  if (kind < 0.4) return null;
  const roi = new Uint8Array(Y * X);
  const cy = Y / 2;
  const cx = X / 2;
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      const inside =
        kind < 0.7
          ? ((y - cy) / (0.45 * Y)) ** 2 + ((x - cx) / (0.45 * X)) ** 2 <= 1
          : y >= 3 && y < Y - 2 && x >= 2 && x < X - 4 && !(y > cy && x > cx && x < cx + 8);
      roi[y * X + x] = inside ? 1 : 0;
    }
  }
  for (let i = 0; i < mask.length; i++) if (!roi[i]) mask[i] = 0;
  return roi;
}

function settings(r: () => number, spacing: [number, number, number]) {
  const methods = ['none', 'shape', 'intensity'] as const;
  const cfg: ModelConfig = {
    ...defaultModelConfig({ segmentationMethod: 'otsu' }),
    typicalDiameterPx: [6 + Math.floor(r() * 6), 18 + Math.floor(r() * 12)],
    fillHoles: r() < 0.6,
    excludeBorderObjects: r() < 0.6,
    discardOutsideDiameter: r() < 0.5,
    declumpMethod: methods[Math.floor(r() * 3)],
  };
  if (r() < 0.25) cfg.declumpMergeNeckPx = 0;
  if (r() < 0.25) cfg.declumpMergeContrast = 0;
  return resolveDeclumpSettings(cfg, spacing);
}

test('declumpMask on planes: WebAssembly box kernels = JavaScript (labels, counts, report; ROI outlines, edges, holes)', () => {
  const r = lcg(18);
  const spacings: [number, number, number][] = [
    [1, 1, 1],
    [1, 0.5, 0.5],
    [1, 0.7, 0.5],
  ];
  let split = 0;
  let removed = 0;
  let holes = 0;
  for (let it = 0; it < 160; it++) {
    const Y = 30 + Math.floor(r() * 90);
    const X = 30 + Math.floor(r() * 90);
    const { mask, intensity } = randomPlane(r, Y, X);
    const roi = randomRoi(r, Y, X, mask);
    const spacing = spacings[it % 3];
    const s = settings(r, spacing);
    const a = withEngine('js', () => declumpMask(mask, intensity, [1, Y, X], spacing, roi, s));
    const b = withEngine('wasm', () => declumpMask(mask, intensity, [1, Y, X], spacing, roi, s));
    assert.deepEqual(b.info, a.info, `case ${it}`);
    assert.deepEqual(b.counts, a.counts, `case ${it}`);
    assert.equal(b.labels.constructor, a.labels.constructor);
    assert.ok(Buffer.from(b.labels.buffer).equals(Buffer.from(a.labels.buffer)), `case ${it}: labels differ`);
    split += a.info.clumpsSplit;
    removed += a.info.removedBorder + a.info.removedTooSmall + a.info.removedTooLarge;
    holes += a.info.holeVoxelsFilled;
  }
  // The cases exercise what they are meant to.
  assert.ok(split > 50 && removed > 50 && holes > 200, `split ${split}, removed ${removed}, hole voxels ${holes}`);
});

test('declumpMask past the kernels\' component limit: the JavaScript loops, the same labels', () => {
  // 22 500 one-pixel components (the classification's scratch holds 16 383), and a few clumps.
  const Y = 300;
  const X = 300;
  const mask = new Uint8Array(Y * X);
  const intensity = new Float32Array(Y * X).fill(100);
  for (let y = 0; y < Y; y += 2) for (let x = 0; x < X; x += 2) mask[y * X + x] = 1;
  const spacing: [number, number, number] = [1, 1, 1];
  const cfg = { ...defaultModelConfig({ segmentationMethod: 'otsu' }), typicalDiameterPx: [1, 4] as [number, number], declumpMethod: 'shape' as const, excludeBorderObjects: true };
  const s = resolveDeclumpSettings(cfg, spacing);
  const a = withEngine('js', () => declumpMask(mask, intensity, [1, Y, X], spacing, null, s));
  const b = withEngine('wasm', () => declumpMask(mask, intensity, [1, Y, X], spacing, null, s));
  assert.equal(a.info.components, 22500);
  assert.deepEqual(b.info, a.info);
  assert.ok(Buffer.from(b.labels.buffer).equals(Buffer.from(a.labels.buffer)));
});

test('declumpMask with a clump past the paste kernel\'s box beside small ones: both pastes in one plane, the same labels', () => {
  // Two touching disks of radius 100 (a box of ~200 × 400 voxels, past the kernel's 65 536: pasted voxel by voxel
  // during the loop) and pairs of small touching disks (pasted as runs, painted in the final pass).
  const Y = 260;
  const X = 460;
  const mask = new Uint8Array(Y * X);
  const intensity = new Float32Array(Y * X);
  const disk = (cy: number, cx: number, rad: number) => {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        const d2 = (y - cy) ** 2 + (x - cx) ** 2;
        if (d2 > rad * rad) continue;
        mask[y * X + x] = 1;
        intensity[y * X + x] = Math.max(intensity[y * X + x], 100 + 900 * (1 - d2 / (rad * rad)));
      }
    }
  };
  disk(130, 125, 100);
  disk(130, 320, 100);
  for (const [cy, cx] of [[12, 20], [240, 30], [245, 420], [15, 430]]) {
    disk(cy, cx, 8);
    disk(cy, cx + 14, 8);
  }
  const spacing: [number, number, number] = [1, 1, 1];
  for (const method of ['shape', 'intensity'] as const) {
    const cfg = { ...defaultModelConfig({ segmentationMethod: 'otsu' }), typicalDiameterPx: [12, 220] as [number, number], declumpMethod: method };
    const s = resolveDeclumpSettings(cfg, spacing);
    const a = withEngine('js', () => declumpMask(mask, intensity, [1, Y, X], spacing, null, s));
    const b = withEngine('wasm', () => declumpMask(mask, intensity, [1, Y, X], spacing, null, s));
    assert.ok(a.info.clumpsSplit >= 5, `${method}: ${a.info.clumpsSplit} clumps split`);
    assert.deepEqual(b.info, a.info, method);
    assert.deepEqual(b.counts, a.counts, method);
    assert.ok(Buffer.from(b.labels.buffer).equals(Buffer.from(a.labels.buffer)), `${method}: labels differ`);
    // a piece pasted voxel by voxel: no label runs given
    assert.equal(b.labelRuns, undefined, method);
  }
});

test('paste kernel: runs, voxels, hole voxels and edge touches of random boxes = a plain reference', () => {
  const r = lcg(7);
  const OTHER = 0xffffffff;
  for (let it = 0; it < 400; it++) {
    const ly = 1 + Math.floor(r() * 30);
    const lx = 1 + Math.floor(r() * 30);
    const Y = ly + Math.floor(r() * 3);
    const X = lx + Math.floor(r() * 3);
    const y0 = Math.floor(r() * (Y - ly + 1));
    const x0 = Math.floor(r() * (X - lx + 1));
    const nSeeds = 1 + Math.floor(r() * 5);
    const labels = new Uint32Array(ly * lx);
    const own = new Uint32Array(ly * lx);
    // runs of equal labels, with background and other components between them
    for (let k = 0; k < labels.length; ) {
      const len = 1 + Math.floor(r() * 6);
      const v = r();
      const l = v < 0.2 ? 0 : v < 0.3 ? OTHER : 1 + Math.floor(r() * nSeeds);
      for (let e = Math.min(labels.length, k + len); k < e; k++) {
        labels[k] = l;
        own[k] = l === OTHER ? OTHER : r() < 0.8 ? 1 : 0;
      }
    }
    const from = new Int32Array(ly);
    const to = new Int32Array(ly);
    for (let y = 0; y < ly; y++) {
      const a = Math.floor(r() * (lx + 1));
      const e = r() < 0.1 ? a : a + Math.floor(r() * (lx - a + 1));
      from[y] = r() < 0.1 ? lx : a;
      to[y] = r() < 0.1 ? 0 : e;
    }
    const withOwn = r() < 0.5;
    const borderTest = r() < 0.7;
    // reference: the painted box, per-piece counts
    const painted = new Uint32Array(ly * lx);
    const voxels = new Float64Array(nSeeds + 1);
    const holeVoxels = new Float64Array(nSeeds + 1);
    const touches = new Uint8Array(nSeeds + 1);
    for (let y = 0; y < ly; y++) {
      for (let x = from[y]; x < to[y]; x++) {
        const k = y * lx + x;
        const l = labels[k];
        if (l === 0 || l === OTHER) continue;
        painted[k] = l;
        voxels[l]++;
        if (withOwn && own[k] !== 1) holeVoxels[l]++;
        const gy = y0 + y;
        const gx = x0 + x;
        if (borderTest && (gy === 0 || gy === Y - 1 || gx === 0 || gx === X - 1)) touches[l] = 1;
      }
    }
    const p = pastePiecesWasm(labels, withOwn ? own : null, from, to, ly, lx, y0, x0, Y, X, nSeeds, borderTest);
    assert.ok(p, 'the kernel runs');
    const got = new Uint32Array(ly * lx);
    for (let t = 0; t < p.count; t++) {
      const [row, a, e, l] = p.runs.subarray(4 * t, 4 * t + 4);
      assert.ok(a < e && l >= 1 && l <= nSeeds);
      // maximal runs: the voxel before and after belong to no run of the same label
      if (t > 0) {
        const [pRow, , pe, pl] = p.runs.subarray(4 * t - 4, 4 * t);
        assert.ok(!(pRow === row && pe === a && pl === l), 'runs are maximal');
      }
      for (let x = a; x < e; x++) got[row * lx + x] = l;
    }
    assert.deepEqual(got, painted, `case ${it}`);
    assert.deepEqual(p.voxels.slice(0, nSeeds + 1), voxels);
    if (withOwn) assert.deepEqual(p.holeVoxels!.slice(0, nSeeds + 1), holeVoxels);
    else assert.equal(p.holeVoxels, null);
    assert.deepEqual(p.touches.slice(0, nSeeds + 1), touches);
  }
  // Declined: a label past nSeeds, boxes past the scratch, the JavaScript engine.
  const l = new Uint32Array([1, 3]);
  const one = new Int32Array([0]);
  const two = new Int32Array([2]);
  assert.equal(pastePiecesWasm(l, null, one, two, 1, 2, 0, 0, 3, 3, 2, false), null);
  assert.equal(pastePiecesWasm(new Uint32Array(300 * 300), null, new Int32Array(300), new Int32Array(300), 300, 300, 0, 0, 300, 300, 1, false), null);
  assert.equal(withEngine('js', () => pastePiecesWasm(l, null, one, two, 1, 2, 0, 0, 3, 3, 3, false)), null);
  assert.ok(pastePiecesWasm(l, null, one, two, 1, 2, 0, 0, 3, 3, 3, false));
});

test('hole filling of a plane: WebAssembly = JavaScript (labels, filled voxels, large holes; several owners, other components)', () => {
  const r = lcg(11);
  const OTHER = 0xffffffff;
  let filled = 0;
  let large = 0;
  for (let it = 0; it < 400; it++) {
    const Y = 1 + Math.floor(r() * 40);
    const X = 1 + Math.floor(r() * 40);
    const labels = new Uint32Array(Y * X);
    // rings (holes of several sizes) of labels 1…3 or OTHER, some touching each other, and noise
    const n = 1 + Math.floor(r() * 4);
    for (let b = 0; b < n; b++) {
      const cy = r() * Y;
      const cx = r() * X;
      const outer = 2 + r() * 12;
      const inner = outer * r() * 0.8;
      const v = r();
      const l = v < 0.2 ? OTHER : 1 + Math.floor(r() * 3);
      for (let y = 0; y < Y; y++) {
        for (let x = 0; x < X; x++) {
          const d2 = (y - cy) ** 2 + (x - cx) ** 2;
          if (d2 <= outer * outer && d2 >= inner * inner) labels[y * X + x] = l;
        }
      }
    }
    if (r() < 0.3) for (let i = 0; i < labels.length; i++) if (r() < 0.1) labels[i] = r() < 0.5 ? 0 : 1;
    const maxHole = [Infinity, 5, 12.5, 40, 1][it % 5];
    const a = labels.slice();
    const b = labels.slice();
    const ra = withEngine('js', () => fillLabelHolesCounted(a, [1, Y, X], maxHole));
    const rb = withEngine('wasm', () => fillLabelHolesCounted(b, [1, Y, X], maxHole));
    assert.deepEqual(rb, ra, `case ${it}`);
    assert.deepEqual(b, a, `case ${it}`);
    filled += ra.filled;
    large += ra.largeHoles;
  }
  assert.ok(filled > 500 && large > 20, `filled ${filled}, large holes ${large}`);
  // Past the kernels' scratch: the JavaScript (the same function answers).
  const big = new Uint32Array(300 * 300);
  for (let y = 100; y < 200; y++) for (let x = 100; x < 200; x++) if (y === 100 || y === 199 || x === 100 || x === 199) big[y * 300 + x] = 2;
  assert.deepEqual(fillLabelHolesCounted(big, [1, 300, 300]), { filled: 98 * 98, largeHoles: 0 });
});

test('flood mask of a component from the loaded runs: = a plain reference (mask and row spans), any box margin', () => {
  const r = lcg(41);
  let checked = 0;
  for (let it = 0; it < 120; it++) {
    const Y = 20 + Math.floor(r() * 60);
    const X = 20 + Math.floor(r() * 80);
    const { mask } = randomPlane(r, Y, X);
    const runs = findRuns(mask, [1, Y, X], 1);
    const count = resolveComponents(runs, [1, Y, X], 'full');
    // Each component's voxels and bounding box, by a plain scan of the runs.
    const label = new Uint32Array(Y * X);
    for (let row = 0; row < Y; row++) for (let q = runs.rowStart[row]; q < runs.rowStart[row + 1]; q++) label.fill(runs.comp[q], row * X + runs.x0[q], row * X + runs.x1[q]);
    for (let c = 1; c <= count; c++) {
      let y0 = Y, y1 = 0, x0 = X, x1 = 0;
      for (let i = 0; i < Y * X; i++) if (label[i] === c) { const y = Math.floor(i / X), x = i % X; y0 = Math.min(y0, y); y1 = Math.max(y1, y + 1); x0 = Math.min(x0, x); x1 = Math.max(x1, x + 1); }
      const m = Math.floor(r() * 4); // the box's margin (declumpMask: 1, or more for `intensity`), clipped to the plane
      [y0, y1, x0, x1] = [Math.max(0, y0 - m), Math.min(Y, y1 + m), Math.max(0, x0 - m), Math.min(X, x1 + m)];
      const ly = y1 - y0, lx = x1 - x0;
      const expMask = new Uint8Array(ly * lx);
      const expFrom = new Int32Array(ly).fill(lx);
      const expTo = new Int32Array(ly);
      for (let y = 0; y < ly; y++) for (let x = 0; x < lx; x++) if (label[(y0 + y) * X + x0 + x] === c) { expMask[y * lx + x] = 1; expFrom[y] = Math.min(expFrom[y], x); expTo[y] = x + 1; }
      const got = new Uint8Array(ly * lx).fill(7);
      const from = new Int32Array(ly).fill(-9);
      const to = new Int32Array(ly).fill(-9);
      assert.equal(boxRunsMaskWasm(runs, Y, c, y0, x0, ly, lx, got, from, to), true);
      assert.deepEqual(got, expMask, `case ${it} component ${c}`);
      assert.deepEqual(from, expFrom, `case ${it} component ${c}: spans from`);
      assert.deepEqual(to, expTo, `case ${it} component ${c}: spans to`);
      checked++;
    }
  }
  assert.ok(checked > 200, `${checked} components checked`);
  // Without the kernels (engine 'js'): declined, nothing written.
  const runs = findRuns(Uint8Array.of(0, 1, 1, 0), [1, 1, 4], 1);
  resolveComponents(runs, [1, 1, 4], 'full');
  const untouched = new Uint8Array(2).fill(5);
  assert.equal(withEngine('js', () => boxRunsMaskWasm(runs, 1, 1, 0, 1, 1, 2, untouched, new Int32Array(1), new Int32Array(1))), false);
  assert.deepEqual(untouched, new Uint8Array(2).fill(5));
});
