/**
 * `npm run bench` — reports (issue 17): `cellcoloc report` on a 2048×2048 two-channel run (target ≤ 0.3 s)
 * and on a 48-sample experiment (target ≤ 3 s), each in a fresh process; prints the time inside `writeReport`
 * (CELLCOLOC_REPORT_MS) with its CPU time (all threads, and the main thread), the whole process wall time, and
 * the report's size. The experiment's samples are
 * 512×512 synthetic runs whose own reports exist (as `cellcoloc run`/`batch` leave them); the 96-sample size
 * (≤ 5 MiB) is measured on the same samples twice over. Data goes to bench/out/ (never committed).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bench2dImage, writeSyntheticTwoChannel } from './synthetic.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
const cli = join(root, 'bin', 'cellcoloc.mjs');
const runs = Number(process.env.BENCH_RUNS ?? 3);
mkdirSync(out, { recursive: true });
if (!existsSync(join(root, 'dist', 'report', 'plot-runtime.bundle.cjs'))) {
  console.error('bench/report: dist/ is missing or old: run `npm run build` first (npm run bench does)');
  process.exit(1);
}

function sh(args: string[], env: Record<string, string> = {}): { stdout: string; stderr: string; wall: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  return { stdout: r.stdout, stderr: r.stderr, wall };
}

const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const mib = (p: string) => statSync(p).size / 2 ** 20;

function timeReport(dir: string, label: string, target: number): void {
  const inside: number[] = [];
  const cpu: number[] = [];
  const mainCpu: number[] = [];
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = sh(['report', dir, '-q'], { CELLCOLOC_BENCH_STATS: '1' });
    const line = r.stderr.split('\n').find((l) => l.startsWith('CELLCOLOC_REPORT_MS '));
    if (!line) throw new Error('bench/report: no CELLCOLOC_REPORT_MS line');
    // `CELLCOLOC_REPORT_MS <wall ms> cpu <process CPU ms> main <main-thread CPU ms, -1 if unknown>`
    const f = line.split(' ');
    inside.push(Number(f[1]) / 1000);
    cpu.push(Number(f[3]) / 1000);
    mainCpu.push(Number(f[5]) / 1000);
    walls.push(r.wall);
  }
  const m = med(inside);
  console.log(`\n== report: ${label} (${runs} runs)`);
  console.log(`writeReport: median ${m.toFixed(3)} s (runs: ${inside.map((v) => v.toFixed(3)).join(', ')}); target ≤ ${target} s ${m <= target ? 'MET' : 'NOT MET'}`);
  console.log(`writeReport CPU: median ${med(cpu).toFixed(3)} s all threads${med(mainCpu) >= 0 ? `, ${med(mainCpu).toFixed(3)} s main thread` : ''} (on a busy machine compare these)`);
  console.log(`whole process wall (node start-up + plotting libraries + report): median ${med(walls).toFixed(3)} s`);
  console.log(`report.html: ${mib(join(dir, 'report.html')).toFixed(2)} MiB`);
}

const base = (image: string, resultsDir: string, coloc = '{min_cell_voxels: 100, min_overlap_voxels: 10}') =>
  [
    `image: ${image}`,
    `results_dir: ${resultsDir}`,
    'channel_config: {cell_channel: 0, marker_channel: 1}',
    'cell_model_config: {segmentation_method: otsu}',
    'marker_model_config: {segmentation_method: otsu}',
    `colocalization_config: ${coloc}`,
    'rois: full',
    '',
  ].join('\n');

// 1. A 2048² two-channel run (bench/run.ts's image), analysed once without a report, then reported.
const image2d = bench2dImage(out);
const run2d = join(out, 'report_2d_results');
writeFileSync(join(out, 'report_2d.yaml'), base(image2d, run2d));
sh(['run', join(out, 'report_2d.yaml'), '-q', '--no-report']);
timeReport(run2d, 'single run, 2048×2048, 2 channels', 0.3);

// 2. 48 samples of 512² (different seeds), each with its run report, in the experiment layout.
const exp = join(out, 'report_experiment');
rmSync(exp, { recursive: true, force: true });
mkdirSync(join(exp, 'samples'), { recursive: true });
const wells = (n: number) => Array.from({ length: n }, (_, i) => `${String.fromCharCode(65 + Math.floor(i / 12))}${String((i % 12) + 1).padStart(2, '0')}`);
const t0 = performance.now();
const summary = ['sample,condition,well'];
const w48 = wells(48);
for (let i = 0; i < 48; i++) {
  const s = `s${String(i + 1).padStart(2, '0')}`;
  const img = join(out, 'report_samples', `${s}.ome.tif`);
  if (!existsSync(img)) {
    mkdirSync(dirname(img), { recursive: true });
    writeSyntheticTwoChannel(img, { shape: [1, 512, 512], nCells: 60, nMarkers: 30 + (i % 4) * 15, cellR: [8, 12], markerR: [3, 5], cellRz: [1, 1], markerRz: [1, 1], seed: 100 + i });
  }
  const cfg = join(out, 'report_samples', `${s}.yaml`);
  writeFileSync(cfg, base(img, join(exp, 'samples', s), '{min_cell_voxels: 60, min_overlap_voxels: 10}'));
  sh(['run', cfg, '-q']);
  writeFileSync(join(exp, 'samples', s, 'done.json'), '{}\n');
  summary.push(`${s},${['ctrl', 'drug A', 'drug B', 'drug C'][i % 4]},${w48[i]}`);
}
writeFileSync(join(exp, 'experiment_summary.csv'), summary.join('\n') + '\n');
writeFileSync(join(exp, 'failures.csv'), 'sample,error\n');
writeFileSync(join(exp, 'batch_manifest.json'), JSON.stringify({ createdAt: new Date().toISOString(), bench: true }) + '\n');
console.log(`\n(48 sample runs with their reports: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
timeReport(exp, 'experiment, 48 samples (512×512 each, sample reports present)', 3);

// 3. 96 samples: the same 48 twice (other names and wells) — the size limit is 5 MiB.
const w96 = wells(96);
const summary96 = ['sample,condition,well'];
for (let i = 0; i < 96; i++) {
  const s = `s${String(i + 1).padStart(2, '0')}`;
  if (i >= 48) cpSync(join(exp, 'samples', `s${String(i - 47).padStart(2, '0')}`), join(exp, 'samples', s), { recursive: true, preserveTimestamps: true });
  summary96.push(`${s},${['ctrl', 'drug A', 'drug B', 'drug C'][i % 4]},${w96[i]}`);
}
writeFileSync(join(exp, 'experiment_summary.csv'), summary96.join('\n') + '\n');
timeReport(exp, 'experiment, 96 samples', Infinity);
const size96 = mib(join(exp, 'report.html'));
console.log(`96-sample report size: ${size96.toFixed(2)} MiB; target ≤ 5 MiB ${size96 <= 5 ? 'MET' : 'NOT MET'}`);
