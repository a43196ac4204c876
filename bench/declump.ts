/**
 * `npm run bench` (part): cost of declumping on the 2048×2048 benchmark image's cell channel (the synthetic
 * `2d_2048x2048` image of bench/run.ts: 300 soft discs of radius 10–16 px, some touching).
 *
 * Times the segmentation stage of one channel (`segmentChannelByRoi`, whole-image ROI, Otsu) without
 * declumping and with `declump_method: shape` / `intensity` (typical diameter [20, 32] px, fill_holes,
 * exclude_border_objects, discard_outside_diameter), median of BENCH_RUNS runs (default 5) in this process.
 * Target (issue 18): declumping adds at most 30 % to the segmentation stage.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticTwoChannel } from './synthetic.js';
import { openImageStack } from '../src/io/image-stack.js';
import { segmentChannelByRoi } from '../src/segmentation/roi-driver.js';
import { defaultModelConfig } from '../src/config/schema.js';
import type { ModelConfig } from '../src/config/types.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const image = join(out, '2d_2048x2048.ome.tif');
if (!existsSync(image)) {
  writeSyntheticTwoChannel(image, { shape: [1, 2048, 2048], nCells: 300, nMarkers: 300, cellR: [10, 16], markerR: [3, 6], cellRz: [1, 1], markerRz: [1, 1], seed: 1 });
}
const runs = Number(process.env.BENCH_RUNS ?? 5);
const cells = await (await openImageStack(image)).readChannel(0, 0);
const [, Y, X] = cells.shape;
const roi = { data: new Uint16Array(Y * X).fill(1), shape: [Y, X] as [number, number] };

async function time(config: ModelConfig): Promise<{ ms: number; objects: number; info: unknown }> {
  const ms: number[] = [];
  let objects = 0;
  let info: unknown = null;
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const r = await segmentChannelByRoi(cells, roi, config, { zBounds: null, voxelSizeUm: [1, 1, 1] });
    const dt = performance.now() - t0;
    if (i > 0) ms.push(dt); // the first run warms up the JIT
    let m = 0;
    for (const v of r.labels.data) if (v > m) m = v;
    objects = m;
    info = r.calls[0].info.declump ?? null;
  }
  ms.sort((a, b) => a - b);
  return { ms: ms[Math.floor(ms.length / 2)], objects, info };
}

const base = defaultModelConfig({ segmentationMethod: 'otsu' });
const rules = { typicalDiameterPx: [20, 32] as [number, number], fillHoles: true, excludeBorderObjects: true, discardOutsideDiameter: true };
const none = await time(base);
console.log(`\n== declumping, 2048×2048 cell channel (segmentation stage, median of ${runs} runs)`);
console.log(`otsu, no declumping: ${none.ms.toFixed(0)} ms, ${none.objects} objects`);
for (const method of ['shape', 'intensity'] as const) {
  const r = await time({ ...base, ...rules, declumpMethod: method });
  const extra = (100 * (r.ms - none.ms)) / none.ms;
  console.log(
    `otsu + declump_method ${method}: ${r.ms.toFixed(0)} ms (+${extra.toFixed(0)} %; target ≤ +30 % ${extra <= 30 ? 'MET' : 'NOT MET'}), ${r.objects} objects; ${JSON.stringify(r.info)}`,
  );
}
