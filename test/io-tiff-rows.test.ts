/**
 * Row-band streaming of TIFF planes (io/tiff-rows.ts, used by `reanalyze` on an analysis window, issue 20.3):
 * every pixel of every plane the layout claims to stream equals the values numpy wrote (test/data/tiff/expected.json,
 * from scripts/make_test_tiffs.py with tifffile); layouts it cannot stream say so (null) without reading; a large
 * one-strip deflate plane arrives in bands far smaller than the plane; the sink can stop it; corrupt strips are one
 * error naming the file, strip and page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, readJson } from './helpers/fixtures.js';
import { openImageStack } from '../src/io/image-stack.js';
import { encodeTiffStackChunks } from '../src/io/tiff-writer.js';
import { openTiff } from '../src/io/tiff-reader.js';

const DATA = join(REPO_ROOT, 'test', 'data', 'tiff');
const p = (f: string) => join(DATA, f);
const expected = readJson<Record<string, any>>(p('expected.json'));

/** Files whose every plane must stream (strips; uncompressed or deflate; predictor 1/2; either byte order). */
const STREAMED = [
  'ome_zcyx_deflate_pred.ome.tif', // 3 strips per page, predictor 2
  'ome_bigendian_deflate_pred.ome.tif',
  'bigtiff_cyx.ome.tif',
  'plain_u8.tif',
  'plain_u32_deflate.tif',
  'plain_i16_deflate.tif',
  'plain_f32_bigendian.tif',
  'imagej_zcyx.tif',
  'imagej_tzcyx_escaped_unit.tif',
  'planar_syx.tif',
  'ome_tiffdata_per_plane.ome.tif',
  'stack_c0.ome.tif+stack_c1.tif',
];
/** Files it must decline (read whole instead). */
const DECLINED = ['tiled_zyx.ome.tif', 'plain_lzw_pred.tif', 'plain_packbits_u8.tif', 'palette_grey.tif', 'interleaved_yxs.tif', 'plain_f32_deflate_fpred.tif'];

async function streamPlane(stack: Awaited<ReturnType<typeof openImageStack>>, c: number, t: number, z: number) {
  const [, , , Y, X] = stack.rawShapeTzcyx;
  const values: number[] = [];
  let nextRow = 0;
  const done = await stack.streamPlaneRows!(c, t, z, (y0, band, rows) => {
    assert.equal(y0, nextRow, 'bands arrive top to bottom without gaps');
    assert.equal(band.length, rows * X);
    nextRow += rows;
    values.push(...Array.from(band));
  });
  if (done !== null) assert.equal(nextRow, Y);
  return { done, values };
}

for (const name of STREAMED) {
  test(`${name}: every plane streamed equals numpy's values`, async () => {
    const e = expected[name];
    const files = name.split('+').map(p);
    const stack = await openImageStack(files.length === 1 ? files[0] : files);
    const [, Z, , Y, X] = e.shapeTzcyx as number[];
    for (const [key, values] of Object.entries(e.channels as Record<string, number[]>)) {
      const [t, c] = key.split(',').map(Number);
      for (let z = 0; z < Z; z++) {
        const got = await streamPlane(stack, c, t, z);
        assert.equal(got.done, true, `t=${t} c=${c} z=${z}`);
        const want = values.slice(z * Y * X, (z + 1) * Y * X).map((x) => (e.dtype === 'float32' ? Math.fround(x) : x));
        assert.deepEqual(got.values, want, `t=${t} c=${c} z=${z}`);
      }
    }
  });
}

test('layouts that cannot be streamed are declined (null) without a row delivered', async () => {
  for (const name of DECLINED) {
    const stack = await openImageStack(p(name));
    const got = await streamPlane(stack, 0, 0, 0);
    assert.equal(got.done, null, name);
    assert.equal(got.values.length, 0, name);
  }
});

for (const compression of ['deflate', 'none'] as const) test(`a 4096 × 4096 uint16 one-strip ${compression} plane streams in 4 MiB bands, values exact; the sink can stop it`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tiff-rows-'));
  try {
    const Y = 4096, X = 4096;
    const data = new Uint16Array(Y * X);
    // A value pattern no band boundary can hide: labels that change every row and column.
    for (let y = 0; y < Y; y += 7) for (let x = 0; x < X; x += 3) data[y * X + x] = ((y * 31 + x) % 65535) + 1;
    const path = join(dir, 'big.tif');
    writeFileSync(path, Buffer.concat(encodeTiffStackChunks({ data, shape: [1, Y, X] }, { compression })));
    const stack = await openImageStack(path);
    let maxRows = 0;
    let mismatches = 0;
    let rowsSeen = 0;
    const done = await stack.streamPlaneRows!(0, 0, 0, (y0, band, rows) => {
      maxRows = Math.max(maxRows, rows);
      rowsSeen += rows;
      for (let i = 0; i < rows * X; i++) if (band[i] !== data[y0 * X + i]) mismatches++;
    });
    assert.equal(done, true);
    assert.equal(rowsSeen, Y);
    assert.equal(mismatches, 0);
    assert.equal(maxRows, (4 << 20) / (X * 2), 'a band is 4 MiB of rows (512 rows), not the 32 MiB plane');

    let bands = 0;
    const stopped = await stack.streamPlaneRows!(0, 0, 0, () => (++bands === 2 ? false : undefined));
    assert.equal(stopped, false);
    assert.equal(bands, 2, 'no band after the sink said stop');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupt deflate data in a strip: one InputError naming the file, strip and page', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tiff-rows-'));
  try {
    const data = new Uint16Array(64 * 64).fill(5);
    const bytes = Buffer.concat(encodeTiffStackChunks({ data, shape: [1, 64, 64] }, { compression: 'deflate' }));
    const path = join(dir, 'bad.tif');
    writeFileSync(path, bytes);
    // Garble the strip's deflate stream just after its 2-byte zlib header.
    const tiff = await openTiff(path);
    const off = (await tiff.page(0)).offsets[0];
    await tiff.close();
    const bad = Buffer.from(bytes);
    for (let i = off + 2; i < off + 32; i++) bad[i] = 0xff;
    writeFileSync(path, bad);
    const stack = await openImageStack(path);
    await assert.rejects(stack.streamPlaneRows!(0, 0, 0, () => {}), (err: any) => {
      assert.equal(err._tag, 'InputError');
      assert.match(err.message, /bad\.tif: corrupt (deflate data in strip 0 of page 0|TIFF: strip 0 of page 0 decodes to)/);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('truncated strip: the same one-line error as the whole read', async () => {
  const t = expected['truncated.tif'];
  const stack = await openImageStack(p('truncated.tif'));
  await assert.rejects(stack.streamPlaneRows!(0, 0, t.page, () => {}), (err: any) => {
    assert.equal(err._tag, 'InputError');
    assert.equal(err.message, `${p('truncated.tif')}: truncated: strip ${t.strip} of page ${t.page} ends at byte ${t.stripEnd} but the file has ${t.fileSize} bytes`);
    return true;
  });
});
