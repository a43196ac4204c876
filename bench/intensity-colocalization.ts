/**
 * Intensity colocalization timings (issue 19.5), `node --import tsx bench/intensity-colocalization.ts`:
 * the 2048² two-channel uint16 bench image of `bench/run.ts` (generated into bench/out/ if missing), ~300 disk
 * cells, one whole-image ROI (the worst case: every pixel is in the ROI group and its ranks span the full image).
 * Prints the median of BENCH_RUNS (default 5) for the two intensity sheets with costes none, fast and accurate.
 * Target: all coefficients without Costes add ≤ 100 ms; Costes fast/accurate are reported separately.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openImageStack } from '../src/io/image-stack.js';
import { buildIntensityColocalizationTables } from '../src/tables/intensity-colocalization.js';
import { syntheticDiskMasks, bench2dImage } from './synthetic.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
const image = bench2dImage(out);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const stack = await openImageStack(image);
const cell = await stack.readChannel(0, 0);
const marker = await stack.readChannel(1, 0);
const L = 2048;
const { masks } = syntheticDiskMasks(L, 300, 1);
const roi = { data: new Uint16Array(L * L).fill(1), shape: [L, L] as [number, number] };
let cellVoxels = 0;
for (let i = 0; i < masks.length; i++) if (masks[i] !== 0) cellVoxels++;

// calibration: one plain summing pass over a 4M-voxel channel, to scale the figures on a busy machine
{
  const d = cell.data;
  const t: number[] = [];
  const c: number[] = [];
  let sink = 0;
  for (let k = 0; k < 7; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < d.length; i++) sink += d[i];
    t.push(performance.now() - t0);
    const u = process.cpuUsage(c0);
    c.push((u.user + u.system) / 1000);
  }
  t.sort((a, b) => a - b);
  c.sort((a, b) => a - b);
  console.log(
    `calibration: one summing pass over the ${d.length}-voxel channel: wall median ${t[3].toFixed(1)} ms, CPU median ${c[3].toFixed(1)} ms (${sink > 0 ? 'ok' : ''})`,
  );
}
console.log(`== intensity colocalization, 2048×2048 uint16, 300 cells (${cellVoxels} cell px), whole-image ROI, ${runs} runs`);
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const costes of ['none', 'fast', 'accurate'] as const) {
  const times: number[] = [];
  const cpu: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs + 1; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const t = buildIntensityColocalizationTables({
      cellIntensity: cell,
      markerIntensity: marker,
      cellMasks: { data: masks, shape: [1, L, L] },
      roi,
      zBounds: null,
      config: { enabled: true, thresholdPercent: 15, costes },
    });
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    rows = t.cell.rowCount;
    if (i > 0) {
      // the first run warms up the JIT
      times.push(ms);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  const target = costes === 'none' ? `; target ≤ 100 ms ${med(times) <= 100 ? 'MET' : 'NOT MET'}` : '';
  // CPU time beside wall time: on a shared machine the wall time includes waiting for a core
  console.log(
    `costes ${costes.padEnd(8)} wall median ${med(times).toFixed(1)} ms, CPU median ${med(cpu).toFixed(1)} ms ` +
      `(wall runs: ${times.map((t) => t.toFixed(1)).join(', ')}; ${rows} cell rows)${target}`,
  );
}
