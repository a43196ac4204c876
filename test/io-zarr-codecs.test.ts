/**
 * OME-Zarr codecs and chunk layouts beyond the python3-zarr fixtures (issue 20.1, 20.6): NGFF 0.4 stores written
 * here chunk file by chunk file (raw, zlib via node:zlib, C and Fortran order, edge chunks cut by the array end,
 * `.` and `/` separators) from the 2D parity fixture. Every read — whole channels and odd regions — must equal the
 * same pixels read from the OME-TIFF; an unknown codec is one error naming the store, the array and the codec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { caseDir } from './helpers/fixtures.js';
import { openImageStack } from '../src/io/image-stack.js';

type Layout = { compressor: null | { id: string; level?: number }; order: 'C' | 'F'; sep: '.' | '/'; chunk: [number, number] };

/** Writes (c, y, x) uint16 `channels` as an NGFF 0.4 image with one level. */
function writeStore(path: string, channels: Uint16Array[], Y: number, X: number, l: Layout): void {
  mkdirSync(join(path, '0'), { recursive: true });
  writeFileSync(join(path, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
  writeFileSync(join(path, '.zattrs'), JSON.stringify({
    multiscales: [{ version: '0.4', axes: [{ name: 'c', type: 'channel' }, { name: 'y', type: 'space', unit: 'micrometer' }, { name: 'x', type: 'space', unit: 'micrometer' }], datasets: [{ path: '0', coordinateTransformations: [{ type: 'scale', scale: [1, 0.5, 0.5] }] }] }],
  }));
  const [cy, cx] = l.chunk;
  writeFileSync(join(path, '0', '.zarray'), JSON.stringify({ zarr_format: 2, shape: [channels.length, Y, X], chunks: [1, cy, cx], dtype: '<u2', compressor: l.compressor, fill_value: 0, order: l.order, filters: null, dimension_separator: l.sep }));
  for (let c = 0; c < channels.length; c++) {
    for (let by = 0; by * cy < Y; by++) {
      for (let bx = 0; bx * cx < X; bx++) {
        // A full-size chunk (edge chunks padded with 0, as Zarr v2 stores them), C or Fortran order within the chunk.
        const chunk = new Uint16Array(cy * cx);
        for (let y = 0; y < cy; y++) {
          for (let x = 0; x < cx; x++) {
            const gy = by * cy + y, gx = bx * cx + x;
            const v = gy < Y && gx < X ? channels[c][gy * X + gx] : 0;
            chunk[l.order === 'C' ? y * cx + x : x * cy + y] = v;
          }
        }
        const raw = Buffer.from(chunk.buffer);
        const bytes = l.compressor?.id === 'zlib' ? deflateSync(raw, { level: 1 }) : raw;
        const key = [c, by, bx].join(l.sep);
        if (l.sep === '/') mkdirSync(join(path, '0', String(c), String(by)), { recursive: true });
        writeFileSync(join(path, '0', key), bytes);
      }
    }
  }
}

const LAYOUTS: [string, Layout][] = [
  ['raw, C order, `.` keys, 100² chunks (edge chunks cut)', { compressor: null, order: 'C', sep: '.', chunk: [100, 100] }],
  ['zlib, C order, `/` keys, 48 × 80 chunks', { compressor: { id: 'zlib', level: 1 }, order: 'C', sep: '/', chunk: [48, 80] }],
  ['raw, Fortran order, 64² chunks', { compressor: null, order: 'F', sep: '.', chunk: [64, 64] }],
];

for (const [name, layout] of LAYOUTS) {
  test(`OME-Zarr ${name}: whole channels and odd regions equal the OME-TIFF's pixels`, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-codec-'));
    try {
      const tiff = await openImageStack(join(caseDir('2d_two_channel_otsu_fullroi'), 'input.ome.tif'));
      const [, , , Y, X] = tiff.rawShapeTzcyx;
      const ch = [(await tiff.readChannel(0, 0)).data as Uint16Array, (await tiff.readChannel(1, 0)).data as Uint16Array];
      const store = join(tmp, 's.ome.zarr');
      writeStore(store, ch, Y, X, layout);
      const z = await openImageStack(store);
      assert.deepEqual(z.rawShapeTzcyx, [1, 1, 2, Y, X]);
      for (const c of [0, 1]) {
        const whole = await z.readChannel(c, 0);
        assert.deepEqual([...whole.shape], [1, Y, X]);
        assert.ok(Buffer.from(whole.data.buffer, whole.data.byteOffset, whole.data.byteLength).equals(Buffer.from(ch[c].buffer)), `channel ${c} differs`);
      }
      for (const [[y0, y1], [x0, x1]] of [[[3, 197], [61, 250]], [[0, 1], [0, X]], [[Y - 7, Y], [X - 1, X]], [[99, 101], [99, 101]]] as [[number, number], [number, number]][]) {
        const r = await z.readRegion!(1, 0, [[0, 1], [y0, y1], [x0, x1]]);
        assert.deepEqual([...r.shape], [1, y1 - y0, x1 - x0]);
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
          if (r.data[(y - y0) * (x1 - x0) + (x - x0)] !== ch[1][y * X + x]) assert.fail(`region [${y0},${y1})×[${x0},${x1}) differs at (${y}, ${x})`);
        }
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('OME-Zarr with a codec CellColoc cannot decode: one error naming the store, the array and the codec', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-codec-'));
  try {
    const store = join(tmp, 'lzma.ome.zarr');
    writeStore(store, [new Uint16Array(64 * 64), new Uint16Array(64 * 64)], 64, 64, { compressor: null, order: 'C', sep: '.', chunk: [64, 64] });
    writeFileSync(join(store, '0', '.zarray'), JSON.stringify({ zarr_format: 2, shape: [2, 64, 64], chunks: [1, 64, 64], dtype: '<u2', compressor: { id: 'lzma' }, fill_value: 0, order: 'C', filters: null, dimension_separator: '.' }));
    const s = await openImageStack(store).then(() => null, (e: Error) => e);
    assert.ok(s, 'refused when the store is opened, before any chunk is read');
    assert.doesNotMatch(s!.message, /\n/);
    assert.match(s!.message, /lzma\.ome\.zarr: 0: codec "lzma" is not supported \(expected blosc, zstd, gzip, zlib, lz4 or none\)/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
