/**
 * `npm run bench`: generates the synthetic benchmark images (bench/out/, never committed), runs the
 * full CLI workflow on each in a fresh process, and prints wall time per stage and peak RSS.
 *
 * Targets (issue 6): 2D 2048×2048 ≤ 0.3 s and ≤ 185 MiB; 3D 40×512×512 ≤ 1.1 s and ≤ 305 MiB, whole process.
 * The original (Python) needs ≈6.4 s / 380 MiB and ≈18 s / 615 MiB on the same 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_2D_SPEC, writeSyntheticTwoChannel, type SyntheticSpec } from './synthetic.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const runs = Number(process.env.BENCH_RUNS ?? 3);

interface Case {
  name: string;
  /** synthetic image file (shared between cases) */
  image: string;
  spec: SyntheticSpec;
  /** extra config lines */
  config?: string[];
  target: { s: number; mib: number } | null;
  original: { s: number; mib: number } | null;
  note?: string;
}

const cases: Case[] = [
  {
    name: '2d_2048x2048',
    image: '2d_2048x2048',
    spec: BENCH_2D_SPEC,
    target: { s: 0.3, mib: 185 },
    original: { s: 6.4, mib: 380 },
  },
  {
    name: '2d_2048x2048_intensity_costes_fast',
    image: '2d_2048x2048',
    spec: BENCH_2D_SPEC,
    config: ['intensity_colocalization_config: {enabled: true, costes: fast}'],
    target: null,
    original: null,
  },
  {
    name: '3d_40x512x512',
    image: '3d_40x512x512',
    spec: { shape: [40, 512, 512], nCells: 150, nMarkers: 150, cellR: [7, 11], markerR: [2.5, 4], cellRz: [3, 5], markerRz: [1.5, 2.5], seed: 2 },
    target: { s: 1.1, mib: 305 },
    original: { s: 18, mib: 615 },
  },
  {
    name: '3d_three_channel_40x512x512',
    image: '3d_three_channel_40x512x512',
    spec: { shape: [40, 512, 512], nCells: 150, nMarkers: 150, cellR: [7, 11], markerR: [2.5, 4], cellRz: [3, 5], markerRz: [1.5, 2.5], seed: 2, channels: 3 },
    config: [
      'channel_config: {cell_channel: 0, marker_channel: 1, optional_region_channel: 2}',
      'optional_region_model_config: {segmentation_method: otsu}',
      'colocalization_config: {min_cell_voxels: 100, min_overlap_voxels: 10, evaluate_optional_region_cell_positivity: true}',
    ],
    target: null,
    original: null,
    note: 'issue 9 target: at most 1.5x the two-channel 3D run',
  },
  {
    name: '3d_z_projected_max',
    image: '3d_40x512x512',
    spec: { shape: [40, 512, 512], nCells: 150, nMarkers: 150, cellR: [7, 11], markerR: [2.5, 4], cellRz: [3, 5], markerRz: [1.5, 2.5], seed: 2 },
    config: ['cell_model_config: {segmentation_method: otsu, z_projection: max}', 'marker_model_config: {segmentation_method: otsu}'],
    target: null,
    original: null,
  },
];

const cli = join(root, 'bin', 'cellcoloc.mjs');
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('bench: dist/ is missing: run `npm run build` first (npm run bench does)');
  process.exit(1);
}

const results = new Map<string, number>();
for (const c of cases) {
  const image = join(out, `${c.image}.ome.tif`);
  if (!existsSync(image)) {
    const t0 = performance.now();
    writeSyntheticTwoChannel(image, c.spec);
    console.log(`generated ${image} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const cfg = join(out, `${c.name}.yaml`);
  // Base config; a case's own lines replace the sections they name.
  const sections = new Map<string, string>([
    ['channel_config', 'channel_config: {cell_channel: 0, marker_channel: 1}'],
    ['cell_model_config', 'cell_model_config: {segmentation_method: otsu}'],
    ['marker_model_config', 'marker_model_config: {segmentation_method: otsu}'],
    ['colocalization_config', 'colocalization_config: {min_cell_voxels: 100, min_overlap_voxels: 10}'],
  ]);
  for (const line of c.config ?? []) sections.set(line.slice(0, line.indexOf(':')), line);
  writeFileSync(cfg, [`image: ${c.image}.ome.tif`, `results_dir: ${c.name}_results`, ...sections.values(), 'rois: full', ''].join('\n'));
  const walls: number[] = [];
  const rss: number[] = [];
  let stages: { stage: string; ms: number }[] = [];
  let summary = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    // --no-report: the workflow's own figures; the report is timed by bench/report.ts.
    const r = spawnSync(process.execPath, [cli, 'run', cfg, '--quiet', '--no-report'], {
      env: { ...process.env, CELLCOLOC_BENCH_STATS: '1' },
      encoding: 'utf8',
    });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) {
      console.error(r.stdout, r.stderr);
      process.exit(1);
    }
    const statLine = r.stderr.split('\n').find((l) => l.startsWith('CELLCOLOC_BENCH_STATS '));
    if (!statLine) throw new Error('bench: the CLI printed no stats line');
    const stats = JSON.parse(statLine.slice('CELLCOLOC_BENCH_STATS '.length)) as { maxRssKiB: number; timings: { stage: string; ms: number }[] };
    walls.push(wall);
    rss.push(stats.maxRssKiB / 1024);
    stages = stats.timings;
    summary = r.stdout.trim();
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const wall = med(walls);
  const peak = Math.max(...rss);
  console.log(`\n== ${c.name} (${c.spec.shape.join('×')}, ${c.spec.channels ?? 2} channels uint16, ${runs} runs)`);
  console.log(summary.split('\n').slice(0, 3).join('\n'));
  console.log('stage timings of the last run (ms): ' + stages.map((s) => `${s.stage} ${s.ms.toFixed(0)}`).join(', '));
  const walls3d = results.get('3d_40x512x512');
  const vsTarget = c.target ? `; target ≤ ${c.target.s} s ${wall <= c.target.s ? 'MET' : 'NOT MET'}` : '';
  const vsOriginal = c.original ? `; original ≈ ${c.original.s} s (${(c.original.s / wall).toFixed(1)}× faster)` : '';
  const vs2ch = c.note && walls3d ? `; ${(wall / walls3d).toFixed(2)}× the two-channel 3D run (${c.note})` : '';
  // issue 19: what the intensity sheets add to the plain 2D run (bench/intensity-colocalization.ts times them alone)
  const plain2d = c.name.startsWith('2d_2048x2048_intensity') ? results.get('2d_2048x2048') : undefined;
  const vs2d = plain2d !== undefined ? `; +${((wall - plain2d) * 1000).toFixed(0)} ms over 2d_2048x2048` : '';
  console.log(`whole process wall: median ${wall.toFixed(3)} s (runs: ${walls.map((w) => w.toFixed(3)).join(', ')})${vsTarget}${vsOriginal}${vs2ch}${vs2d}`);
  const rssTarget = c.target ? `; target ≤ ${c.target.mib} MiB ${peak <= c.target.mib ? 'MET' : 'NOT MET'}` : '';
  console.log(`peak RSS: ${peak.toFixed(0)} MiB${rssTarget}${c.original ? `; original ≈ ${c.original.mib} MiB` : ''}`);
  results.set(c.name, wall);
}
