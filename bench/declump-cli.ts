/**
 * `npm run bench` (part): what declumping costs in a real `cellcoloc run` — a fresh process per run, as a user
 * runs it — on the 2048×2048 benchmark image (bench/run.ts's `2d_2048x2048`: 300 soft discs of radius 10–16 px,
 * some touching).
 *
 * bench/declump.ts times the segmentation stage warm, in one process after a warm-up round: the steady state of a
 * long batch worker. In a fresh process the same stage also pays for V8's warm-up of every JavaScript function it
 * runs (interpreted and baseline-compiled until the optimiser has seen enough of it), and declumping runs much
 * more JavaScript than the plain chain. Both figures are printed; neither alone is the cost a user sees.
 *
 * Variants, interleaved (BENCH_RUNS rounds, default 15), each `cellcoloc run --quiet --no-report` with
 * CELLCOLOC_BENCH_STATS: the plain chain (Otsu on both channels), the cell channel with the object rules alone, and
 * with the object rules and
 * `declump_method: shape` / `intensity` (typical diameter [20, 32] px, fill_holes, exclude_border_objects,
 * discard_outside_diameter — the same settings as bench/declump.ts). Printed: the `segment cell` stage and the
 * whole process, median and best wall time, and the paired change of the stage (bench/paired.ts: the median of the
 * rounds' ratios with its 95 % interval, from which the verdict is read). Target (issue 18.4): declumping adds at
 * most 30 % to the segmentation stage.
 *
 * Each variant also runs with CELLCOLOC_HELPER_THREADS=normal (interleaved with the rest): V8's helper threads at the
 * process's priority, as before the launcher lowered it (bin/cellcoloc.mjs). On a machine with few cores that is
 * what moved these figures most — the helpers' garbage-collection marking and optimising compiles took a core from
 * the main thread — so both are printed; the first table is what a user's `cellcoloc run` does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bench2dImage } from './synthetic.js';
import { formatPairedChange, pairedChange, pairedVerdict } from './paired.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
const image = bench2dImage(out);
const cli = join(root, 'bin', 'cellcoloc.mjs');
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('bench: dist/ is missing: run `npm run build` first (npm run bench does)');
  process.exit(1);
}
// 15 rounds (7 until 2026-12-06: on this 2-core host a fresh process's stage time is bimodal, 25–30 or 40–60 ms,
// and a median of 7 moved by ±10 points from one bench to the next).
const runs = Number(process.env.BENCH_RUNS ?? 15);
const rules = 'typical_diameter_px: [20, 32], fill_holes: true, exclude_border_objects: true, discard_outside_diameter: true';
const variants: [string, string][] = [
  ['otsu, no declumping', '{segmentation_method: otsu}'],
  ['otsu + rules, no declumping', `{segmentation_method: otsu, ${rules}}`],
  ['otsu + rules + declump_method shape', `{segmentation_method: otsu, declump_method: shape, ${rules}}`],
  ['otsu + rules + declump_method intensity', `{segmentation_method: otsu, declump_method: intensity, ${rules}}`],
];
const configs = variants.map(([, cellModel], k) => {
  const cfg = join(out, `declump_cli_${k}.yaml`);
  writeFileSync(
    cfg,
    [
      'image: 2d_2048x2048.ome.tif',
      `results_dir: declump_cli_${k}_results`,
      'channel_config: {cell_channel: 0, marker_channel: 1}',
      `cell_model_config: ${cellModel}`,
      'marker_model_config: {segmentation_method: otsu}',
      'colocalization_config: {min_cell_voxels: 100, min_overlap_voxels: 10}',
      'rois: full',
      '',
    ].join('\n'),
  );
  return cfg;
});

// Per helper-thread setting (the launcher's default, then `normal`) and variant: the samples.
const settings = ['lowered', 'normal'] as const;
const samples = settings.map(() => ({ stage: variants.map(() => [] as number[]), whole: variants.map(() => [] as number[]) }));
const counts: string[] = [];
for (let round = 0; round < runs; round++) {
  for (const [k, cfg] of configs.entries()) for (const [h, setting] of settings.entries()) {
    const { stage, whole } = samples[h];
    const env = { ...process.env, CELLCOLOC_BENCH_STATS: '1', CELLCOLOC_HELPER_THREADS: setting === 'normal' ? 'normal' : '' };
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'run', cfg, '--quiet', '--no-report'], { env, encoding: 'utf8' });
    const wall = performance.now() - t0;
    if (r.status !== 0) {
      console.error(r.stdout, r.stderr);
      process.exit(1);
    }
    const statLine = r.stderr.split('\n').find((l) => l.startsWith('CELLCOLOC_BENCH_STATS '));
    if (!statLine) throw new Error('bench: the CLI printed no stats line');
    const stats = JSON.parse(statLine.slice('CELLCOLOC_BENCH_STATS '.length)) as { timings: { stage: string; ms: number }[] };
    const cell = stats.timings.find((t) => t.stage === 'segment cell');
    if (!cell) throw new Error(`bench: no 'segment cell' stage in ${statLine}`);
    stage[k].push(cell.ms);
    whole[k].push(wall);
    // The summary table's first ROI row: ROI, cells, marker-positive cells, marker objects.
    const [, nCells, nPositive, nMarkers] = (r.stdout.trim().split('\n')[1] ?? '').trim().split(/\s+/);
    counts[k] = `${nCells} cells, ${nPositive} marker-positive, ${nMarkers} marker objects`;
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const best = (a: number[]) => Math.min(...a);
const pct = (x: number, b: number) => (100 * (x - b)) / b;
const sign = (p: number) => `${p >= 0 ? '+' : ''}${p.toFixed(0)} %`;
for (const [h, setting] of settings.entries()) {
  const { stage, whole } = samples[h];
  console.log(
    `\n== declumping in a fresh process: \`cellcoloc run\` on the 2048×2048 image, ${runs} interleaved runs (median / best wall)${
      setting === 'normal' ? ' — V8 helper threads at normal priority (CELLCOLOC_HELPER_THREADS=normal)' : ''
    }`,
  );
  // The verdict reads the paired change (bench/paired.ts), as bench/declump.ts's: the rounds' ratios of the stage time.
  const versus = (k: number, b: number) => {
    const p = pairedChange(stage[k], stage[b]);
    return `${sign(pct(median(stage[k]), median(stage[b])))} / ${sign(pct(best(stage[k]), best(stage[b])))}, paired ${formatPairedChange(p)}, target ≤ +30 % ${pairedVerdict(p, 30)}`;
  };
  for (const [k, [name]] of variants.entries()) {
    // Two readings, as bench/declump.ts: rules + declumping against the plain chain, and declumping alone against the
    // chain with the same rules.
    const vs =
      k < 2
        ? k === 1
          ? ` (segment cell vs plain ${sign(pct(median(stage[1]), median(stage[0])))} / ${sign(pct(best(stage[1]), best(stage[0])))})`
          : ''
        : ` (segment cell vs plain otsu ${versus(k, 0)}; declumping alone, vs otsu + rules ${versus(k, 1)}; whole process ${median(whole[k]) >= median(whole[0]) ? '+' : ''}${(median(whole[k]) - median(whole[0])).toFixed(0)} ms)`;
    console.log(`${name}: segment cell ${median(stage[k]).toFixed(0)} / ${best(stage[k]).toFixed(0)} ms, whole process ${median(whole[k]).toFixed(0)} / ${best(whole[k]).toFixed(0)} ms${vs}; ${counts[k]}`);
  }
}
