/**
 * Timing check for `buildColocalizationTables` on synthetic label volumes (dev-time only, not a test):
 *   node --import tsx scripts/bench-tables.ts
 * 2D: 2048×2048, ~300 disc cells (r 20–35 px) + ~300 disc markers (r 4–8 px), uint16 intensities.
 * 3D: 40×512×512, ~300 ellipsoid cells + ~300 markers.
 * Both with a whole-image ROI and with a 3-ROI raster.
 */
import { buildColocalizationTables } from '../src/tables/index.js';
import type { LabelVolume, RoiLabels, Volume } from '../src/core/volume.js';

let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);

function paint(shape: [number, number, number], n: number, rMin: number, rMax: number, rz: number): LabelVolume {
  const [Z, Y, X] = shape;
  const data = new Uint32Array(Z * Y * X);
  for (let l = 1; l <= n; l++) {
    const r = rMin + rnd() * (rMax - rMin);
    const cy = rnd() * Y, cx = rnd() * X, cz = Z === 1 ? 0 : rnd() * Z;
    const rzz = Z === 1 ? 0.5 : rz;
    for (let z = Math.max(0, Math.floor(cz - rzz)); z <= Math.min(Z - 1, Math.ceil(cz + rzz)); z++)
      for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(Y - 1, Math.ceil(cy + r)); y++)
        for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(X - 1, Math.ceil(cx + r)); x++) {
          const d = ((y - cy) / r) ** 2 + ((x - cx) / r) ** 2 + (Z === 1 ? 0 : ((z - cz) / rz) ** 2);
          if (d <= 1) data[(z * Y + y) * X + x] = l;
        }
  }
  return { data, shape };
}
function noise(shape: [number, number, number]): Volume {
  const d = new Uint16Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < d.length; i++) d[i] = (rnd() * 4000) | 0;
  return { data: d, shape };
}
function roiOf(Y: number, X: number, three: boolean): RoiLabels {
  const d = new Uint16Array(Y * X);
  for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) d[y * X + x] = three ? (x < X / 3 ? 1 : y < Y / 2 ? 2 : 3) : 1;
  return { data: d, shape: [Y, X] };
}

for (const [shape, rc, rm, rz] of [
  [[1, 2048, 2048], [20, 35], [4, 8], 0],
  [[40, 512, 512], [8, 14], [2, 4], 4],
] as const) {
  const s: [number, number, number] = [shape[0], shape[1], shape[2]];
  const cell = paint(s, 300, rc[0], rc[1], rz);
  const marker = paint(s, 300, rm[0], rm[1], rz / 2);
  const ci = noise(s), mi = noise(s);
  for (const three of [false, true]) {
    const roi = roiOf(s[1], s[2], three);
    const run = () =>
      buildColocalizationTables({
        cellMasks: cell, markerMasks: marker, cellIntensity: ci, markerIntensity: mi, roi, voxelSizeUm: [2, 0.5, 0.5], zBounds: null,
        colocalization: { minCellVoxels: 0, overlapFractionThreshold: 0.02, minOverlapVoxels: 20, evaluateOptionalRegionCellPositivity: false, positivityRule: 'best_object' },
      });
    for (let w = 0; w < 3; w++) run();
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      rows = run().detailed.rowCount;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`${s.join('x')} ${three ? '3 ROIs' : 'full ROI'}: median ${times[3].toFixed(1)} ms (min ${times[0].toFixed(1)}), detailed rows ${rows}`);
  }
}
