/**
 * Every upstream fixture `input.ome.tif` (CYX and ZCYX, uint16, deflate): shape, channel names and physical
 * sizes as stated in its README, the voxel scale the original resolved (`thresholds.json`), and every pixel
 * against an independent geotiff read (`readTiffPagesReference`). Also the expected mask / ROI TIFFs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UPSTREAM, readJson, readTiffPagesReference } from './helpers/fixtures.js';
import { openImageStack, resolveVoxelScale } from '../src/io/image-stack.js';

const cases = readdirSync(UPSTREAM).filter((d) => existsSync(join(UPSTREAM, d, 'input.ome.tif')));

test('all seven upstream fixture cases are in test/fixtures/upstream', () => {
  assert.equal(cases.length, 7, `found ${cases.join(', ')}`);
});

interface ReadmeFacts {
  axes: string;
  zyx: [number, number, number];
  names: string[];
  physicalZyx: [number, number, number];
}

/** Facts stated in the fixture README ("Axes `ZCYX`, analysis shape ZYX = (12, 128, 128), 2 channels: 0=`cells`, …"). */
function readmeFacts(dir: string): ReadmeFacts {
  const md = readFileSync(join(dir, 'README.md'), 'utf8');
  const axes = /Axes `(\w+)`/.exec(md)![1];
  const shape = /analysis shape ZYX = \((\d+), (\d+), (\d+)\)/.exec(md)!;
  const chLine = /\d+ channels?: (.*)\./.exec(md)![1];
  const names = [...chLine.matchAll(/(\d+)=`([^`]*)`/g)].map((m) => m[2]);
  const ps = /PhysicalSizeX=([\d.]+), PhysicalSizeY=([\d.]+), PhysicalSizeZ=([\d.]+)/.exec(md)!;
  return {
    axes,
    zyx: [Number(shape[1]), Number(shape[2]), Number(shape[3])],
    names,
    physicalZyx: [Number(ps[3]), Number(ps[2]), Number(ps[1])],
  };
}

test('fixture list is the 7 upstream cases', () => {
  assert.equal(cases.length, 7);
});

for (const name of cases) {
  test(`fixture ${name}: input.ome.tif shape, names, physical size and every pixel`, async () => {
    const dir = join(UPSTREAM, name);
    const facts = readmeFacts(dir);
    const path = join(dir, 'input.ome.tif');
    const stack = await openImageStack(path);
    const [Z, Y, X] = facts.zyx;
    const C = facts.names.length;
    assert.equal(stack.format, 'ome');
    assert.equal(stack.dtype, 'uint16');
    assert.deepEqual(stack.rawShapeTzcyx, [1, Z, C, Y, X]);
    assert.equal(facts.axes, Z > 1 ? 'ZCYX' : 'CYX');
    assert.deepEqual(stack.channelNames, facts.names);
    assert.deepEqual(stack.physicalSize.zyxUm, facts.physicalZyx);
    assert.deepEqual(stack.physicalSize.warnings, []);

    // The original resolved this voxel scale from the metadata (voxel_scale_zyx=None).
    const resolved = readJson<{ voxel_scale_zyx_resolved: number[] }>(join(dir, 'expected', 'thresholds.json'));
    const vs = resolveVoxelScale(null, stack.physicalSize, Z > 1);
    assert.deepEqual(vs.voxelSizeUm, resolved.voxel_scale_zyx_resolved);
    assert.equal(vs.source, 'metadata');
    assert.deepEqual(vs.warnings, []);

    // Pages are XYCZT (C fastest): page = c + C·z.
    const ref = await readTiffPagesReference(path);
    assert.equal(ref.pages, Z * C);
    const plane = Y * X;
    for (let c = 0; c < C; c++) {
      const v = await stack.readChannel(c, 0);
      assert.deepEqual(v.shape, [Z, Y, X]);
      assert.ok(v.data instanceof Uint16Array);
      for (let z = 0; z < Z; z++) {
        const page = c + C * z;
        const want = ref.data.subarray(page * plane, (page + 1) * plane);
        const got = v.data.subarray(z * plane, (z + 1) * plane);
        assert.ok(Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.byteLength), Buffer.from(want.buffer, want.byteOffset, want.byteLength)) === 0, `c=${c} z=${z} differs`);
      }
    }
    await assert.rejects(stack.readChannel(C, 0), (e: any) => e._tag === 'InputError' && e.message.includes(`SizeC=${C}`));
    await assert.rejects(stack.readChannel(0, 1), (e: any) => e._tag === 'InputError' && /t=1 .*SizeT=1/.test(e.message));
  });
}

test('fixture expected/*.tif masks and ROI labels read as plain TIFFs, every pixel', async () => {
  let compared = 0;
  for (const name of cases) {
    const dir = join(UPSTREAM, name, 'expected');
    for (const file of ['cell_masks.tif', 'marker_masks.tif', 'roi_labels.tif']) {
      const path = join(dir, file);
      if (!existsSync(path)) continue;
      const stack = await openImageStack(path);
      const ref = await readTiffPagesReference(path);
      assert.equal(stack.format, 'plain');
      assert.equal(stack.dtype, file === 'roi_labels.tif' ? 'uint16' : 'uint32');
      assert.deepEqual(stack.rawShapeTzcyx, [1, ref.pages, 1, ref.height, ref.width]);
      const v = await stack.readChannel(0, 0);
      assert.deepEqual(Array.from(v.data), Array.from(ref.data), `${name}/${file}`);
      compared++;
    }
  }
  // 6 two-channel cases × (cell, marker, roi) + the single-channel case's roi_labels.tif.
  assert.equal(compared, 19);
});
