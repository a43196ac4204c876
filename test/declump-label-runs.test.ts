/**
 * Declumping's output comes with its label runs (declump/label-runs.ts), as the plain chain's labels do: the tables
 * and the label TIFF's encoder use them instead of scanning the labels. They must be exactly the maximal runs of one
 * non-zero label per row, in raster order — checked against a plain scan of the labels (the definition of
 * core/label-runs.ts) on random planes of touching disks, rings and edge-cut blobs, every method and rule setting,
 * square and anisotropic pixels; where a piece is pasted voxel by voxel (3-D, ROI outlines) no runs are given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declumpMask, resolveDeclumpSettings } from '../src/segmentation/declump/declump.js';
import { defaultModelConfig } from '../src/config/schema.js';
import type { ModelConfig } from '../src/config/types.js';
import type { LabelData } from '../src/core/volume.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Maximal runs of one non-zero label along x, rows never crossed, raster order. */
function scanRuns(labels: LabelData, rows: number, X: number): { start: number[]; length: number[]; label: number[] } {
  const start: number[] = [];
  const length: number[] = [];
  const label: number[] = [];
  for (let r = 0; r < rows; r++) {
    let x = 0;
    while (x < X) {
      const l = labels[r * X + x];
      if (l === 0) {
        x++;
        continue;
      }
      let e = x + 1;
      while (e < X && labels[r * X + e] === l) e++;
      start.push(r * X + x);
      length.push(e - x);
      label.push(l);
      x = e;
    }
  }
  return { start, length, label };
}

function plane(r: () => number, Z: number, Y: number, X: number): { mask: Uint8Array; intensity: Float32Array } {
  const mask = new Uint8Array(Z * Y * X);
  const intensity = new Float32Array(Z * Y * X);
  const ball = (cz: number, cy: number, cx: number, rad: number, inner: number, peak: number) => {
    for (let z = 0; z < Z; z++) {
      for (let y = 0; y < Y; y++) {
        for (let x = 0; x < X; x++) {
          const d2 = (Z > 1 ? (z - cz) ** 2 : 0) + (y - cy) ** 2 + (x - cx) ** 2;
          if (d2 > rad * rad || d2 < inner * inner) continue;
          const i = (z * Y + y) * X + x;
          mask[i] = 1;
          intensity[i] += peak * (1 - d2 / (rad * rad)) + 20;
        }
      }
    }
  };
  for (let b = 0, nb = 3 + Math.floor(r() * 10); b < nb; b++) {
    const cz = r() * Z;
    const cy = r() * Y;
    const cx = r() * X;
    const rad = 4 + r() * 9;
    if (r() < 0.5) {
      const a = r() * 2 * Math.PI;
      const d = rad * (1.1 + r() * 0.7);
      ball(cz, cy, cx, rad, 0, 500 + r() * 500);
      ball(cz, cy + d * Math.sin(a), cx + d * Math.cos(a), rad * (0.7 + r() * 0.4), 0, 500 + r() * 500);
    } else ball(cz, cy, cx, rad, r() < 0.3 ? rad * (0.2 + r() * 0.4) : 0, 300 + r() * 700);
  }
  return { mask, intensity };
}

const settings: Partial<ModelConfig>[] = [
  { declumpMethod: 'shape', fillHoles: true, excludeBorderObjects: true, discardOutsideDiameter: true },
  { declumpMethod: 'intensity', fillHoles: true, excludeBorderObjects: true, discardOutsideDiameter: true },
  { declumpMethod: 'shape', fillHoles: false },
  { declumpMethod: 'intensity', fillHoles: false, excludeBorderObjects: true },
  { declumpMethod: 'none', fillHoles: true, discardOutsideDiameter: true },
];

