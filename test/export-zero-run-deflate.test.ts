/**
 * The long zero runs of a placed plane synthesised from one period of zlib's output (export/zero-run-deflate.ts)
 * must give exactly zlib's stream of the whole plane — every zero fed to zlib (`deflatePlane` without trimming,
 * itself checked against the whole-frame encoder in export-placed-tiff.test.ts). Frames are large (≥ 3.4 periods
 * of 33.8 MB of zeros before or after the box) so that the synthesis is used; nothing frame-sized is allocated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placedVolume, placementOf } from '../src/core/placed-volume.js';
import { deflatePlane } from '../src/export/plane-deflate.js';
import { deflatePlaneFast, deflatePlaneSynthesised } from '../src/export/zero-run-deflate.js';
import { streamedPlacedTiff } from '../src/export/placed-tiff-stream.js';
import { assembleDeflatedTiff } from '../src/io/tiff-writer.js';
import { inflateSync } from 'node:zlib';

function boxLabels(n: number, wide: boolean): Uint16Array | Uint32Array {
  const d = wide ? new Uint32Array(n) : new Uint16Array(n);
  let s = 99;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    if ((s >>> 16) % 7 < 2) d[i] = (wide ? 70000 : 1) + ((s >>> 8) % 50);
  }
  return d;
}

const FRAME: [number, number, number] = [1, 12000, 16384]; // 375 MiB of uint16 per plane

for (const [name, oy, box, wide, synthesised] of [
  ['box in the middle: both zero runs synthesised', 6000, [1, 300, 257], false, true],
  ['box near the top: the trailing run', 200, [1, 40, 1000], false, true],
  ['box near the bottom: the leading run', 11600, [1, 300, 257], false, true],
  ['uint32 labels', 5000, [1, 100, 100], true, true],
  ['runs too short to gain: zlib as before', 100, [1, 11850, 300], false, false],
] as [string, number, [number, number, number], boolean, boolean][]) {
  test(`zero runs synthesised = zlib's stream of the whole plane: ${name}`, async () => {
    const v = placedVolume({ data: boxLabels(box[0] * box[1] * box[2], wide), shape: box }, FRAME, [0, oy, 4321]);
    const p = placementOf(v)!;
    const synth = await deflatePlaneSynthesised(p, 0, 1);
    assert.equal(synth !== null, synthesised, 'synthesised or not');
    const fast = Buffer.concat(await deflatePlaneFast(p, 0, 1));
    const zlib = Buffer.concat(await deflatePlane(p, 0, 1));
    assert.equal(fast.length, zlib.length);
    assert.ok(fast.equals(zlib), 'the same bytes as zlib fed every zero');
  });
}

test('an all-zero plane of a z-crop window and the streamed TIFF of a 3-plane frame', async () => {
  const frame: [number, number, number] = [3, 8000, 16384];
  const box: [number, number, number] = [1, 64, 64];
  const v = placedVolume({ data: boxLabels(64 * 64, false), shape: box }, frame, [1, 4000, 9000]);
  const p = placementOf(v)!;
  const zero = await deflatePlaneSynthesised(p, -1, 1);
  assert.ok(zero, 'the zero plane is synthesised');
  const zlibZero = Buffer.concat(await deflatePlane(p, -1, 1));
  assert.ok(Buffer.concat(zero).equals(zlibZero));
  assert.equal(inflateSync(zlibZero.subarray(0, 100_000), { finishFlush: 2 }).some((b) => b !== 0), false);
  // the TIFF streamed into a file = the in-memory assembly of zlib's strips (every zero fed)
  const opts = { compression: 'deflate' as const, deflateLevel: 1, description: 'imagej' as const, voxelSizeUm: [2, 0.5, 0.5] as [number, number, number] };
  let file = Buffer.alloc(0);
  const size = await streamedPlacedTiff(v, opts)!.stream({
    async writeAt(bytes, position) {
      const end = position + bytes.length;
      if (end > file.length) file = Buffer.concat([file, Buffer.alloc(end - file.length)]);
      file.set(bytes, position);
    },
  });
  const strips = [zlibZero, Buffer.concat(await deflatePlane(p, 1, 1)), zlibZero];
  const expected = Buffer.concat(assembleDeflatedTiff(frame, new Uint16Array(0), strips, opts));
  assert.equal(size, expected.length);
  assert.ok(file.equals(expected));
});
