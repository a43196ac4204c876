/**
 * Frame-sized masks and ROI rasters that are zero outside a window (core/placed-volume.ts) are written by streaming
 * the window through zlib (export/placed-tiff.ts, issue 20.3): the files must be the bytes the whole-frame encoders
 * write for the materialised frame, and the window raster of drawn shapes must be the whole-image raster's pixels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placedRoiLabels, placedVolume } from '../src/core/placed-volume.js';
import { encodeLabelTiffAsync } from '../src/export/label-tiff.js';
import { encodeRoiLabelsTiffAsync } from '../src/export/placed-tiff.js';
import { encodeTiffStackChunksAsync } from '../src/io/tiff-writer.js';
import { streamedPlacedTiff, streamedRoiLabelsTiff } from '../src/export/placed-tiff-stream.js';
import type { StreamedContent } from '../src/io/atomic-write.js';
import { rasterizeShapesToLabels, shapesCandidateBox } from '../src/roi/rasterize-shapes.js';
import type { RoiShape } from '../src/config/types.js';

const concat = (chunks: Uint8Array[]) => Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));

/** Deterministic labels: blobs of ids `base + k` on zeros. */
function boxLabels(shape: [number, number, number], base: number, wide: boolean): Uint16Array | Uint32Array {
  const [bz, by, bx] = shape;
  const d = wide ? new Uint32Array(bz * by * bx) : new Uint16Array(bz * by * bx);
  let s = 12345;
  for (let i = 0; i < d.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    if ((s >>> 16) % 7 < 2) d[i] = base + ((s >>> 8) % 50);
  }
  return d;
}

/** The frame with the box pasted at `origin`, as uint32 (the whole-frame path's input). */
function materialise(box: Uint16Array | Uint32Array, bs: [number, number, number], frame: [number, number, number], o: [number, number, number]): Uint32Array {
  const [, Y, X] = frame;
  const out = new Uint32Array(frame[0] * Y * X);
  for (let z = 0; z < bs[0]; z++) for (let y = 0; y < bs[1]; y++) for (let x = 0; x < bs[2]; x++) {
    out[((o[0] + z) * Y + o[1] + y) * X + o[2] + x] = box[(z * bs[1] + y) * bs[2] + x];
  }
  return out;
}

/** A streamed file written into memory by positional writes (as the atomic write's temporary file gets it). */
async function streamToMemory(c: StreamedContent | null): Promise<Buffer> {
  assert.ok(c, 'the placed file is streamed');
  let file = Buffer.alloc(0);
  let writes = 0;
  const size = await c.stream({
    async writeAt(bytes, position) {
      writes++;
      const end = position + bytes.length;
      if (end > file.length) file = Buffer.concat([file, Buffer.alloc(end - file.length)]);
      file.set(bytes, position);
    },
  });
  assert.equal(size, file.length, 'the size it reports');
  assert.ok(writes >= 2, 'written in pieces (strips, then the head)');
  return file;
}

const OPTS = { compression: 'deflate' as const, deflateLevel: 1, voxelSizeUm: [2, 0.5, 0.5] as [number, number, number] };

for (const [name, frame, bs, origin, base, wide] of [
  ['2D window in the middle, uint16', [1, 1500, 2100], [1, 300, 257], [0, 611, 733], 1, false],
  ['2D window at the corners of the frame (first row/column, last row/column)', [1, 900, 1100], [1, 900, 1100], [0, 0, 0], 1, false],
  ['2D window touching the bottom-right edge', [1, 700, 1300], [1, 100, 200], [0, 600, 1100], 1, false],
  ['3D z-crop window, empty planes before and after', [7, 200, 300], [3, 120, 90], [2, 40, 17], 1, false],
  ['labels above 65535 stay uint32', [1, 800, 1000], [1, 200, 150], [0, 100, 400], 70000, true],
] as [string, [number, number, number], [number, number, number], [number, number, number], number, boolean][]) {
  test(`placed label TIFF = the whole-frame encoder's bytes: ${name}`, async () => {
    const box = boxLabels(bs, base, wide);
    const placed = placedVolume({ data: box, shape: bs }, frame, origin);
    const opts = frame[0] > 1 ? { ...OPTS, description: 'imagej' } : OPTS;
    const streamed = concat(await encodeLabelTiffAsync(placed, opts));
    const whole = concat(await encodeLabelTiffAsync({ data: materialise(box, bs, frame, origin), shape: frame }, opts));
    assert.ok(streamed.equals(whole), `${streamed.length} vs ${whole.length} bytes`);
    // streamed into the file (placed-tiff-stream.ts): the same bytes again
    const toFile = await streamToMemory(streamedPlacedTiff(placed, opts));
    assert.ok(toFile.equals(whole), `streamed to the file: ${toFile.length} vs ${whole.length} bytes`);
    // other readers see the materialised frame
    assert.deepEqual([...placed.data.subarray(0, 10)], [...materialise(box, bs, frame, origin).subarray(0, 10)]);
    assert.equal(placed.data.length, frame[0] * frame[1] * frame[2]);
  });
}

