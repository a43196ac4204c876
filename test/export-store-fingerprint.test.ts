/**
 * A Zarr store's input fingerprint in the manifest (docs/ome-zarr.md, Provenance): SHA-256 over the store's files in
 * sorted relative-path order, each as `path\0size\0sha256(content) for metadata files, else empty\n`. The expected
 * value is computed here from that definition (node's own directory listing and hashes), not by the code under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { FIXTURES } from './helpers/fixtures.js';
import { describeInputFile } from '../src/export/manifest.js';

function expectedFingerprint(root: string): string {
  const files = (readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).split(sep).join('/'))
    .sort();
  const h = createHash('sha256');
  for (const f of files) {
    const meta = /(^|\/)(\.zattrs|\.zarray|\.zgroup|\.zmetadata|[^/]*\.json)$/.test(f);
    const content = meta ? createHash('sha256').update(readFileSync(join(root, f))).digest('hex') : '';
    h.update(`${f}\0${statSync(join(root, f)).size}\0${content}\n`);
  }
  return h.digest('hex');
}

for (const store of ['2d_otsu_blosc_lz4.ome.zarr', '3d_otsu_zstd.ome.zarr', 'plate_2wells.ome.zarr']) {
  test(`the manifest's fingerprint of a Zarr store follows its definition: ${store}`, async () => {
    const root = join(FIXTURES, 'zarr', store);
    const info = await describeInputFile(root);
    assert.equal(info.sha256, expectedFingerprint(root));
  });
}
