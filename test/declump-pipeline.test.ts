/**
 * Declumping through the whole single-channel workflow (issue 18.1 3D, 18.5):
 * - `cellcoloc run` on a 3D OME-TIFF of three touching spheres with 1.5 × 0.5 × 0.5 µm voxels
 *   (test/fixtures/declump-3d/, README there): with `declump_method: shape` the objects and their voxels are
 *   those of the same chain done with SciPy / scikit-image (Otsu, closing, `distance_transform_edt(sampling)`,
 *   `peak_local_max`, `watershed`; `scripts/gen-declump-reference.py --pipeline-3d`); with `none` one object
 *   (scikit-image `label`).
 * - `cellcoloc reanalyze --masks` and the viewer's re-analysis (`POST /api/reanalyze`) on the declumped labels
 *   with two objects painted in (one cut by the image edge, one smaller than the typical diameter): the
 *   declumped objects keep their ids and voxels, the painted ones are removed by `exclude_border_objects` and
 *   `discard_outside_diameter` — the same rules, in CellProfiler's order, as the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { startViewerServer } from '../src/viewer/server/server.js';
import { readTiffPagesReference } from './helpers/fixtures.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'declump-3d');
const IMAGE = join(FIX, 'spheres.ome.tif');
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as { shape: [number, number, number]; components: number; objects: number };
const [Z, Y, X] = expected.shape;
const STEM = 'spheres.ome';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** The run's config: the recommended nuclei settings in µm for 7 µm spheres, the rules on. */
function writeConfig(dir: string, method: 'none' | 'shape'): string {
  const p = join(dir, `${method}.yaml`);
  writeFileSync(
    p,
    `image: ${IMAGE}
results_dir: ${join(dir, method)}
single_channel_config: {channel_index: 0}
model_config:
  segmentation_method: otsu
  declump_method: ${method}
  typical_diameter_um: [10, 18]
  fill_holes: true
  exclude_border_objects: true
  discard_outside_diameter: ${method === 'shape'}
analysis_config: {min_object_voxels: 30}
rois: full
`,
  );
  return p;
}

/** Voxel-wise agreement of two label images up to renumbering: the fraction of labelled voxels whose pair is a majority pair. */
function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const pairs = new Map<number, Map<number, number>>();
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (!a[i] && !b[i]) continue;
    n++;
    let m = pairs.get(a[i]);
    if (!m) pairs.set(a[i], (m = new Map()));
    m.set(b[i], (m.get(b[i]) ?? 0) + 1);
  }
  let agree = 0;
  const used = new Set<number>();
  for (const [la, m] of pairs) {
    if (la === 0) continue;
    const [lb, c] = [...m.entries()].sort((p, q) => q[1] - p[1])[0];
    if (lb !== 0 && !used.has(lb)) {
      used.add(lb);
      agree += c;
    }
  }
  return agree / n;
}

const ids = (d: ArrayLike<number>) => [...new Set(Array.from(d))].filter((v) => v > 0).sort((p, q) => p - q);

/**
 * The labels with two objects painted on planes 6–8 (above min_object_voxels 30): a 6×6 square on the x = 0 edge
 * (id 90, 108 voxels) and a 4×4 one inside (id 91, 48 voxels = 18 µm³, ball-equivalent diameter 3.3 µm < 10).
 */
const PAINTED_PLANES = [6, 7, 8];
function paintTwo(labels: ArrayLike<number>): Uint32Array {
  const out = Uint32Array.from(labels);
  for (const z of PAINTED_PLANES) {
    for (let y = 28; y < 34; y++) for (let x = 0; x < 6; x++) out[(z * Y + y) * X + x] = 90;
    for (let y = 32; y < 36; y++) for (let x = 88; x < 92; x++) out[(z * Y + y) * X + x] = 91;
  }
  return out;
}

