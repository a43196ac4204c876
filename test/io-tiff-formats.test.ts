/**
 * The tiny TIFFs in test/data/tiff/ (made by scripts/make_test_tiffs.py with tifffile/libtiff): every layout
 * the reader claims to handle, with every pixel compared exactly against the values numpy wrote into
 * expected.json, plus the error messages for corrupt / unsupported inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT, readJson, close } from './helpers/fixtures.js';
import { openImageStack } from '../src/io/image-stack.js';
import { openTiff } from '../src/io/tiff-reader.js';

const DATA = join(REPO_ROOT, 'test', 'data', 'tiff');
const p = (f: string) => join(DATA, f);

interface Expected {
  shapeTzcyx: [number, number, number, number, number];
  dtype: string;
  format: string;
  physicalSizeZyxUm: (number | null)[];
  channelNames: string[];
  channels: Record<string, number[]>;
}
const expected = readJson<Record<string, any>>(p('expected.json'));

const ctorFor: Record<string, Function> = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  int16: Int16Array,
  float32: Float32Array,
};

/** What each file exercises (the point of the test, not just "it opens"). */
const layouts: Record<string, string> = {
  'ome_zcyx_deflate_pred.ome.tif': 'OME ZCYX, deflate + predictor 2, 3 strips/page',
  'ome_bigendian_deflate_pred.ome.tif': 'big-endian, deflate + predictor 2',
  'bigtiff_cyx.ome.tif': 'BigTIFF, uncompressed',
  'tiled_zyx.ome.tif': '16×16 tiles with partial edge tiles, deflate + predictor',
  'plain_lzw_pred.tif': 'LZW + predictor (geotiff fallback)',
  'plain_packbits_u8.tif': 'PackBits uint8 (geotiff fallback)',
  'plain_u8.tif': 'uint8 uncompressed',
  'plain_u32_deflate.tif': 'uint32 deflate + predictor (wrap modulo 2^32)',
  'plain_f32.tif': 'float32 uncompressed',
  'plain_f32_bigendian.tif': 'float32 big-endian',
  'plain_f32_deflate_fpred.tif': 'float32 deflate + floating-point predictor 3 (geotiff fallback)',
  'plain_i16_deflate.tif': 'int16 deflate',
  'palette_grey.tif': 'palette with a grey-ramp colour map → indices',
  'imagej_zcyx.tif': 'ImageJ hyperstack, C fastest then Z',
  'imagej_tzcyx_escaped_unit.tif': 'ImageJ T=2 Z=2 C=2, unit=\\u00B5m escape',
  'interleaved_yxs.tif': '2 interleaved samples (PlanarConfiguration 1) + predictor',
  'planar_syx.tif': '2 planar samples (PlanarConfiguration 2)',
  'rgb_zyxs_tiled.tif': 'RGB interleaved tiled pages → 3 channels',
  'ome_tcyx_t2.ome.tif': 'OME T=2 Z=1: T stays T (Q19)',
  'ome_greek_mu.ome.tif': 'Greek μm (U+03BC) and cm units',
  'ome_no_physical.ome.tif': 'OME without PhysicalSize',
  'ome_tiffdata_per_plane.ome.tif': 'per-plane TiffData with shuffled IFDs, nm/mm units',
  'stack_c0.ome.tif+stack_c1.tif': 'two single-channel files stacked as channels',
};

test('every generated test file has a layout description', () => {
  const withValues = Object.keys(expected).filter((k) => expected[k].channels);
  assert.deepEqual(withValues.sort(), Object.keys(layouts).sort());
});

for (const [name, what] of Object.entries(layouts)) {
  test(`${name} (${what}): shape, dtype, metadata and every pixel`, async () => {
    const e = expected[name] as Expected;
    const files = name.split('+').map(p);
    const stack = await openImageStack(files.length === 1 ? files[0] : files);
    assert.deepEqual(stack.sourcePaths, files);
    assert.equal(stack.format, e.format);
    assert.equal(stack.dtype, e.dtype);
    assert.deepEqual(stack.rawShapeTzcyx, e.shapeTzcyx);
    assert.deepEqual(stack.channelNames, e.channelNames);
    stack.physicalSize.zyxUm.forEach((v, i) => {
      const w = e.physicalSizeZyxUm[i];
      if (w === null) assert.equal(v, null, `axis ${i}`);
      else assert.ok(v !== null && close(v, w, 1e-12), `axis ${i}: ${v} vs ${w}`);
    });
    const [, Z, , Y, X] = e.shapeTzcyx;
    for (const [key, values] of Object.entries(e.channels)) {
      const [t, c] = key.split(',').map(Number);
      const v = await stack.readChannel(c, t);
      assert.deepEqual(v.shape, [Z, Y, X]);
      assert.equal(v.data.constructor, ctorFor[e.dtype]);
      // float32 values were written by numpy as doubles of float32 numbers → exact after Math.fround.
      assert.deepEqual(Array.from(v.data), values.map((x) => (e.dtype === 'float32' ? Math.fround(x) : x)), `t=${t} c=${c}`);
    }
  });
}

