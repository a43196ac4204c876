/**
 * Label TIFFs encoded plane by plane (src/export/label-tiff.ts, issue 21): the bytes equal the whole-volume path
 * (`narrowLabelVolume` then `encodeTiffStackChunksAsync`, which the round-trip tests of export-tiff-writer check
 * against geotiff) for uint16-sized labels, labels above 65535 (uint32 file), lazy positive-cell subsets and stacks
 * with more planes than are deflated at once; the pixels read back through geotiff (an independent reader).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromArrayBuffer } from 'geotiff';
import { encodeTiffStackChunksAsync, narrowLabelVolume, type TiffWriteOptions } from '../src/io/tiff-writer.js';
import { encodeLabelTiffAsync } from '../src/export/label-tiff.js';
import { lazyLabelSubset, labelSubsetOf } from '../src/core/label-subset.js';
import { buildPositiveCellMask, positiveCellMaskLazy } from '../src/colocalization/positive-mask.js';
import { makeTable, column } from '../src/core/table.js';
import type { LabelVolume } from '../src/core/volume.js';
import { scanLabelRuns } from '../src/tables/label-runs.js';

const concat = (chunks: Uint8Array[]) => Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
const opts = (Z: number): TiffWriteOptions => ({ compression: 'deflate', deflateLevel: 1, voxelSizeUm: [2, 0.5, 0.25], description: Z > 1 ? 'imagej' : 'ome' });

async function reference(v: LabelVolume, o: TiffWriteOptions): Promise<Buffer> {
  return concat(await encodeTiffStackChunksAsync(narrowLabelVolume({ data: new Uint32Array(v.data), shape: v.shape }), o));
}

/** Blobs of labels 1..n on zeros (pseudo-random, fixed seed). */
function labels(shape: [number, number, number], n: number, maxId = n): LabelVolume {
  const [Z, Y, X] = shape;
  const data = new Uint32Array(Z * Y * X);
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let k = 1; k <= n; k++) {
    const id = k === n ? maxId : k;
    const z0 = Math.floor(rnd() * Z), y0 = Math.floor(rnd() * Y), x0 = Math.floor(rnd() * X);
    for (let z = z0; z < Math.min(Z, z0 + 2); z++)
      for (let y = y0; y < Math.min(Y, y0 + 4); y++) for (let x = x0; x < Math.min(X, x0 + 5); x++) data[(z * Y + y) * X + x] = id;
  }
  return { data, shape };
}

async function readBack(bytes: Buffer): Promise<{ bits: number; planes: number[][] }> {
  const tiff = await fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const n = await tiff.getImageCount();
  const planes: number[][] = [];
  let bits = 0;
  for (let i = 0; i < n; i++) {
    const img = await tiff.getImage(i);
    bits = img.getBitsPerSample();
    planes.push(Array.from((await img.readRasters())[0] as ArrayLike<number>));
  }
  return { bits, planes };
}

test('uint16-sized labels: same bytes as the whole-volume path, 2D and a stack deflated a few planes at a time', async () => {
  // 3 × 2048² planes: one pending plane at a time (8 MiB budget), its buffer reused; 40 × 512²: 16 pending, buffers
  // reused from plane 16 on; 40 × 64²: all planes pending at once
  for (const shape of [[1, 37, 53], [40, 64, 64], [40, 512, 512], [3, 2048, 2048]] as [number, number, number][]) {
    const v = labels(shape, 300, 65535);
    const ours = concat(await encodeLabelTiffAsync(v, opts(shape[0])));
    assert.ok(ours.equals(await reference(v, opts(shape[0]))), `shape ${shape}`);
  }
  const small = labels([2, 9, 11], 5);
  const { bits, planes } = await readBack(concat(await encodeLabelTiffAsync(small, opts(2))));
  assert.equal(bits, 16);
  assert.deepEqual(planes.flat(), Array.from(small.data));
});

test('a label above 65535 (on a later plane) gives the uint32 file of the whole-volume path', async () => {
  const v = labels([5, 30, 40], 20, 70000);
  assert.ok(v.data.indexOf(70000) > 30 * 40, 'the large id is not on the first plane');
  const ours = concat(await encodeLabelTiffAsync(v, opts(5)));
  assert.ok(ours.equals(await reference(v, opts(5))));
  const { bits, planes } = await readBack(ours);
  assert.equal(bits, 32);
  assert.deepEqual(planes.flat(), Array.from(v.data));
});