test('3D, anisotropic voxels: cellcoloc run with declump_method shape splits touching spheres as scikit-image does; none keeps one object', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-declump3d-'));
  try {
    const ref = await readTiffPagesReference(join(FIX, 'expected_labels.tif'));
    assert.equal(ids(ref.data).length, expected.objects); // 3 spheres, 3 scikit-image watershed basins
    const r = await cli(['run', writeConfig(dir, 'shape'), '-q', '--no-report']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^\\s+1\\s+${expected.objects}$`, 'm'));
    const ours = await readTiffPagesReference(join(dir, 'shape', `${STEM}_single_channel_masks.tif`));
    assert.deepEqual([ours.pages, ours.height, ours.width], [Z, Y, X]);
    assert.equal(ids(ours.data).length, expected.objects);
    // Same objects, voxel for voxel up to the dividing surfaces (our seeds come from the smoothed distance).
    const agree = agreement(ours.data, ref.data);
    assert.ok(agree >= 0.97, `agreement with scikit-image ${agree.toFixed(4)}`);
    const manifest = JSON.parse(readFileSync(join(dir, 'shape', `${STEM}_run_manifest.json`), 'utf8'));
    const declump = JSON.stringify(manifest).match(/"declump":\{[^}]*\}/)?.[0] ?? '';
    assert.match(declump, /"components":1,/);
    assert.match(declump, new RegExp(`"seeds":${expected.objects},`));

    const n = await cli(['run', writeConfig(dir, 'none'), '-q', '--no-report']);
    assert.equal(n.code, 0, n.err);
    const none = await readTiffPagesReference(join(dir, 'none', `${STEM}_single_channel_masks.tif`));
    assert.equal(ids(none.data).length, expected.components); // scikit-image label(): one clump
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reanalyze --masks on declumped 3D labels: ids kept, painted objects removed by the border and diameter rules', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-declump3d-re-'));
  try {
    const cfg = writeConfig(dir, 'shape');
    assert.equal((await cli(['run', cfg, '-q', '--no-report'])).code, 0);
    const masksPath = join(dir, 'shape', `${STEM}_single_channel_masks.tif`);
    const run = await readTiffPagesReference(masksPath);
    const edited = join(dir, 'edited.tif');
    writeFileSync(edited, encodeTiffStack({ data: paintTwo(run.data), shape: [Z, Y, X] }, {}));
    const r = await cli(['reanalyze', cfg, '--masks', edited, '-q']);
    assert.equal(r.code, 0, r.err);
    const after = await readTiffPagesReference(masksPath);
    assert.deepEqual(Array.from(after.data), Array.from(run.data), 'the declumped objects, ids and voxels unchanged; 90 and 91 gone');
    const manifest = JSON.stringify(JSON.parse(readFileSync(join(dir, 'shape', `${STEM}_run_manifest.json`), 'utf8')));
    assert.match(manifest, /"step":"min_object_voxels","nIn":5,"nOut":5,"removedLabels":\[\]/);
    assert.match(manifest, /"step":"exclude_border_objects","nIn":5,"nOut":4,"removedLabels":\[90\]/);
    assert.match(manifest, /"step":"discard_outside_diameter","nIn":4,"nOut":3,"removedLabels":\[91\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Resp {
  status: number;
  body: Buffer;
}
function http(port: number, token: string, method: string, path: string, body?: Uint8Array | string): Promise<Resp> {
  return new Promise((ok, fail) => {
    const headers: Record<string, string> = { 'X-CellColoc-Token': token };
    if (typeof body === 'string') headers['Content-Type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

test('viewer: run with declumping, paint two objects, re-analyse: the same border and diameter rules remove them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-declump3d-view-'));
  const srv = await startViewerServer(writeConfig(dir, 'shape'), { port: 0 });
  try {
    const call = (method: string, path: string, body?: Uint8Array | string) => http(srv.port, srv.token, method, path, body);
    const json = async (path: string) => {
      const r = await call('GET', path);
      assert.equal(r.status, 200, `${path}: ${r.body.toString()}`);
      return JSON.parse(r.body.toString());
    };
    assert.equal((await call('POST', '/api/run', '{}')).status, 202);
    for (let i = 0; i < 1200 && (await json('/api/state')).busy; i++) await new Promise((r) => setTimeout(r, 50));
    const state = await json('/api/state');
    assert.equal(state.error, null);
    const count = async () => {
      const t = await json('/api/table/roi_overview');
      return t.rows[0][t.columns.findIndex((c: { name: string }) => c.name === 'n_objects')];
    };
    assert.equal(await count(), expected.objects);
    const painted = paintTwo(new Uint32Array(Z * Y * X));
    const plane = async (z: number) => new Uint32Array(new Uint8Array((await call('GET', `/api/labels/cell?z=${z}`)).body).slice().buffer);
    const before = await plane(7);
    for (const z of PAINTED_PLANES) {
      const p = await plane(z);
      for (let i = 0; i < p.length; i++) if (painted[z * Y * X + i]) p[i] = painted[z * Y * X + i];
      assert.equal((await call('PUT', `/api/labels/cell?z=${z}`, new Uint8Array(p.buffer))).status, 200);
    }
    assert.equal((await call('POST', '/api/reanalyze', '{}')).status, 200);
    assert.equal(await count(), expected.objects, 'the painted objects are removed again');
    assert.deepEqual(ids(await plane(7)), ids(before));
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
