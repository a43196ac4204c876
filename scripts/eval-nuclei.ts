/**
 * `npm run eval:nuclei [-- DIR] [--methods none,shape,intensity] [--set model_config.key=value ...]
 *  [--limit N] [--per-image] [--json FILE]`
 *
 * Runs the single-channel workflow (segmentation + `analysis_config.min_object_voxels`, no export) on every
 * image of DIR/images (default: ../shared/data/bbbc039-u2os-nuclei/dev, 43 BBBC039 U2OS nuclei images with
 * hand-annotated instance labels in DIR/labels/<name>_labels.tif) and prints, per method, the mean F1 at IoU
 * 0.5, mean matched IoU, splits and merges (`src/segmentation/instance-metrics.ts`).
 *
 * Methods are pluggable: append a `NucleiMethod` to `NUCLEI_METHODS` (a name and a `segment(imagePath)` that
 * returns the label image), e.g. a Cellpose model. The threshold methods use the benchmark config of issue 18
 * (docs/declumping.md) with `declump_method` set to their name.
 */
import { readdirSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve, basename } from 'node:path';
import { parseConfigObject } from '../src/config/load-config.js';
import { openImageStack } from '../src/io/image-stack.js';
import { resolveRoiLabels } from '../src/roi/resolve-rois.js';
import {
  loadSingleChannelImage,
  prepareSingleChannelImageForAnalysis,
  runRoiSingleChannelSegmentation,
} from '../src/pipeline/single-channel.js';
import { scoreInstances, type InstanceScores } from '../src/segmentation/instance-metrics.js';
import { nucleiModelMethod } from './nuclei-model-method.js';

export interface NucleiMethod {
  name: string;
  description: string;
  /** Label image (Y·X, 0 = background) of the image at `imagePath`. */
  segment(imagePath: string): Promise<ArrayLike<number>>;
}

/** The benchmark config of issue 18 (the recommended 2D nuclei starting point, docs/declumping.md). */
export function benchmarkConfig(image: string, declumpMethod: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const model: Record<string, unknown> = {
    segmentation_method: 'otsu',
    prefilter: 'gaussian',
    prefilter_sigma_xy: 1.0,
    declump_method: declumpMethod,
    typical_diameter_px: [15, 50],
    fill_holes: true,
  };
  const analysis: Record<string, unknown> = { min_object_voxels: 30 };
  for (const [k, v] of Object.entries(overrides)) {
    const [section, key] = k.split('.');
    if (section === 'model_config') model[key] = v;
    else if (section === 'analysis_config') analysis[key] = v;
    else throw new Error(`--set ${k}: expected model_config.<key> or analysis_config.<key>`);
  }
  return { image, single_channel_config: { channel_index: 0 }, model_config: model, analysis_config: analysis, rois: 'full' };
}

/** A threshold method: the single-channel workflow's segmentation and size filter, nothing written. */
export function thresholdMethod(declumpMethod: 'none' | 'shape' | 'intensity', overrides: Record<string, unknown> = {}): NucleiMethod {
  return {
    name: declumpMethod,
    description: `otsu + declump_method ${declumpMethod} (benchmark config)`,
    async segment(imagePath) {
      const config = parseConfigObject(benchmarkConfig(imagePath, declumpMethod, overrides));
      const sc = config.singleChannel!;
      const loaded = prepareSingleChannelImageForAnalysis(
        await loadSingleChannelImage(config.image, sc.channelIndex, config.voxelScaleZyx, { t: 0 }),
        sc.modelConfig,
      );
      const [, Y, X] = loaded.image.shape;
      const rois = await resolveRoiLabels(config, [Y, X]);
      const r = await runRoiSingleChannelSegmentation(loaded, rois, sc.modelConfig, { minObjectVoxels: sc.minObjectVoxels }, config.runtimeConfig);
      return r.masks.data;
    },
  };
}

