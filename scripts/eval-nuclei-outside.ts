/**
 * How far the built-in `cellcoloc-nuclei` network carries outside its training data (issue 22; numbers for
 * models/README.md). Object counts, no ground-truth masks:
 * - HT29 (CellProfiler ExampleHuman, data/demo/, channel 0 = Hoechst): the demo's Otsu nuclei for comparison
 *   (their count and median equivalent diameter, which is then given to the network as `diameter`), and the
 *   network with `diameter: null`.
 * - ExampleFly Kc167 DAPI (../shared/data/cellprofiler-examplefly-kc167), CellProfiler's crop rows 251–449,
 *   columns 501–699: CellProfiler found 34 nuclei (border-touching objects discarded; median area 336 px ≈ 20.7 px
 *   equivalent diameter, Nuclei.csv); the network with `diameter: null` and 20.7, counted with and without the
 *   objects touching the crop border.
 *
 * Usage: node --import tsx scripts/eval-nuclei-outside.ts [--fly DIR]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfigObject } from '../src/config/load-config.js';
import { runSingleChannelWorkflow } from '../src/pipeline/single-channel.js';
import { segmentWithNucleiModel } from './nuclei-model-method.js';

const i = process.argv.indexOf('--fly');
const flyDir = resolve(i >= 0 ? process.argv[i + 1] : '../shared/data/cellprofiler-examplefly-kc167');
const ht29 = resolve('data/demo/ht29_dna_ph3.ome.tif');

/** Object count, count of objects not touching the image border, median equivalent diameter 2·sqrt(area/π). */
function stats(labels: ArrayLike<number>, Y: number, X: number) {
  const area = new Map<number, number>();
  const border = new Set<number>();
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      const l = labels[y * X + x];
      if (!l) continue;
      area.set(l, (area.get(l) ?? 0) + 1);
      if (y === 0 || x === 0 || y === Y - 1 || x === X - 1) border.add(l);
    }
  }
  const a = [...area.values()].sort((p, q) => p - q);
  const med = a.length ? a[a.length >> 1] : 0;
  return { n: area.size, inner: area.size - border.size, diameter: 2 * Math.sqrt(med / Math.PI) };
}

// HT29: the demo's own cell settings (Otsu, Gaussian σ 1, cleanup 20 px) as the classical comparison
const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-outside-'));
try {
  const otsu = await runSingleChannelWorkflow(
    parseConfigObject({
      image: ht29,
      results_dir: dir,
      voxel_scale_zyx: [1.0, 1.0],
      single_channel_config: { channel_index: 0 },
      model_config: { segmentation_method: 'otsu', prefilter: 'gaussian', prefilter_sigma_xy: 1.0, threshold_min_object_voxels: 20, threshold_min_hole_voxels: 20 },
      rois: 'full',
    }),
  );
  const [, Y, X] = otsu.loaded.image.shape;
  const o = stats(otsu.result.masks.data as ArrayLike<number>, Y, X);
  console.log(`HT29 ${Y}×${X}: demo Otsu ${o.n} nuclei (median equivalent diameter ${o.diameter.toFixed(1)} px)`);
  for (const d of [null, Math.round(o.diameter * 10) / 10]) {
    const s = stats(await segmentWithNucleiModel(ht29, { 'model_config.diameter': d }), Y, X);
    console.log(`HT29 cellcoloc-nuclei diameter ${d}: ${s.n} nuclei (median equivalent diameter ${s.diameter.toFixed(1)} px)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const fly = join(flyDir, '01_POS002_D.TIF');
for (const d of [null, 20.7]) {
  const labels = await segmentWithNucleiModel(fly, { 'model_config.diameter': d }, { runtime_config: { crop_for_testing: [[0, 1], [251, 450], [501, 700]] } });
  const s = stats(labels, 199, 199);
  console.log(`ExampleFly POS002 crop (CellProfiler: 34): cellcoloc-nuclei diameter ${d}: ${s.n} nuclei, ${s.inner} not touching the crop border (median equivalent diameter ${s.diameter.toFixed(1)} px)`);
}
