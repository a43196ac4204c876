/**
 * OME-Zarr bench (issue 20), part of `npm run bench`:
 *  1. the 2048² two-channel bench image as OME-Zarr (NGFF 0.5 / Zarr v3, blosc-zstd, 256² chunks, written here with
 *     zarrita from the OME-TIFF) against the same OME-TIFF: whole-process `cellcoloc run` (same config but the image,
 *     same CLI, same outputs), interleaved, BENCH_ZARR_RUNS runs each (default 7, at least BENCH_RUNS): wall and CPU,
 *     best of the runs and median (target: within 10 %, judged on the best-of wall time AND the median CPU time — on a
 *     shared machine other work only ever adds wall time, so the minimum is the steadiest wall estimate, while the
 *     CPU time (user + system, thread pool included) is the work done and must not hide behind it), and
 *     the same with the WebAssembly decoders (CELLCOLOC_ZARR_NATIVE=0);
 *  2. a 512² `crop_for_testing` of a 16384² single-level single-channel image and of a 4096² one (Zarr v2, zlib,
 *     256² chunks, chunk files written directly): wall time and peak RSS (target: RSS independent of the full size).
 *     The same 512² as a drawn ROI, and `reanalyze` of that run's frame-sized masks (peak RSS must not follow the frame).
 * Everything is generated into bench/out/ (never committed). `BENCH_ZARR_PARTS=1` runs part 1 only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import { writeSyntheticTwoChannel } from './synthetic.js';
import { openImageStack } from '../src/io/image-stack.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const runs = Number(process.env.BENCH_RUNS ?? 3);
const cli = join(root, 'bin', 'cellcoloc.mjs');
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const best = (a: number[]) => Math.min(...a);
const parts = (process.env.BENCH_ZARR_PARTS ?? '1,2').split(',');

const TIME = '/usr/bin/time'; // GNU time, for the child's CPU time (user + sys); without it CPU is not printed
const haveTime = existsSync(TIME);

function runCli(cfg: string, env: Record<string, string> = {}, argv = [cli, 'run', cfg, '--quiet', '--no-report']): { wall: number; cpu: number; rssMiB: number } {
  const t0 = performance.now();
  const r = haveTime
    ? spawnSync(TIME, ['-f', 'CELLCOLOC_TIME %U %S %M', process.execPath, ...argv], { env: { ...process.env, CELLCOLOC_BENCH_STATS: '1', ...env }, encoding: 'utf8' })
    : spawnSync(process.execPath, argv, { env: { ...process.env, CELLCOLOC_BENCH_STATS: '1', ...env }, encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`bench/zarr: ${cfg}: ${r.stderr}`);
  const line = r.stderr.split('\n').find((l) => l.startsWith('CELLCOLOC_BENCH_STATS '));
  const tl = r.stderr.split('\n').find((l) => l.startsWith('CELLCOLOC_TIME '));
  const cpu = tl ? tl.split(' ').slice(1, 3).reduce((a, v) => a + Number(v), 0) : NaN;
  // `run` prints its own peak RSS; for other commands (reanalyze) GNU time's %M (KiB) gives it.
  const rssKiB = line ? (JSON.parse(line.slice('CELLCOLOC_BENCH_STATS '.length)) as { maxRssKiB: number }).maxRssKiB : Number(tl?.split(' ')[3]);
  return { wall, cpu, rssMiB: rssKiB / 1024 };
}

// --- 1. 2048² two-channel: OME-TIFF vs OME-Zarr
const tif = join(out, '2d_2048x2048.ome.tif');
if (!existsSync(tif)) {
  writeSyntheticTwoChannel(tif, { shape: [1, 2048, 2048], nCells: 300, nMarkers: 300, cellR: [10, 16], markerR: [3, 6], cellRz: [1, 1], markerRz: [1, 1], seed: 1 });
}
const zpath = join(out, '2d_2048x2048.ome.zarr');
if (!existsSync(zpath)) {
  const t0 = performance.now();
  const src = await openImageStack(tif);
  const [, , C, Y, X] = src.rawShapeTzcyx;
  mkdirSync(zpath);
  const store = new FileSystemStore(zpath);
  const g = zarr.root(store);
  const [zy, zx] = [src.physicalSize.zyxUm[1] ?? 1, src.physicalSize.zyxUm[2] ?? 1];
  await zarr.create(g, {
    attributes: {
      ome: {
        version: '0.5',
        multiscales: [
          {
            axes: [{ name: 'c', type: 'channel' }, { name: 'y', type: 'space', unit: 'micrometer' }, { name: 'x', type: 'space', unit: 'micrometer' }],
            datasets: [{ path: '0', coordinateTransformations: [{ type: 'scale', scale: [1, zy, zx] }] }],
          },
        ],
      },
    },
  });
  const arr = await zarr.create(g.resolve('0'), {
    shape: [C, Y, X],
    chunkShape: [1, 256, 256],
    dtype: 'uint16',
    codecs: [
      { name: 'bytes', configuration: { endian: 'little' } },
      { name: 'blosc', configuration: { cname: 'zstd', clevel: 3, shuffle: 'shuffle', typesize: 2, blocksize: 0 } },
    ],
  });
  for (let c = 0; c < C; c++) {
    const v = await src.readChannel(c, 0);
    await zarr.set(arr, [c, null, null], { data: v.data as Uint16Array, shape: [Y, X], stride: [X, 1] });
  }
  console.log(`generated ${zpath} (blosc-zstd, 256² chunks) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const cfgFor = (name: string, image: string, extra: string[] = []) => {
  const p = join(out, `${name}.yaml`);
  writeFileSync(
    p,
    [`image: ${image}`, `results_dir: ${name}_results`, 'channel_config: {cell_channel: 0, marker_channel: 1}', 'cell_model_config: {segmentation_method: otsu}', 'marker_model_config: {segmentation_method: otsu}', 'colocalization_config: {min_cell_voxels: 100, min_overlap_voxels: 10}', ...extra, ''].join('\n'),
  );
  return p;
};
const cT = cfgFor('zarr_vs_tiff_tiff', tif);
const cZ = cfgFor('zarr_vs_tiff_zarr', zpath);
type M = { wall: number; cpu: number };
const mT: M[] = [];
const mZ: M[] = [];
const mW: M[] = []; // numcodecs.js' WebAssembly decoders instead of libzstd (CELLCOLOC_ZARR_NATIVE=0), for comparison
const runs1 = Number(process.env.BENCH_ZARR_RUNS ?? Math.max(runs, 7));
for (let i = 0; i < runs1; i++) {
  mT.push(runCli(cT));
  mZ.push(runCli(cZ));
  mW.push(runCli(cZ, { CELLCOLOC_ZARR_NATIVE: '0' }));
}
const show = (m: M[]) =>
  `wall best ${best(m.map((x) => x.wall)).toFixed(3)} s, median ${med(m.map((x) => x.wall)).toFixed(3)} s (${m.map((x) => x.wall.toFixed(3)).join(', ')})` +
  (haveTime ? `; CPU best ${best(m.map((x) => x.cpu)).toFixed(2)} s, median ${med(m.map((x) => x.cpu)).toFixed(2)} s` : '');
const pct = (a: number, b: number) => `${a / b >= 1 ? '+' : ''}${(a / b * 100 - 100).toFixed(1)} %`;
const vs = (m: M[]) =>
  `wall ${pct(best(m.map((x) => x.wall)), best(mT.map((x) => x.wall)))} best, ${pct(med(m.map((x) => x.wall)), med(mT.map((x) => x.wall)))} median` +
  (haveTime ? `; CPU ${pct(best(m.map((x) => x.cpu)), best(mT.map((x) => x.cpu)))} best, ${pct(med(m.map((x) => x.cpu)), med(mT.map((x) => x.cpu)))} median` : '');
const ratio = best(mZ.map((x) => x.wall)) / best(mT.map((x) => x.wall));
const cpuRatio = haveTime ? med(mZ.map((x) => x.cpu)) / med(mT.map((x) => x.cpu)) : 1;
console.log(`\n== OME-Zarr vs OME-TIFF, 2048² two-channel uint16 (${runs1} runs each, interleaved; whole process)`);
console.log(`OME-TIFF: ${show(mT)}`);
console.log(`OME-Zarr: ${show(mZ)}`);
console.log(`OME-Zarr vs OME-TIFF: ${vs(mZ)}; target within 10 % (best-of wall${haveTime ? ' and median CPU' : ''}) ${ratio <= 1.1 && cpuRatio <= 1.1 ? 'MET' : 'NOT MET'}`);
console.log(`OME-Zarr, CELLCOLOC_ZARR_NATIVE=0 (WebAssembly zstd): ${show(mW)}; vs OME-TIFF ${vs(mW)}`);

// --- 2. a 512² crop of a 16384² (and a 4096²) single-level image: RSS must not grow with the full size
if (!parts.includes('2')) process.exit(0);
function writeBigZarr(path: string, size: number): void {
  if (existsSync(join(path, '.zattrs'))) return;
  rmSync(path, { recursive: true, force: true });
  const t0 = performance.now();
  const chunk = 256;
  mkdirSync(join(path, '0'), { recursive: true });
  writeFileSync(join(path, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
  writeFileSync(
    join(path, '.zattrs'),
    JSON.stringify({
      multiscales: [
        {
          version: '0.4',
          axes: [{ name: 'y', type: 'space', unit: 'micrometer' }, { name: 'x', type: 'space', unit: 'micrometer' }],
          datasets: [{ path: '0', coordinateTransformations: [{ type: 'scale', scale: [0.5, 0.5] }] }],
        },
      ],
    }),
  );
  writeFileSync(
    join(path, '0', '.zarray'),
    JSON.stringify({ zarr_format: 2, shape: [size, size], chunks: [chunk, chunk], dtype: '<u2', compressor: { id: 'zlib', level: 1 }, fill_value: 0, order: 'C', filters: null, dimension_separator: '/' }),
  );
  // Blobs on a 32-px grid (a bright disc of radius 9 in every cell of the grid) over a background of 100.
  const tile = new Uint16Array(chunk * chunk);
  for (let y = 0; y < chunk; y++) for (let x = 0; x < chunk; x++) {
    const dy = (y % 32) - 16, dx = (x % 32) - 16;
    tile[y * chunk + x] = dy * dy + dx * dx <= 81 ? 1000 : 100;
  }
  const bytes = deflateSync(Buffer.from(tile.buffer), { level: 1 });
  const n = size / chunk;
  for (let cy = 0; cy < n; cy++) {
    mkdirSync(join(path, '0', String(cy)), { recursive: true });
    for (let cx = 0; cx < n; cx++) writeFileSync(join(path, '0', String(cy), String(cx)), bytes);
  }
  console.log(`generated ${path} (${size}², ${n * n} chunks) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
console.log(`\n== 512² crop_for_testing of a large single-level OME-Zarr (single channel, ${runs} runs each)`);
const bigRss: number[] = [];
const roiRss: number[] = [];
const reRss: number[] = [];
const bigSizes = (process.env.BENCH_ZARR_BIG_SIZES ?? '4096,16384').split(',').map(Number);
for (const size of bigSizes) {
  const p = join(out, `big_${size}.ome.zarr`);
  writeBigZarr(p, size);
  const cfg = join(out, `big_${size}.yaml`);
  writeFileSync(
    cfg,
    [`image: ${p}`, `results_dir: big_${size}_results`, 'single_channel_config: {channel_index: 0}', 'model_config: {segmentation_method: otsu}', 'runtime_config: {crop_for_testing: [[0, 1], [8000, 8512], [1000, 1512]]}'.replace('8000, 8512', size > 8512 ? '8000, 8512' : '2000, 2512'), ''].join('\n'),
  );
  const w: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < runs; i++) {
    const m = runCli(cfg);
    w.push(m.wall);
    r.push(m.rssMiB);
  }
  bigRss.push(Math.max(...r));
  console.log(`${size}² (${((size * size * 2) / 2 ** 20).toFixed(0)} MiB of pixels): median ${med(w).toFixed(3)} s, peak RSS ${Math.max(...r).toFixed(0)} MiB`);
  // The same 512² as a drawn ROI (two-channel run, both roles on channel 0): only the ROI's chunks are read and
  // analysed (src/pipeline/analysis-window.ts); the ROI raster and the labels are window-sized, the frame-sized
  // mask TIFFs are streamed from the window into their files (src/export/placed-tiff*.ts, zero-run-deflate.ts).
  const y0 = size > 8512 ? 8000 : 2000;
  const roiCfg = join(out, `big_${size}_roi.yaml`);
  writeFileSync(
    roiCfg,
    [`image: ${p}`, `results_dir: big_${size}_roi_results`, 'channel_config: {cell_channel: 0, marker_channel: 0}', 'cell_model_config: {segmentation_method: otsu}', 'marker_model_config: {segmentation_method: otsu}',
      `rois: {shapes: [{type: rectangle, data: [[${y0}, 1000], [${y0 + 512}, 1000], [${y0 + 512}, 1512], [${y0}, 1512]]}]}`, ''].join('\n'),
  );
  const wr: number[] = [];
  const rr: number[] = [];
  for (let i = 0; i < runs; i++) {
    const m = runCli(roiCfg);
    wr.push(m.wall);
    rr.push(m.rssMiB);
  }
  roiRss.push(Math.max(...rr));
  console.log(`${size}², 512² drawn ROI: median ${med(wr).toFixed(3)} s, peak RSS ${Math.max(...rr).toFixed(0)} MiB`);
  // `reanalyze` of that run's frame-sized masks: streamed row band by row band and cut to the window
  // (src/pipeline/label-masks.ts), so its memory follows the ROI too.
  const masks = (role: string) => join(out, `big_${size}_roi_results`, `big_${size}.ome_${role}_masks.tif`);
  const reArgv = [cli, 'reanalyze', roiCfg, '--cell-masks', masks('cell'), '--marker-masks', masks('marker'), '--results-dir', join(out, `big_${size}_reanalyze`), '--quiet'];
  const we: number[] = [];
  const re: number[] = [];
  for (let i = 0; i < runs; i++) {
    const m = runCli(roiCfg, {}, reArgv);
    we.push(m.wall);
    re.push(m.rssMiB);
  }
  reRss.push(Math.max(...re));
  console.log(`${size}², reanalyze of the drawn ROI's masks: median ${med(we).toFixed(3)} s, peak RSS ${Math.max(...re).toFixed(0)} MiB`);
}
if (bigRss.length === 2) {
  console.log(`RSS 16384² / 4096²: crop ${(bigRss[1] / bigRss[0]).toFixed(2)}× (target: independent of the full size ${bigRss[1] <= bigRss[0] * 1.1 ? 'MET' : 'NOT MET'}); ` +
    `drawn ROI ${(roiRss[1] / roiRss[0]).toFixed(2)}× (${roiRss[1] <= roiRss[0] * 1.1 ? 'MET' : 'NOT MET'}; what grows: the zeros next to the window still fed to zlib and their output, src/export/zero-run-deflate.ts); ` +
    `reanalyze ${(reRss[1] / reRss[0]).toFixed(2)}× (${reRss[1] <= reRss[0] * 1.1 ? 'MET' : 'NOT MET'})`);
}