test('declumping\'s label runs are the maximal runs of its labels (random planes, every method and rule setting)', () => {
  const r = lcg(20261206);
  let withRuns = 0;
  let piecesSeen = 0;
  for (let c = 0; c < 120; c++) {
    const Y = 20 + Math.floor(r() * 90);
    const X = 20 + Math.floor(r() * 90);
    const { mask, intensity } = plane(r, 1, Y, X);
    const sp: [number, number, number] = [[1, 1, 1], [1, 0.5, 0.5], [1, 0.7, 0.5]][c % 3] as [number, number, number];
    const cfg = { ...defaultModelConfig({ segmentationMethod: 'otsu' }), typicalDiameterPx: [8, 26] as [number, number], ...settings[c % settings.length] };
    const d = declumpMask(mask, intensity, [1, Y, X], sp, null, resolveDeclumpSettings(cfg as ModelConfig, sp));
    if (!d.labelRuns) continue;
    withRuns++;
    if (d.info.clumpsSplit > 0) piecesSeen++;
    const ref = scanRuns(d.labels, Y, X);
    assert.equal(d.labelRuns.n, ref.start.length, `case ${c}: run count`);
    assert.deepEqual(Array.from(d.labelRuns.start), ref.start, `case ${c}: starts`);
    assert.deepEqual(Array.from(d.labelRuns.length), ref.length, `case ${c}: lengths`);
    assert.deepEqual(Array.from(d.labelRuns.label), ref.label, `case ${c}: labels`);
  }
  assert.ok(withRuns >= 100, `runs given on ${withRuns} of 120 planes`);
  assert.ok(piecesSeen >= 30, `split clumps on ${piecesSeen} planes`);
});

test('declumping\'s label runs of a stack: given where every component is left whole, and then exact', () => {
  const r = lcg(3);
  let checked = 0;
  for (let c = 0; c < 12; c++) {
    const Z = 4 + Math.floor(r() * 6);
    const Y = 24 + Math.floor(r() * 20);
    const X = 24 + Math.floor(r() * 20);
    const { mask, intensity } = plane(r, Z, Y, X);
    const sp: [number, number, number] = [2, 0.5, 0.5];
    // the object rules without declumping or hole filling: every component is left whole (painted from its runs)
    const rules = { declumpMethod: 'none' as const, excludeBorderObjects: c % 3 === 0, discardOutsideDiameter: c % 3 === 1 };
    const cfg = { ...defaultModelConfig({ segmentationMethod: 'otsu' }), typicalDiameterUm: [3, 12] as [number, number], ...rules };
    const d = declumpMask(mask, intensity, [Z, Y, X], sp, null, resolveDeclumpSettings(cfg as ModelConfig, sp));
    assert.ok(d.labelRuns, `case ${c}: runs given`);
    const ref = scanRuns(d.labels, Z * Y, X);
    assert.deepEqual([Array.from(d.labelRuns.start), Array.from(d.labelRuns.length), Array.from(d.labelRuns.label)], [ref.start, ref.length, ref.label], `case ${c}`);
    if (ref.start.length > 0) checked++;
    // with a split method, a stack's clumps are pasted voxel by voxel: no runs
    const split = declumpMask(mask, intensity, [Z, Y, X], sp, null, resolveDeclumpSettings({ ...cfg, declumpMethod: 'shape' } as ModelConfig, sp));
    if (split.info.clumpsSplit > 0) assert.equal(split.labelRuns, undefined, `case ${c}: split stack`);
  }
  assert.ok(checked >= 4, `${checked} stacks with objects checked`);
});

test('declumping gives no label runs where a piece is pasted voxel by voxel (a ROI outline at a clump)', () => {
  const r = lcg(7);
  const Y = 60;
  const X = 60;
  const { mask, intensity } = plane(r, 1, Y, X);
  // two touching disks in the middle, a ROI that cuts through them
  mask.fill(0);
  intensity.fill(0);
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      const a = (y - 30) ** 2 + (x - 22) ** 2 < 100;
      const b = (y - 30) ** 2 + (x - 38) ** 2 < 100;
      if (a || b) {
        mask[y * X + x] = 1;
        intensity[y * X + x] = 100 + 800 * Math.exp(-Math.min((y - 30) ** 2 + (x - 22) ** 2, (y - 30) ** 2 + (x - 38) ** 2) / 40);
      }
    }
  }
  const roi = new Uint8Array(Y * X);
  for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) roi[y * X + x] = y < 34 ? 1 : 0;
  const cfg = { ...defaultModelConfig({ segmentationMethod: 'otsu' }), typicalDiameterPx: [8, 26] as [number, number], declumpMethod: 'shape' as const, excludeBorderObjects: true };
  const d = declumpMask(mask, intensity, [1, Y, X], [1, 1, 1], roi, resolveDeclumpSettings(cfg as ModelConfig, [1, 1, 1]));
  assert.equal(d.info.clumpsSplit, 1);
  assert.equal(d.labelRuns, undefined);
});
