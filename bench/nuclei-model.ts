/**
 * Built-in nuclei network (issue 22): whole-process CPU time of `cellcoloc run` on a 520 × 696 Hoechst image
 * (BBBC039 size) with `segmentation_method: cellpose, model_name_or_path: cellcoloc-nuclei, diameter: null`
 * (network + dynamics + masks + tables + export; target ≤ 1.5 s), and the network time per 224² tile.
 * The image is the committed BBBC039 dev crop (test/data/nuclei-model/) mirror-tiled to 520 × 696, so the bench
 * needs nothing outside the repository.
 *   npm run build && node --import tsx bench/nuclei-model.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openImageStack } from '../src/io/image-stack.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { loadCellposeModel, forwardTiles, planeLayout } from '../src/segmentation/cellpose/network/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const runs = Number(process.env.BENCH_RUNS ?? 3);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const [Y, X] = [520, 696];

// 520 × 696 image: the 192 × 256 crop reflected (…3 2 1 | 0 1 2 … n−1 | n−2 …) as often as needed
const crop = await openImageStack(join(root, 'test', 'data', 'nuclei-model', 'IXMtest_D20_s3_crop.tif'));
const c = await crop.readChannel(0, 0);
const [, cy, cx] = c.shape;
const reflect = (i: number, n: number) => {
  const p = 2 * (n - 1);
  const m = i % p;
  return m < n ? m : p - m;
};
const img = new Uint16Array(Y * X);
for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) img[y * X + x] = (c.data as Uint16Array)[reflect(y, cy) * cx + reflect(x, cx)];
const image = join(out, 'nuclei_520x696.tif');
writeFileSync(image, encodeTiffStack({ data: img, shape: [1, Y, X] }));
const cfg = join(out, 'nuclei_520x696.yaml');
writeFileSync(
  cfg,
  [
    'image: nuclei_520x696.tif',
    'results_dir: nuclei_520x696_results',
    'voxel_scale_zyx: [1.0, 1.0]',
    'single_channel_config: {channel_index: 0}',
    'model_config: {segmentation_method: cellpose, model_name_or_path: cellcoloc-nuclei, diameter: null}',
    'rois: full',
    '',
  ].join('\n'),
);

const cli = join(root, 'bin', 'cellcoloc.mjs');
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('bench: dist/ is missing: run `npm run build` first (npm run bench does)');
  process.exit(1);
}
const walls: number[] = [];
const cpus: number[] = [];
let stages: { stage: string; ms: number }[] = [];
let summary = '';
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  // bash's `time` gives the child's CPU seconds (user + sys): on the shared machine wall time mostly measures the load
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="BENCH_CPU %U %S"; time "$0" "$1" run "$2" --quiet', process.execPath, cli, cfg], {
    env: { ...process.env, CELLCOLOC_BENCH_STATS: '1' },
    encoding: 'utf8',
  });
  walls.push((performance.now() - t0) / 1000);
  const cpuLine = r.stderr.split('\n').find((l) => l.startsWith('BENCH_CPU '));
  if (cpuLine) cpus.push(cpuLine.split(' ').slice(1, 3).reduce((a, v) => a + Number(v), 0));
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  const statLine = r.stderr.split('\n').find((l) => l.startsWith('CELLCOLOC_BENCH_STATS '));
  if (statLine) stages = (JSON.parse(statLine.slice('CELLCOLOC_BENCH_STATS '.length)) as { timings: typeof stages }).timings;
  summary = r.stdout.trim();
}
const wall = median(walls);
console.log(`\n== nuclei_520x696 (cellpose, cellcoloc-nuclei, diameter null; ${runs} runs, load ${loadavg()[0].toFixed(1)})`);
console.log(summary.split('\n').slice(0, 3).join('\n'));
if (stages.length) console.log('stage timings of the last run (ms): ' + stages.map((s) => `${s.stage} ${s.ms.toFixed(0)}`).join(', '));
console.log(`whole process wall: median ${wall.toFixed(3)} s (runs: ${walls.map((w) => w.toFixed(3)).join(', ')}); target ≤ 1.5 s ${wall <= 1.5 ? 'MET' : 'NOT MET'}`);
if (cpus.length) console.log(`whole process CPU (user + sys, all threads): median ${median(cpus).toFixed(3)} s (runs: ${cpus.map((w) => w.toFixed(3)).join(', ')})`);

// network time per tile, batches of 1 and 8 (the backend's batch size)
const model = await loadCellposeModel('cellcoloc-nuclei', { useGpu: false });
const L = planeLayout(model, Y, X, { tileOverlap: 0.1, augment: false });
const ntiles = L.grid.ystarts.length * L.grid.xstarts.length;
const h = model.info.tileSize;
for (const B of [1, 8]) {
  const x = Float32Array.from({ length: B * 2 * h * h }, (_, i) => Math.sin(i * 0.001));
  await forwardTiles(model, x, B, h, h);
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < (B === 1 ? 15 : 5); r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await forwardTiles(model, x, B, h, h);
    ms.push((performance.now() - t0) / B);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / B);
  }
  console.log(
    `cellcoloc-nuclei ${h}² tile, batch ${B}: wall median ${median(ms).toFixed(1)} ms/tile, CPU ${median(cpu).toFixed(1)} ms/tile ` +
      `(${availableParallelism()} threads, load ${loadavg()[0].toFixed(1)}); a 520 × 696 image is ${ntiles} tiles`,
  );
}
await model.close();
