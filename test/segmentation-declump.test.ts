/**
 * Declumping kernels and the whole chain against outside references:
 * - SciPy `distance_transform_edt(sampling=…)`, scikit-image `peak_local_max(footprint=ellipsoid, labels=…)`
 *   and `watershed(-distance, markers, mask, connectivity=full)` on constructed touching disks (2D) and
 *   spheres (3D isotropic and 2 µm × 0.5 µm × 0.5 µm voxels), from `scripts/gen-declump-reference.py`
 *   (test/data/declump/reference.json);
 * - hand-annotated ground truth (BBBC039, CC0): F1 at IoU 0.5 of two dev-image crops with the recommended
 *   2D nuclei config (test/data/declump/bbbc039-dev/, README there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distanceTransform } from '../src/segmentation/kernels/distance-transform.js';
import { peakLocalMax } from '../src/segmentation/kernels/peaks.js';
import { seededWatershed } from '../src/segmentation/kernels/watershed.js';
import { labelComponents } from '../src/segmentation/label.js';
import { declumpMask, type DeclumpSettings } from '../src/segmentation/declump/declump.js';
import { parseConfigObject } from '../src/config/load-config.js';
import { openImageStack } from '../src/io/image-stack.js';
import { resolveRoiLabels } from '../src/roi/resolve-rois.js';
import { loadSingleChannelImage, runRoiSingleChannelSegmentation } from '../src/pipeline/single-channel.js';
import { scoreInstances } from '../src/segmentation/instance-metrics.js';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, 'data', 'declump');

interface RefCase {
  name: string;
  shape: [number, number, number];
  spacing: [number, number, number];
  minDistance: number;
  components: number;
  mask: string;
  distance: string;
  peaks: number[];
  labels: string;
}
const ref = JSON.parse(readFileSync(join(dataDir, 'reference.json'), 'utf8')) as { cases: RefCase[] };
const bytes = (b64: string) => {
  const b = gunzipSync(Buffer.from(b64, 'base64'));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};

/** Fraction of mask voxels on which two label images agree up to a renumbering (one-to-one by majority). */
function agreement(a: Uint32Array | Uint16Array, b: Uint16Array, mask: Uint8Array): { fraction: number; na: number; nb: number } {
  const pairs = new Map<string, number>();
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (!mask[i]) continue;
    n++;
    const k = `${a[i]},${b[i]}`;
    pairs.set(k, (pairs.get(k) ?? 0) + 1);
  }
  const best = new Map<number, [number, number]>();
  for (const [k, c] of pairs) {
    const [la, lb] = k.split(',').map(Number);
    const cur = best.get(la);
    if (!cur || c > cur[1]) best.set(la, [lb, c]);
  }
  const used = new Set<number>();
  let agree = 0;
  for (const [, [lb, c]] of best) {
    assert.ok(!used.has(lb), 'two of our objects map onto one reference object');
    used.add(lb);
    agree += c;
  }
  return { fraction: agree / n, na: new Set([...a].filter((v, i) => mask[i])).size, nb: new Set([...b].filter((v, i) => mask[i])).size };
}

for (const c of ref.cases) {
  test(`${c.name}: distance transform, seeds and watershed match SciPy / scikit-image`, () => {
    const mask = new Uint8Array(bytes(c.mask));
    const expDist = new Float32Array(bytes(c.distance));
    const expLabels = new Uint16Array(bytes(c.labels));
    const dist = distanceTransform(mask, c.shape, c.spacing);
    let maxErr = 0;
    for (let i = 0; i < dist.length; i++) maxErr = Math.max(maxErr, Math.abs(dist[i] - expDist[i]));
    assert.ok(maxErr < 1e-4, `max |EDT - scipy| = ${maxErr}`);
    const { labels: regions, count } = labelComponents(mask, c.shape, 'full');
    assert.equal(count, c.components);
    const peaks = peakLocalMax(dist, regions, c.shape, { minDistance: c.minDistance, spacing: c.spacing });
    assert.deepEqual([...peaks].sort((a, b) => a - b), c.peaks);
    assert.ok(c.peaks.length > c.components, 'the case must contain touching objects');
    const markers = new Uint32Array(mask.length);
    peaks.forEach((p, k) => (markers[p] = k + 1));
    const flood = new Float32Array(dist.length);
    for (let i = 0; i < flood.length; i++) flood[i] = -dist[i];
    seededWatershed(flood, markers, mask, c.shape);
    const ag = agreement(markers, expLabels, mask);
    assert.equal(ag.na, c.peaks.length);
    assert.equal(ag.nb, c.peaks.length);
    // Ties on the dividing line may be broken differently (queue order); everything else must agree.
    assert.ok(ag.fraction > 0.995, `agreement ${ag.fraction}`);
    // The whole declumping chain with the same distances (no smoothing) gives the same objects.
    const settings: DeclumpSettings = {
      method: 'shape', diameterUm: null, smoothingSigmaUm: 0, minDistanceUm: c.minDistance, fillHoles: false,
      excludeBorderObjects: false, discardOutsideDiameter: false, mergeNeckUm: 0, mergeContrast: 0, smoothingFilterSizePx: 0,
      minDistancePx: c.minDistance,
    };
    const d = declumpMask(mask, new Float32Array(mask.length), c.shape, c.spacing, null, settings);
    assert.equal(d.info.seeds, c.peaks.length);
    assert.equal(d.info.components, c.components);
    // The voxel counts handed to the caller (so that it need not rescan) are those of the labels.
    const rescan = new Float64Array(d.info.objects + 1);
    for (const l of d.labels) rescan[l]++;
    assert.deepEqual([...d.counts], [...rescan]);
    assert.ok(agreement(d.labels, expLabels, mask).fraction > 0.995);
  });
}

