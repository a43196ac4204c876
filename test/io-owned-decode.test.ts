/**
 * The zero-copy decode of one-strip TIFF pages (`TiffReader.readSampleOwned`, used by `openImageStack` for
 * single-plane channels, i.e. the viewer's first image) must return exactly what the regular decode returns,
 * and refuse (null) layouts it does not handle so the regular path takes over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTiffStack, type TiffVoxelData } from '../src/io/tiff-writer.js';
import { openTiff, arrayForDtype, pageDtype } from '../src/io/tiff-reader.js';

function ramp(ctor: new (n: number) => TiffVoxelData, n: number): TiffVoxelData {
  const a = new ctor(n);
  for (let i = 0; i < n; i++) a[i] = ctor === Float32Array ? Math.sin(i / 7) * 1000 + i / 3 : (i * 2654435761) % (ctor === Uint8Array ? 256 : 65521);
  return a;
}

test('readSampleOwned equals readSample on one-strip pages (uint8/uint16/uint32/float32, raw and deflate, > 4 KiB)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-owned-'));
  try {
    let checked = 0;
    for (const ctor of [Uint8Array, Uint16Array, Uint32Array, Float32Array] as const) {
      for (const compression of ['none', 'deflate'] as const) {
        const shape: [number, number, number] = [2, 96, 80];
        const data = ramp(ctor, shape[0] * shape[1] * shape[2]);
        const path = join(dir, `${ctor.name}_${compression}.tif`);
        writeFileSync(path, encodeTiffStack({ data, shape }, { compression }));
        const tiff = await openTiff(path);
        try {
          for (let p = 0; p < 2; p++) {
            const page = await tiff.page(p);
            const owned = await tiff.readSampleOwned(p, 0);
            assert.ok(owned, `${ctor.name} ${compression}: the one-strip page takes the zero-copy path`);
            const ref = arrayForDtype(pageDtype(page)!, 96 * 80);
            await tiff.readSample(p, 0, ref, 0);
            assert.equal(owned.constructor, ref.constructor);
            assert.deepEqual(owned, ref);
            assert.deepEqual(owned, data.subarray(p * 96 * 80, (p + 1) * 96 * 80));
            checked++;
          }
          // sample 1 of a one-sample page: not this path's business (the regular decode reports it)
          assert.equal(await tiff.readSampleOwned(0, 1), null);
        } finally {
          await tiff.close();
        }
      }
    }
    assert.equal(checked, 16);
    // a corrupt deflate strip: null here (the regular decode then names the file and the strip)
    const good = readFileSync(join(dir, 'Uint16Array_deflate.tif'));
    const g = await openTiff(join(dir, 'Uint16Array_deflate.tif'));
    const strip = (await g.page(0)).offsets[0];
    await g.close();
    const bad = Buffer.from(good);
    for (let i = strip + 2; i < strip + 400; i++) bad[i] ^= 0x5a;
    writeFileSync(join(dir, 'bad.tif'), bad);
    const t = await openTiff(join(dir, 'bad.tif'));
    try {
      assert.equal(await t.readSampleOwned(0, 0), null);
    } finally {
      await t.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
