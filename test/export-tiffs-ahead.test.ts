/**
 * Issue 21: deflate on the thread pool with large output space (io/pool-deflate.ts) and label TIFFs encoded ahead of
 * the export (export/tiffs-ahead.ts) give exactly the bytes of the plain encoders. References: zlib's own
 * `deflateSync`/`inflateSync` with their default output chunking, and the export without any ahead-encoded TIFF.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, deflateSync, inflateRawSync, inflateSync } from 'node:zlib';
import { deflateChunkSize, deflateOnPool, deflateRawOnPool } from '../src/io/pool-deflate.js';
import { column, makeTable } from '../src/core/table.js';
import type { LabelVolume } from '../src/core/volume.js';
import { buildResultsPaths } from '../src/export/results-paths.js';
import { exportAnalysisOutputs } from '../src/export/export-outputs.js';
import { TiffsAhead, baseTiffOptions } from '../src/export/tiffs-ahead.js';

const root = mkdtempSync(join(tmpdir(), 'cellcoloc-ahead-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** Deterministic bytes: runs of zeros and labels (compress well) or noise (compress badly, several zlib calls). */
function bytes(n: number, noisy: boolean): Uint8Array {
  const out = new Uint8Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = noisy ? s >>> 24 : (i >> 9) % 3 === 0 ? (i >> 12) & 0xff : 0;
  }
  return out;
}

test('deflateOnPool / deflateRawOnPool = zlib deflateSync / deflateRawSync at the same level, any size', async () => {
  for (const n of [0, 1, 40, 63, 64, 65, 1000, 70_000, 1 << 20, 3_000_001]) {
    for (const noisy of [false, true]) {
      const data = bytes(n, noisy);
      for (const level of [1, 6]) {
        const z = await deflateOnPool(data, level);
        assert.deepEqual(new Uint8Array(z), new Uint8Array(deflateSync(data, { level })), `zlib n=${n} noisy=${noisy} level=${level}`);
        assert.deepEqual(new Uint8Array(inflateSync(z)), data);
        const raw = await deflateRawOnPool(data, level);
        assert.deepEqual(new Uint8Array(raw), new Uint8Array(deflateRawSync(data, { level })), `raw n=${n} noisy=${noisy} level=${level}`);
        assert.deepEqual(new Uint8Array(inflateRawSync(raw)), data);
      }
    }
  }
});

test('deflateChunkSize: zlib minimum 64 bytes, a quarter of large inputs, never above the deflate bound', () => {
  assert.equal(deflateChunkSize(0), 64);
  assert.equal(deflateChunkSize(10), 64);
  assert.equal(deflateChunkSize(1000), 1000 + 13 + 6);
  assert.equal(deflateChunkSize(100_000), 64 << 10);
  assert.equal(deflateChunkSize(8 << 20), 2 << 20);
});

const Z = 1, Y = 64, X = 80;
function labels(seed: number): LabelVolume {
  const data = new Uint32Array(Z * Y * X);
  for (let i = 0; i < data.length; i++) data[i] = (i * seed) % 7 === 0 ? 0 : (((i >> 4) * seed) % 9) + 1;
  return { data, shape: [Z, Y, X] };
}

async function exportTo(name: string, ahead: (o: ReturnType<typeof outputs>) => TiffsAhead | null): Promise<Map<string, Buffer>> {
  const d = join(root, name);
  mkdirSync(d);
  const image = join(d, 'img.ome.tif');
  writeFileSync(image, 'abc');
  const paths = buildResultsPaths(image);
  const o = outputs();
  await exportAnalysisOutputs(o, paths, { voxelSizeUm: [1, 0.5, 0.25], tiffsAhead: ahead(o) });
  const files = new Map<string, Buffer>();
  for (const f of readdirSync(paths.resultsDir)) if (f.endsWith('.tif') || f.endsWith('.csv')) files.set(f, readFileSync(join(paths.resultsDir, f)));
  return files;
}

function outputs() {
  const roi = new Uint16Array(Y * X).fill(1);
  roi.fill(2, 0, 1000);
  return {
    cellMasks: labels(3),
    markerMasks: labels(5),
    positiveCellMasks: labels(7),
    tables: [makeTable('cell_summary', [column('cell_label', 'int', [2, 3]), column('marker_positive', 'bool', [1, 0])])],
    roiLabels: { data: roi, shape: [Y, X] as const },
  };
}

test('TIFFs encoded ahead are taken by the export and are byte-identical to the export\'s own', async () => {
  const plain = await exportTo('plain', () => null);
  let taken: { a: TiffsAhead; roi: object } | null = null;
  const withAhead = await exportTo('ahead', (o) => {
    const a = new TiffsAhead({ voxelSizeUm: [1, 0.5, 0.25] });
    a.mask(o.cellMasks);
    a.mask(o.markerMasks);
    a.roiLabels(o.roiLabels);
    // Changed after being handed over (which a run never does; the mask's plane was narrowed into a buffer of its
    // own when handed over): the file shows the labels as they were, so the export took the job.
    o.cellMasks.data.fill(9);
    taken = { a, roi: o.roiLabels };
    return a;
  });
  // the ROI raster's job was handed out (once)
  assert.equal(taken!.a.take(taken!.roi, baseTiffOptions({ voxelSizeUm: [1, 0.5, 0.25] })), null);
  assert.equal(withAhead.size, plain.size);
  assert.ok(plain.size >= 5);
  for (const [f, b] of plain) assert.ok(withAhead.get(f)!.equals(b), f);
});

test('a TIFF started with other options (here another voxel size) is not used: the export encodes its own', async () => {
  const plain = await exportTo('plain2', () => null);
  const changed = await exportTo('other', (o) => {
    const a = new TiffsAhead({ voxelSizeUm: [2, 2, 2] });
    a.mask(o.cellMasks);
    o.cellMasks.data.fill(9);
    return a;
  });
  const cell = [...plain.keys()].find((f) => f.endsWith('_cell_masks.tif'))!;
  assert.ok(!changed.get(cell)!.equals(plain.get(cell)!), 'the export encoded the changed labels itself');
  for (const [f, b] of plain) if (f !== cell) assert.ok(changed.get(f)!.equals(b), f);
});
