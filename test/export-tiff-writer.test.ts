/**
 * TIFF writer: pixels round-trip exactly through geotiff (an independent reader), tags and OME-XML carry
 * the physical size, output bytes are deterministic, BigTIFF layout is valid.
 * (tifffile cross-check, dev time only: scripts/check-tiff-writer.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import { readTiffPagesReference } from './helpers/fixtures.js';
import { encodeTiffStack, encodeTiffStackChunksAsync, omeXml, toRational } from '../src/io/tiff-writer.js';

const Z = 3, Y = 5, X = 7;
const N = Z * Y * X;
const volumes = {
  u8: Uint8Array.from({ length: N }, (_, i) => (i * 37) & 0xff),
  u16: Uint16Array.from({ length: N }, (_, i) => (i * 977) & 0xffff),
  u32: Uint32Array.from({ length: N }, (_, i) => (i * 2654435761) >>> 0),
  f32: Float32Array.from({ length: N }, (_, i) => i * 0.37 - 5),
};

const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-tiff-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('pixels round-trip through geotiff for every type, raw and deflate, classic and BigTIFF', async () => {
  for (const [name, data] of Object.entries(volumes)) {
    for (const compression of ['none', 'deflate'] as const) {
      for (const bigTiff of [false, true]) {
        const bytes = encodeTiffStack({ data, shape: [Z, Y, X] }, { compression, bigTiff, voxelSizeUm: [2, 0.5, 0.25] });
        // Header: "II", then 42 (classic) or 43 (BigTIFF).
        assert.equal(bytes[0], 0x49);
        assert.equal(bytes[2], bigTiff ? 43 : 42);
        const p = join(dir, `${name}-${compression}-${bigTiff}.tif`);
        writeFileSync(p, bytes);
        const r = await readTiffPagesReference(p);
        assert.equal(r.pages, Z);
        assert.equal(r.height, Y);
        assert.equal(r.width, X);
        assert.equal(r.data.constructor, data.constructor, `${name} type`);
        assert.deepEqual(Array.from(r.data), Array.from(data), `${name} ${compression} big=${bigTiff}`);
      }
    }
  }
});

test('tags: OME-XML with µm physical sizes, resolution in pixels per cm, one strip per page', async () => {
  const bytes = encodeTiffStack({ data: volumes.u32, shape: [Z, Y, X] }, { voxelSizeUm: [2, 0.1625, 0.5], compression: 'deflate' });
  const tiff = await fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const img = await tiff.getImage(0);
  const fd = img.fileDirectory as any;
  const desc = String(await fd.loadValue('ImageDescription')).replace(/\0+$/, '');
  assert.ok(desc.startsWith('<?xml'));
  assert.match(desc, /DimensionOrder="XYZCT"/);
  assert.match(desc, /Type="uint32"/);
  assert.match(desc, /SizeX="7" SizeY="5" SizeZ="3" SizeC="1" SizeT="1"/);
  assert.match(desc, /PhysicalSizeX="0.5" PhysicalSizeXUnit="µm"/);
  assert.match(desc, /PhysicalSizeY="0.1625" PhysicalSizeYUnit="µm"/);
  assert.match(desc, /PhysicalSizeZ="2" PhysicalSizeZUnit="µm"/);
  assert.match(desc, /<TiffData IFD="0" PlaneCount="3"\/>/);
  // 10^4 µm/cm ÷ 0.5 µm = 20000 px/cm; ÷ 0.1625 µm = 61538.46… = 800000/13.
  const xr = await fd.loadValue('XResolution');
  const yr = await fd.loadValue('YResolution');
  assert.deepEqual(Array.from(xr as ArrayLike<number>), [20000, 1]);
  assert.deepEqual(Array.from(yr as ArrayLike<number>), [800000, 13]);
  assert.equal(await fd.loadValue('ResolutionUnit'), 3);
  assert.equal(await fd.loadValue('Compression'), 8);
  const first = (v: unknown) => (typeof v === 'number' ? v : Number((v as ArrayLike<number>)[0]));
  assert.equal(first(await fd.loadValue('SampleFormat')), 1);
  assert.equal(first(await fd.loadValue('RowsPerStrip')), Y);
  assert.equal((await fd.loadValue('StripOffsets') as ArrayLike<number>).length, 1);
  // Only page 0 carries the description.
  const img1 = await tiff.getImage(1);
  assert.equal((img1.fileDirectory as any).hasTag?.('ImageDescription') ?? false, false);
});

test('shaped and custom descriptions; no resolution tags without a voxel size', async () => {
  const shaped = encodeTiffStack({ data: volumes.u16, shape: [Z, Y, X] }, { description: 'shaped' });
  const text = Buffer.from(shaped).toString('latin1');
  assert.ok(text.includes('{"shape": [3, 5, 7]}\0'));
  assert.ok(!text.includes('<?xml'));
  const tiff = await fromArrayBuffer(shaped.slice().buffer as ArrayBuffer);
  const fd = (await tiff.getImage(0)).fileDirectory as any;
  assert.equal(fd.hasTag?.('XResolution') ?? false, false);
  const custom = encodeTiffStack({ data: volumes.u8, shape: [Z, Y, X] }, { description: 'hello' });
  assert.ok(Buffer.from(custom).toString('latin1').includes('hello\0'));
});

test('deterministic bytes; async encoder equals sync encoder', async () => {
  const vol = { data: volumes.u32, shape: [Z, Y, X] as const };
  const opts = { voxelSizeUm: [1, 0.5, 0.5] as const, compression: 'deflate' as const };
  const a = encodeTiffStack(vol, opts);
  const b = encodeTiffStack({ data: volumes.u32.slice(), shape: [Z, Y, X] }, opts);
  assert.deepEqual(a, b);
  const chunks = await encodeTiffStackChunksAsync(vol, opts);
  assert.deepEqual(Buffer.concat(chunks), Buffer.from(a));
});

test('toRational and omeXml', () => {
  assert.deepEqual(toRational(20000), [20000, 1]);
  assert.deepEqual(toRational(1e4 / 0.1625), [800000, 13]);
  assert.deepEqual(toRational(0.5), [1, 2]);
  assert.ok(omeXml([1, 2, 3], 'uint16', null).includes('SizeX="3" SizeY="2" SizeZ="1"'));
  assert.ok(!omeXml([1, 2, 3], 'uint16', null).includes('PhysicalSize'));
});

test('rejects a shape that does not match the data', () => {
  assert.throws(() => encodeTiffStack({ data: new Uint8Array(5), shape: [1, 2, 3] }, {}), /needs 6/);
});
