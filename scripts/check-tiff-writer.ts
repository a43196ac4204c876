/**
 * Dev-time cross-check of src/io/tiff-writer.ts with tifffile (Debian python3-tifffile; never run by tests/CI).
 * Writes small stacks of every type / layout, then asks tifffile for shape, dtype, axes, OME physical sizes
 * and resolution tags and compares pixels.   Run: npx tsx scripts/check-tiff-writer.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { encodeTiffStack } from '../src/io/tiff-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'tiffcheck-'));
const Z = 3, Y = 5, X = 7, N = Z * Y * X;
const arrays = {
  u32: Uint32Array.from({ length: N }, (_, i) => (i * 2654435761) >>> 0),
  u16: Uint16Array.from({ length: N }, (_, i) => (i * 977) & 0xffff),
  u8: Uint8Array.from({ length: N }, (_, i) => i & 0xff),
  f32: Float32Array.from({ length: N }, (_, i) => i * 0.37 - 5),
};
const vs = [2, 0.1625, 0.5] as const;
const files: [string, string][] = [];
const put = (name: string, ref: string, bytes: Uint8Array) => {
  writeFileSync(join(dir, `${name}.tif`), bytes);
  files.push([name, ref]);
};
for (const [k, a] of Object.entries(arrays)) {
  writeFileSync(join(dir, `${k}.bin`), new Uint8Array(a.buffer));
  put(`${k}_raw`, k, encodeTiffStack({ data: a, shape: [Z, Y, X] }, { voxelSizeUm: vs }));
  put(`${k}_deflate`, k, encodeTiffStack({ data: a, shape: [Z, Y, X] }, { voxelSizeUm: vs, compression: 'deflate' }));
  put(`${k}_big`, k, encodeTiffStack({ data: a, shape: [Z, Y, X] }, { voxelSizeUm: vs, compression: 'deflate', bigTiff: true }));
  put(`${k}_shaped`, k, encodeTiffStack({ data: a, shape: [Z, Y, X] }, { description: 'shaped' }));
}
put('roi2d', 'u16', encodeTiffStack({ data: arrays.u16.subarray(0, Y * X), shape: [1, Y, X] }, { voxelSizeUm: [1, 0.5, 0.5] }));

const py = String.raw`
import sys, json, numpy as np, tifffile
d = sys.argv[1]; files = json.loads(sys.argv[2]); Z, Y, X = 3, 5, 7
dt = {'u32': '<u4', 'u16': '<u2', 'u8': 'u1', 'f32': '<f4'}
ok = True
for name, ref in files:
    a = np.fromfile(f'{d}/{ref}.bin', dtype=dt[ref]).reshape(Z, Y, X)
    if name == 'roi2d': a = a[0]
    with tifffile.TiffFile(f'{d}/{name}.tif') as t:
        b = t.asarray(); p = t.pages[0]
        phys = None
        if t.is_ome:
            px = tifffile.xml2dict(t.ome_metadata)['OME']['Image']['Pixels']
            phys = (px.get('PhysicalSizeZ'), px.get('PhysicalSizeY'), px.get('PhysicalSizeX'), px.get('PhysicalSizeXUnit'))
        res = (p.tags['XResolution'].value, p.tags['YResolution'].value, p.tags['ResolutionUnit'].value) if 'XResolution' in p.tags else None
        same = b.shape == a.shape and b.dtype == a.dtype and np.array_equal(a, b)
        ok &= bool(same)
        print(f'{name:12s} bigtiff={t.is_bigtiff!s:5s} ome={t.is_ome!s:5s} axes={t.series[0].axes:4s} shape={b.shape} dtype={b.dtype} equal={same} phys_zyx={phys} res={res}')
print('ALL OK' if ok else 'MISMATCH')
`;
try {
  process.stdout.write(execFileSync('/usr/bin/python3', ['-c', py, dir, JSON.stringify(files)], { encoding: 'utf8' }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
