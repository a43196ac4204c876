/**
 * Issue 21: `cellcoloc run` side by side with a minimal NumPy/SciPy/scikit-image script doing the same work
 * (bench/numpy_pipeline.py) on the bench images of bench/run.ts, whole process each, interleaved, best of
 * BENCH_RUNS (default 3). Prints both times, the ratio (target: cellcoloc ≥ 3× faster in 2D and 3D) and the ratio
 * to the original package (≈ 6.4 s 2D, ≈ 18.1 s 3D on the 2-core machine). Skipped with a message when
 * /usr/bin/python3 (or python3) lacks numpy, scipy, scikit-image or tifffile (Debian: python3-numpy, python3-scipy,
 * python3-skimage, python3-tifffile).
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
const cli = join(root, 'bin', 'cellcoloc.mjs');
const script = join(root, 'bench', 'numpy_pipeline.py');

const python = ['/usr/bin/python3', 'python3'].find((py) => {
  const r = spawnSync(py, ['-c', 'import numpy, scipy, skimage, tifffile'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
});
if (!python) {
  console.log('\n== NumPy side by side (issue 21): SKIPPED — no python3 with numpy, scipy, scikit-image and tifffile (Debian: apt-get install python3-numpy python3-scipy python3-skimage python3-tifffile)');
  process.exit(0);
}
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('bench: dist/ is missing: run `npm run build` first (npm run bench does)');
  process.exit(1);
}

// Same images and specs as bench/run.ts (the files are shared when it ran first).
const cases: { name: string; spec: SyntheticSpec; original: number }[] = [
  {
    name: '2d_2048x2048',
    spec: BENCH_2D_SPEC,
    original: 6.4,
  },
  {
    name: '3d_40x512x512',
    spec: { shape: [40, 512, 512], nCells: 150, nMarkers: 150, cellR: [7, 11], markerR: [2.5, 4], cellRz: [3, 5], markerRz: [1.5, 2.5], seed: 2 },
    original: 18.1,
  },
];

// GNU time gives each process's CPU time (user + system), which a loaded shared machine inflates far less than
// the wall time; without it only wall times are printed.
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const CPU_MARK = 'CELLCOLOC_CPU';

function timed(cmd: string, args: string[]): { s: number; cpu: number; stdout: string } {
  const t0 = performance.now();
  const r = gnuTime
    ? spawnSync(gnuTime, ['-f', `${CPU_MARK} %U %S`, cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(`bench: ${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
    process.exit(1);
  }
  const line = r.stderr.split('\n').find((l) => l.startsWith(CPU_MARK));
  const cpu = line ? line.split(' ').slice(1).reduce((a, v) => a + Number(v), 0) : NaN;
  return { s, cpu, stdout: r.stdout };
}

console.log(`\n== NumPy side by side (issue 21; ${python}; best of ${runs}, interleaved, whole process)`);
for (const c of cases) {
  const image = join(out, `${c.name}.ome.tif`);
  if (!existsSync(image)) writeSyntheticTwoChannel(image, c.spec);
  const cfg = join(out, `${c.name}_vs_numpy.yaml`);
  writeFileSync(
    cfg,
    [
      `image: ${c.name}.ome.tif`,
      `results_dir: ${c.name}_vs_numpy_results`,
      'channel_config: {cell_channel: 0, marker_channel: 1}',
      'cell_model_config: {segmentation_method: otsu}',
      'marker_model_config: {segmentation_method: otsu}',
      'colocalization_config: {min_cell_voxels: 100, min_overlap_voxels: 10}',
      'rois: full',
      '',
    ].join('\n'),
  );
  const ours: number[] = [];
  const theirs: number[] = [];
  const oursCpu: number[] = [];
  const theirsCpu: number[] = [];
  let ourSummary = '';
  let numpyCounts = '';
  for (let i = 0; i < runs; i++) {
    const a = timed(process.execPath, [cli, 'run', cfg, '--quiet', '--no-report']);
    ours.push(a.s);
    oursCpu.push(a.cpu);
    ourSummary = a.stdout.trim().split('\n').slice(0, 3).join(' | ');
    const b = timed(python, [script, image, join(out, `${c.name}_numpy_results`)]);
    theirs.push(b.s);
    theirsCpu.push(b.cpu);
    numpyCounts = b.stdout.trim();
  }
  const best = (a: number[]) => Math.min(...a);
  const ratio = best(theirs) / best(ours);
  const cpuText = (a: number[]) => (gnuTime ? `, CPU best ${best(a).toFixed(3)} s` : '');
  console.log(`-- ${c.name}`);
  console.log(`cellcoloc run: wall best ${best(ours).toFixed(3)} s (runs ${ours.map((s) => s.toFixed(3)).join(', ')})${cpuText(oursCpu)}; ${ourSummary}`);
  console.log(`numpy_pipeline.py: wall best ${best(theirs).toFixed(3)} s (runs ${theirs.map((s) => s.toFixed(3)).join(', ')})${cpuText(theirsCpu)}; ${numpyCounts}`);
  const cpuRatio = gnuTime ? `; CPU-time ratio ${(best(theirsCpu) / best(oursCpu)).toFixed(2)}×` : '';
  console.log(
    `cellcoloc is ${ratio.toFixed(2)}× the NumPy script's speed (target ≥ 3×: ${ratio >= 3 ? 'MET' : 'NOT MET'}); ` +
      `${(c.original / best(ours)).toFixed(1)}× faster than the original (≈ ${c.original} s, its time on a quiet 2-core machine)${cpuRatio}`,
  );
}
