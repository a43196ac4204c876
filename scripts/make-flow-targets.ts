/**
 * Flow targets for training the built-in nuclei network (scripts/train_nuclei_model.py, issue 22).
 *
 * For each `<split>/labels/<name>_labels.tif` of the BBBC039 folder this writes `<out>/<split>/<name>.flows.f32`:
 * raw little-endian float32 `[2, Y, X]` = (dY, dX), Cellpose 3's heat-diffusion `masks_to_flows` unit vectors
 * (per-mask CPU variant, internals §11) computed by the project's own TypeScript implementation
 * (src/segmentation/cellpose/dynamics/masks-to-flows.ts) — the same code the flow-error QC uses, so the
 * network learns exactly the field that the dynamics later integrate. A `<out>/<split>/index.json` lists
 * name, shape and object count.
 *
 * Usage: node --import tsx scripts/make-flow-targets.ts [--data ../shared/data/bbbc039-u2os-nuclei] [--out .cache/nuclei-train] [--splits train,dev]
 */
import { mkdirSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { TiffReader } from '../src/io/tiff-reader.js';
import { masksToFlows } from '../src/segmentation/cellpose/dynamics/masks-to-flows.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const dataDir = arg('data', '../shared/data/bbbc039-u2os-nuclei');
const outDir = arg('out', '.cache/nuclei-train');
const splits = arg('splits', 'train,dev').split(',');

/** Reads a single-page uint8/16/32 label TIFF as Uint32 labels. */
export async function readLabels(path: string): Promise<{ labels: Uint32Array; Y: number; X: number }> {
  const r = await TiffReader.open(path);
  try {
    const page = await r.page(0);
    const Y = page.height;
    const X = page.width;
    const raw = page.bitsPerSample === 8 ? new Uint8Array(Y * X) : page.bitsPerSample === 16 ? new Uint16Array(Y * X) : new Uint32Array(Y * X);
    await r.readSample(0, 0, raw, 0);
    return { labels: Uint32Array.from(raw), Y, X };
  } finally {
    await r.close();
  }
}

for (const split of splits) {
  const labelDir = join(dataDir, split, 'labels');
  const dest = join(outDir, split);
  mkdirSync(dest, { recursive: true });
  const files = readdirSync(labelDir).filter((f) => f.endsWith('_labels.tif')).sort();
  const index: { name: string; Y: number; X: number; objects: number }[] = [];
  const t0 = Date.now();
  for (const [k, f] of files.entries()) {
    const name = f.slice(0, -'_labels.tif'.length);
    const { labels, Y, X } = await readLabels(join(labelDir, f));
    const flows = masksToFlows(labels, Y, X, 3);
    const out = Float32Array.from(flows);
    const target = join(dest, `${name}.flows.f32`);
    writeFileSync(`${target}.tmp`, Buffer.from(out.buffer));
    renameSync(`${target}.tmp`, target);
    let objects = 0;
    for (let i = 0; i < labels.length; i++) if (labels[i] > objects) objects = labels[i];
    index.push({ name, Y, X, objects });
    process.stderr.write(`\r${split}: ${k + 1}/${files.length} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  process.stderr.write('\n');
  writeFileSync(join(dest, 'index.json'), JSON.stringify(index, null, 1));
}