test('positive-cell subset: encoded with the keep flags equals the materialised mask, which equals buildPositiveCellMask', async () => {
  const cell = labels([4, 40, 50], 30);
  const ids = Array.from({ length: 30 }, (_, i) => i + 1);
  const positive = ids.map((id) => (id % 3 === 0 ? 1 : 0));
  const summary = makeTable('cell_summary', [column('cell_label', 'int', Float64Array.from(ids)), column('marker_positive', 'bool', Float64Array.from(positive))]);
  const lazy = positiveCellMaskLazy(cell, summary);
  assert.ok(labelSubsetOf(lazy), 'a lazy subset');
  const eager = buildPositiveCellMask(cell, summary);
  const ours = concat(await encodeLabelTiffAsync(lazy, opts(4)));
  assert.ok(ours.equals(await reference(eager, opts(4))));
  assert.deepEqual(Array.from(lazy.data), Array.from(eager.data));
  assert.equal(lazy.data, lazy.data, 'materialised once');
  // nothing positive, and an empty summary: all zeros
  const none = positiveCellMaskLazy(cell, makeTable('cell_summary', [column('cell_label', 'int', Float64Array.from(ids)), column('marker_positive', 'bool', new Float64Array(30))]));
  const zeros = concat(await encodeLabelTiffAsync(none, opts(4)));
  assert.ok(zeros.equals(await reference({ data: new Uint32Array(cell.data.length), shape: cell.shape }, opts(4))));
  assert.equal(none.data.some((v) => v !== 0), false);
  // a kept id above 65535: uint32 file
  const big = labels([2, 20, 20], 6, 90000);
  const keep = new Uint8Array(90001);
  keep[90000] = 1;
  keep[2] = 1;
  const sub = lazyLabelSubset(big, keep, 90000);
  const { bits, planes } = await readBack(concat(await encodeLabelTiffAsync(sub, opts(2))));
  assert.equal(bits, 32);
  assert.deepEqual(planes.flat(), Array.from(big.data, (l) => (l === 2 || l === 90000 ? l : 0)));
});

test('masks filled from the runs of the measurement passes: same bytes as the scanned masks (plain, positive subset, id > 65535); other arrays are scanned', async () => {
  const runsOf = (v: LabelVolume) => ({ data: v.data, runs: scanLabelRuns(v.data, v.shape[2]) });
  for (const shape of [[1, 37, 53], [40, 64, 64], [3, 2048, 2048]] as [number, number, number][]) {
    const v = labels(shape, 300, 65535);
    const ours = concat(await encodeLabelTiffAsync(v, opts(shape[0]), [runsOf(v)]));
    assert.ok(ours.equals(await reference(v, opts(shape[0]))), `shape ${shape}`);
  }
  // a label above 65535 on a later plane: the uint32 file
  const wide = labels([5, 30, 40], 20, 70000);
  assert.ok(concat(await encodeLabelTiffAsync(wide, opts(5), [runsOf(wide)])).equals(await reference(wide, opts(5))));
  // the positive-cell subset of a cell mask whose runs are known
  const cell = labels([4, 40, 50], 30);
  const ids = Array.from({ length: 30 }, (_, i) => i + 1);
  const summary = makeTable('cell_summary', [
    column('cell_label', 'int', Float64Array.from(ids)),
    column('marker_positive', 'bool', Float64Array.from(ids, (id) => (id % 3 === 0 ? 1 : 0))),
  ]);
  const lazy = positiveCellMaskLazy(cell, summary);
  const ours = concat(await encodeLabelTiffAsync(lazy, opts(4), [runsOf(cell)]));
  assert.ok(ours.equals(await reference(buildPositiveCellMask(cell, summary), opts(4))));
  // the runs are what is written (not a rescan): runs of this very array minus its first run leave that run out
  const all = scanLabelRuns(cell.data, 50);
  const fewer = { n: all.n - 1, start: all.start.subarray(1), length: all.length.subarray(1), label: all.label.subarray(1) };
  const without = new Uint32Array(cell.data);
  without.fill(0, all.start[0], all.start[0] + all.length[0]);
  const partial = concat(await encodeLabelTiffAsync(cell, opts(4), [{ data: cell.data, runs: fewer }]));
  assert.ok(partial.equals(await reference({ data: without, shape: cell.shape }, opts(4))));
  // runs of another array (same shape, other labels) are not used for this one
  const other = labels([4, 40, 50], 7);
  assert.ok(concat(await encodeLabelTiffAsync(cell, opts(4), [runsOf(other)])).equals(await reference(cell, opts(4))));
});

test('other voxel types and uncompressed files go through the whole-volume encoder unchanged', async () => {
  const u16 = { data: Uint16Array.from({ length: 2 * 6 * 7 }, (_, i) => i * 7), shape: [2, 6, 7] as [number, number, number] };
  assert.ok(concat(await encodeLabelTiffAsync(u16, opts(2))).equals(concat(await encodeTiffStackChunksAsync(u16, opts(2)))));
  const v = labels([2, 6, 7], 3);
  const raw: TiffWriteOptions = { compression: 'none' };
  assert.ok(concat(await encodeLabelTiffAsync(v, raw)).equals(await reference(v, raw)));
});