test('Q19: T=2, Z=1 stays two time points of one plane; t beyond SizeT is an InputError naming both', async () => {
  const stack = await openImageStack(p('ome_tcyx_t2.ome.tif'));
  const [T, Z] = stack.rawShapeTzcyx;
  assert.equal(T, 2);
  assert.equal(Z, 1);
  const v1 = await stack.readChannel(1, 1);
  assert.deepEqual(v1.shape, [1, 4, 6]);
  assert.deepEqual(Array.from(v1.data), expected['ome_tcyx_t2.ome.tif'].channels['1,1']);
  await assert.rejects(stack.readChannel(0, 2), (err: any) => {
    assert.equal(err._tag, 'InputError');
    assert.match(err.message, /ome_tcyx_t2\.ome\.tif: time point t=2 requested but the image has SizeT=2$/);
    return true;
  });
});

test('truncated file: one InputError naming the strip, page, end byte and file size', async () => {
  const t = expected['truncated.tif'];
  const stack = await openImageStack(p('truncated.tif')); // IFDs are intact, only the last strip is cut
  assert.deepEqual(stack.rawShapeTzcyx, [1, 3, 1, 5, 7]);
  await assert.rejects(stack.readChannel(0, 0), (err: any) => {
    assert.equal(err._tag, 'InputError');
    assert.equal(
      err.message,
      `${p('truncated.tif')}: truncated: strip ${t.strip} of page ${t.page} ends at byte ${t.stripEnd} but the file has ${t.fileSize} bytes`,
    );
    return true;
  });
});

test('truncated OME-TIFF whose OME-XML lies past the end: InputError, never silently "plain"', async () => {
  const t = expected['truncated.ome.tif'];
  await assert.rejects(openImageStack(p('truncated.ome.tif')), {
    _tag: 'InputError',
    message:
      `${p('truncated.ome.tif')}: truncated: the ImageDescription of page 0 (bytes ${t.descriptionStart}..${t.descriptionEnd}) ` +
      `ends past the end of the file (${t.fileSize} bytes)`,
  });
});

test('not a TIFF / missing file / colour palette: one-line InputErrors', async () => {
  await assert.rejects(openImageStack(p('not_a_tiff.tif')), (err: any) => {
    assert.equal(err._tag, 'InputError');
    assert.ok(err.message.startsWith(`${p('not_a_tiff.tif')}: not a TIFF file`));
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  await assert.rejects(openImageStack(p('does_not_exist.tif')), {
    _tag: 'InputError',
    message: `${p('does_not_exist.tif')}: file not found`,
  });
  const pal = await openImageStack(p('palette_color.tif'));
  await assert.rejects(pal.readChannel(0, 0), (err: any) => {
    assert.equal(err._tag, 'InputError');
    assert.match(err.message, /palette_color\.tif: palette \(indexed-colour\) image with a non-grey colour map at entry 0 \(R=65535, G=0, B=0\)/);
    return true;
  });
});

test('channel beyond the image is an InputError naming SizeC', async () => {
  const stack = await openImageStack(p('ome_zcyx_deflate_pred.ome.tif'));
  await assert.rejects(stack.readChannel(2, 0), {
    _tag: 'InputError',
    message: `${p('ome_zcyx_deflate_pred.ome.tif')}: channel 2 requested but the image has 2 channels (SizeC=2)`,
  });
});

test('stacked files: multi-channel member and shape mismatch are InputErrors naming the files and shapes', async () => {
  await assert.rejects(openImageStack([p('stack_c0.ome.tif'), p('stack_other_shape.tif')]), {
    _tag: 'InputError',
    message:
      `stacked channel files differ: ${p('stack_c0.ome.tif')} is TZCYX (1, 2, 1, 3, 4) uint16 but ` +
      `${p('stack_other_shape.tif')} is TZCYX (1, 2, 1, 3, 5) uint16 (T, Z, Y, X and dtype must match)`,
  });
  await assert.rejects(openImageStack([p('stack_c0.ome.tif'), p('imagej_zcyx.tif')]), {
    _tag: 'InputError',
    message: `${p('imagej_zcyx.tif')}: stacked channel files must each hold one channel, got TZCYX (1, 3, 2, 6, 5) uint16`,
  });
  // physical size from the first file that has one (the second file has none)
  const s = await openImageStack([p('stack_c1.tif'), p('stack_c0.ome.tif')]);
  assert.deepEqual(s.physicalSize.zyxUm, [1.2, 0.4, 0.4]);
  await assert.rejects(s.readChannel(2, 0), (err: any) => err._tag === 'InputError' && /2 stacked files/.test(err.message));
});

test('low-level reader: BigTIFF flag, byte order and page layout from geotiff tags', async () => {
  const big = await openTiff(p('bigtiff_cyx.ome.tif'));
  try {
    assert.equal(big.bigTiff, true);
    assert.equal(big.littleEndian, true);
    assert.equal(big.pageCount, 2);
  } finally {
    await big.close();
  }
  const be = await openTiff(p('ome_bigendian_deflate_pred.ome.tif'));
  try {
    assert.equal(be.littleEndian, false);
    const pg = await be.page(0);
    assert.equal(pg.compression, 8);
    assert.equal(pg.predictor, 2);
    assert.equal(pg.blockHeight, 2); // rowsperstrip=2 → 3 strips for 5 rows
    assert.equal(pg.offsets.length, 3);
  } finally {
    await be.close();
  }
  const tiled = await openTiff(p('tiled_zyx.ome.tif'));
  try {
    const pg = await tiled.page(1);
    assert.equal(pg.tiled, true);
    assert.deepEqual([pg.blockWidth, pg.blockHeight], [16, 16]);
    assert.equal(pg.offsets.length, 3 * 2); // ceil(36/16) × ceil(20/16)
  } finally {
    await tiled.close();
  }
});
