/**
 * Issue 15.2: a run whose estimated peak memory exceeds the limit is refused before any pixel is read, with
 * one line naming the file, the declared size and the estimate; `runtime_config.max_memory_gb` and
 * `--max-memory` set the limit, the default is the available memory minus a margin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { defaultMemoryLimitBytes } from '../src/pipeline/memory-guard.js';
import { craftTiff, greyPage } from './helpers/tiff-craft.js';

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-mem-'));
const img = join(dir, 'img.tif');
{
  // 2 planes × 1024 × 1024 uint16 as a plain 2-page TIFF: 2 channels via the stacked list below.
  const d = new Uint16Array(1024 * 1024).map((_, i) => (i % 97) * 10);
  writeFileSync(img, encodeTiffStack({ data: d, shape: [1, 1024, 1024] }, {}));
}
const cfg = (extra: string) => {
  const p = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    p,
    `image: [${JSON.stringify(img)}, ${JSON.stringify(img)}]
results_dir: ${JSON.stringify(join(dir, 'res'))}
voxel_scale_zyx: [1.0, 1.0]
channel_config: {cell_channel: 0, marker_channel: 1}
cell_model_config: {segmentation_method: otsu}
marker_model_config: {segmentation_method: otsu}
rois: full
${extra}`,
  );
  return p;
};

test('runtime_config.max_memory_gb and --max-memory refuse a run above the limit, naming file, size and estimate', async () => {
  let r = await cli(['run', cfg('runtime_config: {max_memory_gb: 0.1}\n'), '-q']);
  assert.equal(r.code, 1);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
  assert.match(
    r.err,
    new RegExp(`^cellcoloc: error: ${img}, ${img}: declares T×Z×C×Y×X = 1×1×2×1024×1024 uint16; this run would need an estimated 0\\.\\d\\d GiB, more than the limit of 0\\.10 GiB \\(runtime_config\\.max_memory_gb\\)`),
  );
  assert.ok(!existsSync(join(dir, 'res')), 'nothing written');
  r = await cli(['run', cfg('runtime_config: {max_memory_gb: 100}\n'), '-q', '--max-memory', '0.1', '--no-report']);
  assert.equal(r.code, 1);
  assert.match(r.err, /more than the limit of 0\.10 GiB \(--max-memory\)/);
  r = await cli(['run', cfg(''), '-q', '--max-memory', 'lots']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--max-memory.*expected a number of GiB from 0\.1 to 1000000, got "lots"/);
  r = await cli(['run', cfg('runtime_config: {max_memory_gb: 50}\n'), '-q', '--no-report']);
  assert.equal(r.code, 0, r.err);
});

test('default limit (available memory minus a margin): a header declaring 50 GiB is refused before any pixel is read', async () => {
  assert.ok(defaultMemoryLimitBytes() > 0);
  const plane = 16384 * 16384 * 2;
  const pages = Array.from({ length: 100 }, () => {
    const pg = greyPage({ width: 16384, height: 16384, bits: 16, data: new Uint8Array(0), byteCount: plane });
    pg.entries = pg.entries.map((e) => (e.tag === 273 ? { ...e, values: [1 << 20] } : e));
    pg.dataOffsetTag = undefined;
    return pg;
  });
  const big = join(dir, 'big.tif');
  writeFileSync(big, craftTiff(pages));
  truncateSync(big, (1 << 20) + plane);
  const p = join(dir, 'big.yaml');
  writeFileSync(p, `image: ${JSON.stringify(big)}\nresults_dir: ${JSON.stringify(join(dir, 'bigres'))}\nvoxel_scale_zyx: [1, 1, 1]\nsingle_channel_config: {channel_index: 0}\nmodel_config: {segmentation_method: otsu}\nrois: full\n`);
  const t0 = performance.now();
  const r = await cli(['run', p, '-q']);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`^cellcoloc: error: ${big}: declares T×Z×C×Y×X = 1×100×1×16384×16384 uint16; this run would need an estimated \\d+\\.\\d GiB, more than the [\\d.]+ GiB this machine has available`));
  assert.ok(performance.now() - t0 < 5000);
});
