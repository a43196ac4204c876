/**
 * Chunks decoded on worker threads (`CELLCOLOC_ZARR_DECODE_THREADS`, src/io/zarr/decode-pool.ts): the blosc-lz4
 * (python3-zarr) and blosc-zstd (plate) fixtures read through the pool equal the OME-TIFF's pixels; a truncated
 * chunk is still refused in one line; the process exits when the reads are done (idle workers do not hold it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { caseDir, FIXTURES } from './helpers/fixtures.js';

process.env.CELLCOLOC_ZARR_DECODE_THREADS = '2';
const { openImageStack } = await import('../src/io/image-stack.js');

test('OME-Zarr through 2 decode workers: the same pixels as the OME-TIFF', async () => {
  const tiff = await openImageStack(join(caseDir('2d_two_channel_otsu_fullroi'), 'input.ome.tif'));
  const z = await openImageStack(join(FIXTURES, 'zarr', '2d_otsu_blosc_lz4.ome.zarr'));
  for (const c of [0, 1]) {
    const [a, b] = await Promise.all([tiff.readChannel(c, 0), z.readChannel(c, 0)]);
    assert.deepEqual([...b.shape], [...a.shape]);
    assert.ok(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)), `channel ${c}`);
  }
  // 64² chunks, 256² per channel: 16 chunks each, read through the pool (POOL_MIN_CHUNKS = 16).
  assert.equal(z.readStats!().chunks, 32);
});

test('a truncated blosc chunk is refused in one line with the decode workers too', async () => {
  const z = await openImageStack(join(FIXTURES, 'zarr', 'truncated_chunk.ome.zarr'));
  await assert.rejects(z.readChannel(0, 0), /truncated_chunk\.ome\.zarr: 0: chunk 0\/0\/2\/2 is truncated or corrupt/);
});
