/**
 * `node --import tsx scripts/declump-counts.ts [EXAMPLEFLY_DIR]`: object counts of the threshold methods with
 * and without declumping on two images with an outside reference count (docs/declumping.md):
 *
 * - CellProfiler ExampleFly, site POS002, DAPI channel, the crop of the CellProfiler pipeline (rows 251–449,
 *   columns 501–699; default folder ../shared/data/cellprofiler-examplefly-kc167, README there): CellProfiler
 *   finds 34 nuclei with intensity declumping, typical diameter 10–40 px, objects outside the range and touching
 *   the border discarded, holes filled. Same settings here (Otsu with two classes instead of CellProfiler's
 *   three-class Otsu).
 * - The bundled HT29 demo (data/demo, CellProfiler ExampleHuman): ~286 nuclei; its cell_model_config plus
 *   declumping with typical diameter 12–40 px.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseConfigObject } from '../src/config/load-config.js';
import { resolveRoiLabels } from '../src/roi/resolve-rois.js';
import { loadSingleChannelImage, prepareSingleChannelImageForAnalysis, runRoiSingleChannelSegmentation } from '../src/pipeline/single-channel.js';

async function count(config: Record<string, unknown>): Promise<number> {
  const c = parseConfigObject(config);
  const sc = c.singleChannel!;
  const loaded = prepareSingleChannelImageForAnalysis(
    await loadSingleChannelImage(c.image, sc.channelIndex, c.voxelScaleZyx, { cropForTesting: c.runtimeConfig.cropForTesting, t: 0 }),
    sc.modelConfig,
  );
  const rois = await resolveRoiLabels(c, [loaded.image.shape[1], loaded.image.shape[2]]);
  const r = await runRoiSingleChannelSegmentation(loaded, rois, sc.modelConfig, { minObjectVoxels: sc.minObjectVoxels }, c.runtimeConfig);
  return new Set(r.masks.data).size - 1;
}

const fly = resolve(process.argv[2] ?? '../shared/data/cellprofiler-examplefly-kc167');
const methods = ['none', 'shape', 'intensity'] as const;
if (existsSync(join(fly, '01_POS002_D.TIF'))) {
  const out: string[] = [];
  for (const m of methods) {
    const n = await count({
      image: join(fly, '01_POS002_D.TIF'),
      single_channel_config: { channel_index: 0 },
      model_config: {
        segmentation_method: 'otsu',
        declump_method: m,
        typical_diameter_px: [10, 40],
        fill_holes: true,
        exclude_border_objects: true,
        discard_outside_diameter: true,
      },
      analysis_config: { min_object_voxels: 0 },
      runtime_config: { crop_for_testing: [[0, 1], [251, 450], [501, 700]] },
      rois: 'full',
    });
    out.push(`${m} ${n}`);
  }
  console.log(`ExampleFly POS002 crop (CellProfiler: 34 nuclei): ${out.join(', ')}`);
} else console.log(`ExampleFly: ${fly} not found, skipped`);

const demo = resolve('data/demo');
const out: string[] = [];
for (const m of methods) {
  const n = await count({
    image: join(demo, 'ht29_dna_ph3.ome.tif'),
    voxel_scale_zyx: [1.0, 1.0],
    single_channel_config: { channel_index: 0 },
    model_config: {
      segmentation_method: 'otsu',
      prefilter: 'gaussian',
      prefilter_sigma_xy: 1.0,
      threshold_min_object_voxels: 20,
      threshold_min_hole_voxels: 20,
      declump_method: m,
      typical_diameter_px: [12, 40],
      fill_holes: true,
    },
    analysis_config: { min_object_voxels: 30 },
    rois: 'full',
  });
  out.push(`${m} ${n}`);
}
console.log(`HT29 demo (about 286 nuclei): ${out.join(', ')}`);
