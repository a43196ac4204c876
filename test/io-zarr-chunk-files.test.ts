/**
 * Chunk files read into shared, reused slabs (src/io/zarr/chunk-files.ts; issue 20, speed): a slab is read into
 * again only once every chunk read into it has been released, so a chunk still in use keeps its bytes; a store
 * larger than several slabs, read two channels at a time, gives the pixels it was written with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { readChunkFile, releaseChunk } from '../src/io/zarr/chunk-files.js';
import { openImageStack } from '../src/io/image-stack.js';

test('a slab is reused only when every chunk read into it is released', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-slabs-'));
  try {
    // 300 KiB files: three fill a 1 MiB slab's free space (a slab with < 256 KiB free is retired).
    const file = (i: number) => {
      const p = join(tmp, `f${i}`);
      writeFileSync(p, Buffer.alloc(300 << 10, i + 1));
      return p;
    };
    const held = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => readChunkFile(file(i))!);
    held.forEach((v, i) => assert.ok(v.every((b) => b === i + 1), `chunk ${i} intact while all are held`));
    // release the chunks of the first slabs, keep one of them: the slab holding it must not be read into
    const keep = held[1];
    for (const [i, v] of held.entries()) if (i !== 1) releaseChunk(v);
    const later = [8, 9, 10, 11, 12, 13].map((i) => readChunkFile(file(i))!);
    assert.ok(keep.every((b) => b === 2), 'a chunk not released keeps its bytes while later files are read');
    later.forEach((v, i) => assert.ok(v.every((b) => b === i + 9), `later chunk ${i + 8} intact`));
    assert.ok(later.some((v) => held.some((h, i) => i !== 1 && h.buffer === v.buffer)), 'a released slab is read into again');
    assert.ok(later.every((v) => v.buffer !== keep.buffer), 'the slab of a held chunk is not');
    releaseChunk(keep);
    releaseChunk(keep); // a second release is ignored (the count does not go below zero)
    assert.equal(readChunkFile(join(tmp, 'none')), undefined, 'a missing file is undefined');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a store of many slabs, two channels read at once through reused slabs: the pixels written', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-slab-store-'));
  try {
    const [C, Y, X, CH] = [2, 1024, 768, 128];
    const value = (c: number, y: number, x: number) => (c * 7919 + y * 131 + x * 17 + ((y * x) >> 5)) & 0xffff;
    const store = join(tmp, 'many.ome.zarr');
    mkdirSync(join(store, '0'), { recursive: true });
    writeFileSync(join(store, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
    writeFileSync(
      join(store, '.zattrs'),
      JSON.stringify({ multiscales: [{ version: '0.4', axes: [{ name: 'c', type: 'channel' }, { name: 'y', type: 'space' }, { name: 'x', type: 'space' }], datasets: [{ path: '0' }] }] }),
    );
    // raw chunks for channel 0 (32 KiB each), zlib for channel 1: the slab views are placed as they are, or inflated
    writeFileSync(join(store, '0', '.zarray'), JSON.stringify({ zarr_format: 2, shape: [C, Y, X], chunks: [1, CH, CH], dtype: '<u2', compressor: null, fill_value: 0, order: 'C', filters: null, dimension_separator: '/' }));
    for (let c = 0; c < C; c++) {
      for (let cy = 0; cy < Y / CH; cy++) {
        mkdirSync(join(store, '0', String(c), String(cy)), { recursive: true });
        for (let cx = 0; cx < X / CH; cx++) {
          const t = new Uint16Array(CH * CH);
          for (let y = 0; y < CH; y++) for (let x = 0; x < CH; x++) t[y * CH + x] = value(c, cy * CH + y, cx * CH + x);
          writeFileSync(join(store, '0', String(c), String(cy), String(cx)), Buffer.from(t.buffer));
        }
      }
    }
    for (let round = 0; round < 2; round++) {
      const s = await openImageStack(store);
      const [a, b] = await Promise.all([s.readChannel(0, 0), s.readChannel(1, 0)]);
      for (const [c, v] of [[0, a], [1, b]] as const) {
        for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) {
          if (v.data[y * X + x] !== value(c, y, x)) assert.fail(`round ${round}, channel ${c}: (${y}, ${x}) is ${v.data[y * X + x]}, expected ${value(c, y, x)}`);
        }
      }
      assert.equal(s.readStats!().chunks, 2 * (Y / CH) * (X / CH));
      // the second round reads zlib chunks of the same pixels
      writeFileSync(join(store, '0', '.zarray'), JSON.stringify({ zarr_format: 2, shape: [C, Y, X], chunks: [1, CH, CH], dtype: '<u2', compressor: { id: 'zlib', level: 1 }, fill_value: 0, order: 'C', filters: null, dimension_separator: '/' }));
      for (let c = 0; c < C; c++) {
        for (let cy = 0; cy < Y / CH; cy++) {
          for (let cx = 0; cx < X / CH; cx++) {
            const t = new Uint16Array(CH * CH);
            for (let y = 0; y < CH; y++) for (let x = 0; x < CH; x++) t[y * CH + x] = value(c, cy * CH + y, cx * CH + x);
            writeFileSync(join(store, '0', String(c), String(cy), String(cx)), deflateSync(Buffer.from(t.buffer)));
          }
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