/** Every method the script knows; `--methods` picks among them by name. */
export const NUCLEI_METHODS: ((overrides: Record<string, unknown>) => NucleiMethod)[] = [
  (o) => thresholdMethod('none', o),
  (o) => thresholdMethod('shape', o),
  (o) => thresholdMethod('intensity', o),
  // the built-in Cellpose-style network (issue 22), through the single-channel workflow with its user config
  (o) => nucleiModelMethod(o),
];

function parseArgs(argv: string[]) {
  const out = {
    dir: resolve('../shared/data/bbbc039-u2os-nuclei/dev'),
    methods: null as string[] | null,
    overrides: {} as Record<string, unknown>,
    limit: Infinity,
    perImage: false,
    json: null as string | null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--methods') out.methods = argv[++i].split(',');
    else if (a === '--set') {
      const [k, ...rest] = argv[++i].split('=');
      const v = rest.join('=');
      try {
        out.overrides[k] = JSON.parse(v);
      } catch {
        out.overrides[k] = v;
      }
    } else if (a === '--limit') out.limit = Number(argv[++i]);
    else if (a === '--per-image') out.perImage = true;
    else if (a === '--json') out.json = argv[++i];
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else out.dir = resolve(a);
  }
  return out;
}

async function readLabels(path: string): Promise<ArrayLike<number>> {
  const stack = await openImageStack(path);
  return (await stack.readChannel(0, 0)).data as ArrayLike<number>;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const imagesDir = join(args.dir, 'images');
  if (!existsSync(imagesDir)) {
    console.error(`eval-nuclei: error: ${imagesDir}: no such folder (expected DIR/images and DIR/labels; see the README of the BBBC039 dev split)`);
    process.exit(2);
  }
  const names = readdirSync(imagesDir).filter((f) => f.endsWith('.tif')).sort().slice(0, args.limit);
  const methods = NUCLEI_METHODS.map((m) => m(args.overrides)).filter((m) => args.methods === null || args.methods.includes(m.name));
  if (methods.length === 0) throw new Error(`--methods: none of ${args.methods?.join(', ')} is known`);
  const results: Record<string, { image: string; scores: InstanceScores; ms: number }[]> = {};
  for (const m of methods) {
    results[m.name] = [];
    for (const [k, f] of names.entries()) {
      const stem = basename(f, '.tif');
      const truth = await readLabels(join(args.dir, 'labels', `${stem}_labels.tif`));
      const t0 = performance.now();
      const pred = await m.segment(join(imagesDir, f));
      const ms = performance.now() - t0;
      const scores = scoreInstances(truth, pred);
      results[m.name].push({ image: stem, scores, ms });
      process.stderr.write(`\r${m.name}: ${k + 1}/${names.length}`);
      if (args.perImage) process.stderr.write(`  ${stem} F1 ${scores.f1.toFixed(3)} (${scores.nPredicted}/${scores.nTruth})\n`);
    }
    process.stderr.write('\n');
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  console.log(`${names.length} images from ${args.dir}${Object.keys(args.overrides).length ? `; overrides ${JSON.stringify(args.overrides)}` : ''}`);
  console.log('method      mean F1  mean IoU  objects/GT      splits  merges  ms/image');
  for (const m of methods) {
    const r = results[m.name];
    const s = r.map((x) => x.scores);
    console.log(
      `${m.name.padEnd(10)}  ${mean(s.map((x) => x.f1)).toFixed(4)}   ${mean(s.map((x) => x.meanMatchedIou)).toFixed(4)}   ` +
        `${String(sum(s.map((x) => x.nPredicted))).padStart(5)}/${String(sum(s.map((x) => x.nTruth))).padEnd(5)}  ` +
        `${String(sum(s.map((x) => x.splits))).padStart(8)}  ${String(sum(s.map((x) => x.merges))).padStart(6)}  ${mean(r.map((x) => x.ms)).toFixed(0).padStart(8)}`,
    );
  }
  if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 1));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().catch((e) => {
    console.error(`eval-nuclei: error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