test('placed ROI raster TIFF = the whole-frame encoder\'s bytes', async () => {
  const bs: [number, number, number] = [1, 333, 444];
  const box = boxLabels(bs, 1, false) as Uint16Array;
  const roi = placedRoiLabels({ data: box, shape: [333, 444] }, [2500, 1800], [1000, 1234]);
  const streamed = concat(await encodeRoiLabelsTiffAsync(roi, OPTS));
  const frame = new Uint16Array(materialise(box, bs, [1, 2500, 1800], [0, 1000, 1234]));
  const whole = concat(await encodeTiffStackChunksAsync({ data: frame, shape: [1, 2500, 1800] }, OPTS));
  assert.ok(streamed.equals(whole));
  assert.ok((await streamToMemory(streamedRoiLabelsTiff(roi, OPTS))).equals(whole), 'streamed to the file');
  assert.deepEqual(roi.data, frame);
});

test('drawn shapes rasterised in a window give the whole-image raster\'s pixels there', () => {
  const Y = 300, X = 400;
  const shapes: RoiShape[] = [
    { type: 'polygon', data: [[20.5, 30.2], [80.7, 20.1], [120.3, 95.9], [60.5, 140.5], [10.2, 90.7]] },
    { type: 'rectangle', data: [[150, 200], [150, 260.5], [199.5, 260.5], [199.5, 200]] },
    { type: 'ellipse', data: [[100.5, 250.5], [100.5, 330.5], [160.5, 330.5], [160.5, 250.5]] },
    { type: 'polygon', data: [[-20, -10], [40, -5], [10, 30]] }, // partly outside the image
    { type: 'polygon', data: [[280, 380], [310, 390], [295, 420]] }, // partly outside the image
  ] as RoiShape[];
  const full = rasterizeShapesToLabels(shapes, [Y, X]);
  const box = shapesCandidateBox(shapes, [Y, X])!;
  assert.deepEqual(box, { yMin: 0, yMax: 300, xMin: 0, xMax: 400 });
  for (const w of [
    { y0: 0, x0: 0, h: Y, w: X },
    { y0: 15, x0: 25, h: 120, w: 130 }, // cuts through the first polygon
    { y0: 95, x0: 190, h: 110, w: 150 }, // rectangle and ellipse, cut
    { y0: 270, x0: 350, h: 30, w: 50 },
  ]) {
    const win = rasterizeShapesToLabels(shapes, [Y, X], [1, 1], w);
    assert.deepEqual(win.shape, [w.h, w.w]);
    let diff = 0;
    for (let y = 0; y < w.h; y++) for (let x = 0; x < w.w; x++) if (win.data[y * w.w + x] !== full.data[(w.y0 + y) * X + w.x0 + x]) diff++;
    assert.equal(diff, 0, JSON.stringify(w));
  }
  // the candidate box of shapes inside the image bounds them (+1 past the last vertex, as the original)
  assert.deepEqual(shapesCandidateBox(shapes.slice(0, 2), [Y, X]), { yMin: 10, yMax: 201, xMin: 20, xMax: 262 });
  assert.throws(() => rasterizeShapesToLabels(shapes, [Y, X], [1, 1], { y0: 250, x0: 0, h: 100, w: 10 }), /not inside the image/);
});