async function readLabels(path: string): Promise<ArrayLike<number>> {
  return (await (await openImageStack(path)).readChannel(0, 0)).data as ArrayLike<number>;
}

async function cropScores(name: string, declump: 'none' | 'shape' | 'intensity') {
  const image = join(dataDir, 'bbbc039-dev', `${name}_crop.tif`);
  const config = parseConfigObject({
    image,
    single_channel_config: { channel_index: 0 },
    model_config: { segmentation_method: 'otsu', prefilter: 'gaussian', prefilter_sigma_xy: 1.0, declump_method: declump, typical_diameter_px: [15, 50], fill_holes: true },
    analysis_config: { min_object_voxels: 30 },
    rois: 'full',
  });
  const sc = config.singleChannel!;
  const loaded = await loadSingleChannelImage(config.image, 0, null);
  const rois = await resolveRoiLabels(config, [loaded.image.shape[1], loaded.image.shape[2]]);
  const r = await runRoiSingleChannelSegmentation(loaded, rois, sc.modelConfig, { minObjectVoxels: sc.minObjectVoxels }, config.runtimeConfig);
  return scoreInstances(await readLabels(join(dataDir, 'bbbc039-dev', `${name}_crop_labels.tif`)), r.masks.data);
}

// F1 measured with the defaults of 2026-12-06 (none 0.895 / 0.757), after the merge rules of the second
// session (mean intensity along the dividing line for shape, fragments merged; dev mean F1 0.907 → 0.910):
// one object is worth ~0.045 of F1 in the A02 crop (21 nuclei), which lost one split and one merge there
// (0.923 → 0.85, below the threshold chain's 0.895) while the dev split as a whole gained; per crop they are
// asserted with a margin of 0.03, and "declumping beats the chain alone" on both crops pooled (64 nuclei).
const CROPS: { name: string; shape: number; intensity: number }[] = [
  { name: 'IXMtest_A02_s1', shape: 0.85, intensity: 0.923 },
  { name: 'IXMtest_B21_s3', shape: 0.902, intensity: 0.927 },
];

test('ground truth: two BBBC039 dev crops, F1 at IoU 0.5 with the recommended 2D nuclei config', async () => {
  const pooled = { none: [0, 0, 0], shape: [0, 0, 0], intensity: [0, 0, 0] };
  for (const c of CROPS) {
    for (const m of ['none', 'shape', 'intensity'] as const) {
      const s = await cropScores(c.name, m);
      pooled[m][0] += s.truePositives;
      pooled[m][1] += s.falsePositives;
      pooled[m][2] += s.falseNegatives;
      if (m !== 'none') assert.ok(s.f1 >= c[m] - 0.03, `${c.name} ${m} F1 ${s.f1}`);
    }
  }
  const f1 = ([tp, fp, fn]: number[]) => (2 * tp) / (2 * tp + fp + fn);
  assert.ok(f1(pooled.shape) > f1(pooled.none), `declumping (shape ${f1(pooled.shape)}) must beat the threshold chain alone (${f1(pooled.none)})`);
  assert.ok(f1(pooled.intensity) > f1(pooled.none), `declumping (intensity ${f1(pooled.intensity)}) must beat the threshold chain alone (${f1(pooled.none)})`);
});

test('manifest: the seeds found and the objects each rule removed are recorded per ROI', async () => {
  const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { runSingleChannelWorkflow } = await import('../src/pipeline/single-channel.js');
  const dir = mkdtempSync(join(tmpdir(), 'declump-manifest-'));
  try {
    const config = parseConfigObject({
      image: join(dataDir, 'bbbc039-dev', 'IXMtest_B21_s3_crop.tif'),
      results_dir: dir,
      single_channel_config: { channel_index: 0 },
      model_config: {
        segmentation_method: 'otsu', prefilter: 'gaussian', declump_method: 'shape', typical_diameter_px: [15, 50],
        fill_holes: true, exclude_border_objects: true, discard_outside_diameter: true,
      },
      analysis_config: { min_object_voxels: 30 },
      rois: 'full',
    });
    const r = await runSingleChannelWorkflow(config);
    const manifestFile = readdirSync(dir).find((f) => f.endsWith('_run_manifest.json'))!;
    const manifest = JSON.parse(readFileSync(join(dir, manifestFile), 'utf8'));
    const info = manifest.thresholds.objects[0].info.declump;
    assert.equal(info.method, 'shape');
    assert.deepEqual(info.typicalDiameterUm, [15, 50]);
    assert.ok(info.seeds > info.components, `seeds ${info.seeds}, components ${info.components}`);
    assert.ok(info.clumpsSplit > 0);
    assert.ok(info.removedBorder > 0, 'a 256×256 crop of a dense field cuts nuclei at its edge');
    assert.equal(info.objects, info.seeds - info.removedBorder - info.removedTooSmall - info.removedTooLarge);
    // The objects table counts what the rules and the 30 px filter left.
    assert.ok(r.summary[0].nObjects <= info.objects && r.summary[0].nObjects > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
