/**
 * Zarr array metadata read with plain code (issue 20, speed: src/io/zarr/array-metadata.ts) and NGFF metadata
 * validated with zod (ngff-metadata.ts). Which arrays the direct path reads without zarrita — per the Zarr v2/v3 specs: C order, no
 * filters, little-endian data, at most one known compressor after `bytes`, a regular chunk grid, no sharding — and
 * that every other array is left to zarrita; malformed `multiscales` refused in one line naming the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { plainArray } from '../src/io/zarr/array-metadata.js';
import type { ArrayMetadata } from '../src/io/zarr/direct-decode.js';
import { parseNgffImage } from '../src/io/zarr/ngff-metadata.js';
import { FIXTURES } from './helpers/fixtures.js';

const v2 = (o: Record<string, unknown> = {}): ArrayMetadata =>
  ({ zarr_format: 2, shape: [2, 300, 200], chunks: [1, 64, 64], dtype: '<u2', compressor: { id: 'blosc' }, filters: null, order: 'C', fill_value: 0, ...o }) as ArrayMetadata;
const v3 = (o: Record<string, unknown> = {}): ArrayMetadata =>
  ({
    zarr_format: 3,
    node_type: 'array',
    shape: [2, 300, 200],
    data_type: 'uint16',
    chunk_grid: { name: 'regular', configuration: { chunk_shape: [1, 64, 64] } },
    chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
    codecs: [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'zstd', configuration: { level: 3 } }],
    fill_value: 0,
    ...o,
  }) as ArrayMetadata;

test('plainArray: the common layouts are read directly, with their shape, chunks and data type', () => {
  assert.deepEqual(plainArray(v2()), { shape: [2, 300, 200], chunks: [1, 64, 64], dtype: 'uint16', codec: 'blosc' });
  assert.deepEqual(plainArray(v2({ dtype: '|u1', compressor: null })), { shape: [2, 300, 200], chunks: [1, 64, 64], dtype: 'uint8', codec: 'raw' });
  assert.deepEqual(plainArray(v2({ dtype: '<f4', compressor: { id: 'zlib', level: 1 } }))?.dtype, 'float32');
  assert.deepEqual(plainArray(v3()), { shape: [2, 300, 200], chunks: [1, 64, 64], dtype: 'uint16', codec: 'zstd' });
  assert.equal(plainArray(v3({ data_type: 'int32', codecs: [{ name: 'bytes', configuration: { endian: 'little' } }] }))?.codec, 'raw');
});

test('plainArray: everything else is left to zarrita (null)', () => {
  const cases: [string, ArrayMetadata][] = [
    ['v2 Fortran order', v2({ order: 'F' })],
    ['v2 filters', v2({ filters: [{ id: 'delta', dtype: '<u2' }] })],
    ['v2 big-endian', v2({ dtype: '>u2' })],
    ['v2 int8 (not a CellColoc type)', v2({ dtype: '|i1' })],
    ['v2 float64', v2({ dtype: '<f8' })],
    ['v2 unknown compressor', v2({ compressor: { id: 'lzma' } })],
    ['v2 chunks of another rank', v2({ chunks: [64, 64] })],
    ['v2 zero chunk size', v2({ chunks: [1, 0, 64] })],
    ['v2 shape not integers', v2({ shape: [2, 300.5, 200] })],
    ['v3 group', v3({ node_type: 'group' })],
    ['v3 sharding', v3({ codecs: [{ name: 'sharding_indexed', configuration: {} }] })],
    ['v3 transpose', v3({ codecs: [{ name: 'transpose', configuration: { order: [0, 2, 1] } }, { name: 'bytes', configuration: { endian: 'little' } }] })],
    ['v3 big-endian bytes', v3({ codecs: [{ name: 'bytes', configuration: { endian: 'big' } }] })],
    ['v3 two compressors', v3({ codecs: [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'zstd' }, { name: 'crc32c' }] })],
    ['v3 irregular grid', v3({ chunk_grid: { name: 'rectilinear', configuration: {} } })],
    ['v3 storage transformers', v3({ storage_transformers: [{ name: 'x' }] })],
    ['v3 float64', v3({ data_type: 'float64' })],
    ['no metadata', {}],
  ];
  for (const [what, meta] of cases) assert.equal(plainArray(meta), null, what);
});

test('multiscales checked (zod): one line naming the key and what was expected', () => {
  const ga = (m: unknown, omero?: unknown) => ({ zarrFormat: 2 as const, attrs: { multiscales: [m], ...(omero === undefined ? {} : { omero }) }, file: 'img.zarr/.zattrs' });
  const axes = [{ name: 'y', type: 'space', unit: 'micrometer' }, 'x'];
  const ok = { axes, datasets: [{ path: '0', coordinateTransformations: [{ type: 'scale', scale: [0.5, 0.25] }, { type: 'translation', translation: [1, 1] }] }] };
  const img = parseNgffImage(ga(ok, { channels: [{ label: 'DAPI' }, {}] }), 'img.zarr');
  assert.deepEqual(img.axes, ['y', 'x']);
  assert.deepEqual(img.levels, [{ path: '0', scale: [0.5, 0.25], translation: [1, 1] }]);
  assert.deepEqual(img.channelLabels, ['DAPI', '']);
  assert.deepEqual(parseNgffImage(ga(ok, { channels: 'none' }), 'img.zarr').channelLabels, [], 'an omero block of another shape is ignored');
  const bad: [unknown, RegExp][] = [
    ['not an object', /multiscales\[0\]: Invalid input: expected object, received string/],
    [{ ...ok, axes: ['x'] }, /multiscales\[0\]\.axes: Too small: expected array to have >=2 items/],
    [{ ...ok, axes: [{ name: 'y' }, { type: 'space' }] }, /multiscales\[0\]\.axes\.1: expected an axis name or \{name, type\?: string, unit\?: string\}/],
    [{ ...ok, axes: [{ name: 'y', unit: 5 }, 'x'] }, /multiscales\[0\]\.axes\.0: expected an axis name or \{name, type\?: string, unit\?: string\}/],
    [{ ...ok, datasets: [] }, /multiscales\[0\]\.datasets: Too small: expected array to have >=1 items/],
    [{ ...ok, datasets: [{ path: '' }] }, /multiscales\[0\]\.datasets\.0\.path: Too small: expected string to have >=1 characters/],
    [{ ...ok, datasets: [{ path: '0', coordinateTransformations: [{ scale: [1, 1] }] }] }, /multiscales\[0\]\.datasets\.0\.coordinateTransformations\.0: expected a transformation \{type, \.\.\.\}/],
    [{ ...ok, version: 4 }, /multiscales\[0\]\.version: Invalid input: expected string, received number/],
  ];
  for (const [m, re] of bad) {
    assert.throws(
      () => parseNgffImage(ga(m), 'img.zarr'),
      (e: Error) => re.test(e.message) && e.message.startsWith('img.zarr: img.zarr/.zattrs: ') && !e.message.includes('\n'),
      String(re),
    );
  }
});

test('a store the direct path reads whole never loads zarrita', () => {
  // A child process records every module it resolves (module.register hook), opens and reads the v2 zstd fixture.
  const hook = `data:text/javascript,${encodeURIComponent(
    'export async function resolve(s, c, next) { const r = await next(s, c); if (/zarrita|numcodecs/.test(r.url)) process.stdout.write("LOADED " + r.url + "\\n"); return r; }',
  )}`;
  const script = `
    import { register } from 'node:module';
    register(${JSON.stringify(hook)});
    const { openImageStack } = await import(${JSON.stringify(join(import.meta.dirname, '..', 'src', 'io', 'image-stack.ts'))});
    const s = await openImageStack(${JSON.stringify(join(FIXTURES, 'zarr', '3d_otsu_zstd.ome.zarr'))});
    const v = await s.readChannel(1, 0);
    console.log('READ', v.data.length, s.readStats().chunks);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^READ \d+ \d+$/m);
  assert.doesNotMatch(r.stdout, /LOADED/);
});
