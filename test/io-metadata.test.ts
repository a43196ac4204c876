/**
 * Units (spec 3.3 + Q21), voxel-scale resolution (spec 3.3 with fix Q21), OME-XML TiffData mapping and
 * ImageJ description parsing, against hand-computed values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/fixtures.js';
import { openImageStack, resolveVoxelScale, unitToMicrometres, type PhysicalSizeInfo } from '../src/io/image-stack.js';
import { parseOmeXml, planeIndex } from '../src/io/ome-xml.js';
import { parseImageJDescription, imageJPageIndex } from '../src/io/imagej.js';

const DATA = join(REPO_ROOT, 'test', 'data', 'tiff');

test('unitToMicrometres: spec 3.3 classes plus U+03BC, cm and Å', () => {
  const cases: [string, number | null][] = [
    ['micron', 1], ['Microns', 1], [' um ', 1], ['\u00b5m', 1], ['\u03bcm', 1], ['micrometer', 1], ['micrometres', 1],
    ['nm', 1e-3], ['nanometers', 1e-3], ['nanometre', 1e-3],
    ['mm', 1e3], ['millimetre', 1e3],
    ['cm', 1e4], ['centimeters', 1e4],
    ['m', 1e6], ['meter', 1e6], ['metres', 1e6],
    ['\u00c5', 1e-4], ['\u212b', 1e-4], ['angstrom', 1e-4],
    ['pixel', null], ['inch', null], ['', null], ['furlong', null],
  ];
  for (const [u, f] of cases) assert.equal(unitToMicrometres(u), f, JSON.stringify(u));
});

const known: PhysicalSizeInfo = { zyxUm: [2, 0.5, 0.25], warnings: [] };
const unknown: PhysicalSizeInfo = { zyxUm: [null, null, null], warnings: [] };

test('resolveVoxelScale: explicit values (config)', () => {
  assert.deepEqual(resolveVoxelScale([3, 0.2, 0.1], known, true), { voxelSizeUm: [3, 0.2, 0.1], source: 'config', warnings: [] });
  // 2 values on 2D data → z = 1.0 (spec 3.3), metadata z ignored
  assert.deepEqual(resolveVoxelScale([0.2, 0.1], known, false), { voxelSizeUm: [1, 0.2, 0.1], source: 'config', warnings: [] });
  // 2 values on a 3D stack → metadata z when known (fix Q21)
  assert.deepEqual(resolveVoxelScale([0.2, 0.1], known, true), { voxelSizeUm: [2, 0.2, 0.1], source: 'config', warnings: [] });
  // … else 1.0 with a warning
  const r = resolveVoxelScale([0.2, 0.1], unknown, true);
  assert.deepEqual(r.voxelSizeUm, [1, 0.2, 0.1]);
  assert.equal(r.source, 'config');
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /only \(y, x\) = \(0\.2, 0\.1\) for a 3D stack.*using z = 1\.0 µm/);
});

test('resolveVoxelScale: invalid explicit values are ValueErrors naming the value', () => {
  const bad: [unknown, RegExp][] = [
    [[1], /expected 2 values \(y, x\) or 3 values \(z, y, x\) in µm, got \[1\]/],
    [[1, 2, 3, 4], /got \[1,2,3,4\]/],
    [[1, 0, 1], /voxel_scale_zyx\[1\]: expected a finite number > 0 \(µm\), got 0/],
    [[1, -2], /voxel_scale_zyx\[1\].*got -2/],
    [[NaN, 1, 1], /voxel_scale_zyx\[0\].*got NaN/],
    [[Infinity, 1], /voxel_scale_zyx\[0\].*got Infinity/],
  ];
  for (const [v, re] of bad) {
    assert.throws(() => resolveVoxelScale(v as number[], known, true), (e: any) => e._tag === 'ValueError' && re.test(e.message));
  }
});

test('resolveVoxelScale: metadata, fallbacks with warnings, silent z for 2D', () => {
  assert.deepEqual(resolveVoxelScale(null, known, true), { voxelSizeUm: [2, 0.5, 0.25], source: 'metadata', warnings: [] });
  // 2D without z metadata: z = 1.0 silently, still 'metadata'
  assert.deepEqual(resolveVoxelScale(null, { zyxUm: [null, 0.5, 0.5], warnings: [] }, false), {
    voxelSizeUm: [1, 0.5, 0.5],
    source: 'metadata',
    warnings: [],
  });
  const r3 = resolveVoxelScale(null, { zyxUm: [null, 0.5, 0.5], warnings: [] }, true);
  assert.deepEqual(r3.voxelSizeUm, [1, 0.5, 0.5]);
  assert.equal(r3.source, 'fallback');
  assert.deepEqual(r3.warnings, ['voxel size z: not in the image metadata; using the fallback 1.0 µm (set voxel_scale_zyx to override)']);
  const all = resolveVoxelScale(null, unknown, false);
  assert.deepEqual(all.voxelSizeUm, [1, 1, 1]);
  assert.equal(all.source, 'fallback');
  assert.equal(all.warnings.length, 2); // y and x only
  assert.match(all.warnings[0], /^voxel size y: /);
  assert.match(all.warnings[1], /^voxel size x: /);
});

test('OME without PhysicalSize → fallback warnings; unknown unit → warning naming the unit', async () => {
  const s = await openImageStack(join(DATA, 'ome_no_physical.ome.tif'));
  assert.deepEqual(s.physicalSize.zyxUm, [null, null, null]);
  const r = resolveVoxelScale(null, s.physicalSize, s.rawShapeTzcyx[1] > 1);
  assert.deepEqual(r.voxelSizeUm, [1, 1, 1]);
  assert.equal(r.source, 'fallback');
  assert.equal(r.warnings.length, 3);

  const xml = (unit: string) =>
    `<OME><Image><Pixels DimensionOrder="XYZCT" SizeX="2" SizeY="2" SizeZ="1" SizeC="1" SizeT="1" ` +
    `PhysicalSizeX="0.5" PhysicalSizeXUnit="${unit}" PhysicalSizeY="abc"><Channel SamplesPerPixel="1"/></Pixels></Image></OME>`;
  const px = parseOmeXml(xml('furlong'), 'f.ome.tif', 1);
  assert.deepEqual(px.physicalSizeX, { value: 0.5, unit: 'furlong', rawValue: '0.5' });
  assert.deepEqual(px.physicalSizeY, { value: null, unit: 'µm', rawValue: 'abc' });
  assert.deepEqual(px.physicalSizeZ, { value: null, unit: 'µm', rawValue: null });
});

test('OME greek μm and cm: 0.1 μm, 0.2 μm, 0.0003 cm = 3 µm', async () => {
  const s = await openImageStack(join(DATA, 'ome_greek_mu.ome.tif'));
  const [z, y, x] = s.physicalSize.zyxUm;
  assert.ok(Math.abs(z! - 3) < 1e-12);
  assert.equal(y, 0.2);
  assert.equal(x, 0.1);
  assert.deepEqual(s.physicalSize.warnings, []);
});

test('planeIndex follows DimensionOrder (first letter after XY fastest)', () => {
  const sizes = { z: 3, c: 2, t: 4 };
  assert.equal(planeIndex('XYCZT', sizes, 1, 1, 0), 1 + 2 * 1);
  assert.equal(planeIndex('XYZCT', sizes, 1, 1, 0), 1 + 3 * 1);
  assert.equal(planeIndex('XYZCT', sizes, 2, 1, 3), 2 + 3 * (1 + 2 * 3));
  assert.equal(planeIndex('XYTZC', sizes, 2, 1, 3), 3 + 4 * (2 + 3 * 1));
});

test('OME TiffData: single block with IFD offset, per-plane, defaults, other-file reference', () => {
  const head = (order: string, extra = '') =>
    `<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image ID="Image:0"><Pixels ` +
    `DimensionOrder="${order}" SizeX="4" SizeY="3" SizeZ="2" SizeC="2" SizeT="1" Type="uint16">` +
    `<Channel Name="a" SamplesPerPixel="1"/><Channel Name="b"/>${extra}</Pixels></Image></OME>`;
  // one TiffData starting at IFD 5, 4 planes
  let px = parseOmeXml(head('XYCZT', '<TiffData IFD="5" PlaneCount="4"/>'), 'x.ome.tif', 9);
  assert.deepEqual(Array.from(px.ifdOfPlane), [5, 6, 7, 8]);
  assert.deepEqual(px.channelNames, ['a', 'b']);
  // no TiffData → plane i = IFD i
  px = parseOmeXml(head('XYZCT'), 'x.ome.tif', 4);
  assert.deepEqual(Array.from(px.ifdOfPlane), [0, 1, 2, 3]);
  // bare <TiffData/> → all planes from IFD 0
  px = parseOmeXml(head('XYZCT', '<TiffData/>'), 'x.ome.tif', 4);
  assert.deepEqual(Array.from(px.ifdOfPlane), [0, 1, 2, 3]);
  // per-plane, missing plane stays -1; IFD without PlaneCount = 1 plane
  px = parseOmeXml(
    head('XYZCT', '<TiffData FirstZ="1" FirstC="1" IFD="0"/><TiffData FirstZ="0" FirstC="0" IFD="3" PlaneCount="1"/>'),
    'x.ome.tif',
    4,
  );
  // XYZCT index = z + 2c: (z0,c0)=0 (z1,c0)=1 (z0,c1)=2 (z1,c1)=3
  assert.deepEqual(Array.from(px.ifdOfPlane), [3, -1, -1, 0]);
  // UUID pointing to another file
  assert.throws(
    () => parseOmeXml(head('XYZCT', '<TiffData IFD="0"><UUID FileName="other.ome.tif">urn:uuid:1</UUID></TiffData>'), 'x.ome.tif', 4),
    /another file "other\.ome\.tif"/,
  );
  assert.throws(() => parseOmeXml(head('XYQZT'), 'x.ome.tif', 4), /DimensionOrder="XYQZT"/);
  assert.throws(() => parseOmeXml('<OME><Image/></OME>', 'x', 1), /no <Pixels>/);
  assert.throws(() => parseOmeXml('<notome/>', 'x', 1), /no <OME> root/);
});

test('OME RGB: SizeC=3 with one Channel of SamplesPerPixel=3 → one plane channel, 3 samples', () => {
  const px = parseOmeXml(
    '<OME><Image><Pixels DimensionOrder="XYCZT" SizeX="4" SizeY="3" SizeZ="2" SizeC="3" SizeT="1">' +
      '<Channel SamplesPerPixel="3" Name="rgb"/><TiffData IFD="0" PlaneCount="2"/></Pixels></Image></OME>',
    'x',
    2,
  );
  assert.equal(px.samplesPerPixel, 3);
  assert.equal(px.planeChannels, 1);
  assert.deepEqual(Array.from(px.ifdOfPlane), [0, 1]);
});

test('ImageJ description: counts, unit escape, spacing, page order C then Z then T', () => {
  const d = parseImageJDescription(
    'ImageJ=1.54f\nimages=24\nchannels=2\nslices=3\nframes=4\nhyperstack=true\nunit=\\u00B5m\nspacing=0.5\nloop=false\n',
    24,
  );
  assert.equal(d.version, '1.54f');
  assert.deepEqual([d.images, d.channels, d.slices, d.frames, d.hyperstack], [24, 2, 3, 4, true]);
  assert.equal(d.unit, '\u00b5m');
  assert.equal(d.spacing, 0.5);
  assert.equal(imageJPageIndex(d, 1, 2, 3), 1 + 2 * (2 + 3 * 3));
  // plain ImageJ stack: images only → slices
  const s = parseImageJDescription('ImageJ=1.11a\nimages=5\n', 5);
  assert.deepEqual([s.channels, s.slices, s.frames, s.unit, s.spacing], [1, 5, 1, null, null]);
});
