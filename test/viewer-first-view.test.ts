/**
 * The viewer's first view of a multiscale OME-Zarr image (issue 20.5), without a browser:
 *  - which level a preview of reduction `step` comes from (the coarsest with at most `step` analysed pixels per
 *    level pixel), the extra block-mean reduction, and where the preview lies on the analysed grid — against
 *    hand-computed NGFF arithmetic (index i of a level ↦ i · scale + translation, pixel centres);
 *  - over HTTP, on a store whose levels hold different patterns (helpers/pyramid-fixture.ts): with the analysed
 *    level held back by the test hook, `/api/state` and the previews are answered from the store (the expected
 *    pixels come from the fixture's definition, not from the reader), while every request that needs the analysed
 *    level (full planes, labels, tables, changes) waits and then gets level-0 data;
 *  - a single-level store and a TIFF are served as before: nothing before the session has loaded.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseLevel, extraReduction, levelGeometry, levelPlane, prefetchLevel, previewPlacement, type LevelGeometry } from '../src/viewer/server/pyramid.js';
import { openViewerServer, type EarlyViewerServer } from '../src/viewer/server/server.js';
import { FirstView } from '../src/viewer/server/first-view.js';
import { loadConfigFile } from '../src/config/load-config.js';
import type { NgffImage } from '../src/io/zarr/ngff-metadata.js';
import { http, type TimedResponse } from './helpers/http.js';
import { writeV3Store, writeMultiscaleV3Store } from './helpers/zarr-store.js';
import { writePyramidFixture, cellRect, markerRect, BRIGHT, DARK } from './helpers/pyramid-fixture.js';
import { caseDir } from './helpers/fixtures.js';

const ngff = (levels: { scale: number[]; translation?: number[] }[]): NgffImage => ({
  axes: ['c', 'y', 'x'],
  levels: levels.map((l, i) => ({ path: String(i), scale: l.scale, translation: l.translation ?? [0, 0, 0] })),
  unitUm: [null, 1, 1],
  units: ['', 'micrometer', 'micrometer'],
  channelLabels: [],
  version: '0.5',
});

test('level geometry: factors are scale ratios, offsets the translation difference in analysed pixels', () => {
  // 0.65 µm at level 0; level 1 = 2× with the centring translation 0.325 µm; level 2 = 4× without translation.
  const img = ngff([{ scale: [1, 0.65, 0.65] }, { scale: [1, 1.3, 1.3], translation: [0, 0.325, 0.325] }, { scale: [1, 2.6, 2.6] }]);
  const g1 = levelGeometry(img, 0, 1, [1, 500, 500]);
  assert.ok(Math.abs(g1.factor[1] - 2) < 1e-12 && Math.abs(g1.factor[2] - 2) < 1e-12);
  assert.ok(Math.abs(g1.offset[1] - 0.5) < 1e-12, `offset ${g1.offset[1]}`);
  // Centred 2× level: its pixel 0 covers analysed pixels [0, 2): origin 0.5 + 0.5 − 1 = 0.
  const p1 = previewPlacement(g1, 1);
  assert.ok(Math.abs(p1.originYx[0]) < 1e-12 && Math.abs(p1.pixelYx[1] - 2) < 1e-12);
  // Un-centred 4× level: pixel 0's centre is analysed pixel centre 0, so it spans −1.5 … 2.5 (edges −1.5 … 2.5 + 0.5).
  const g2 = levelGeometry(img, 0, 2, [1, 250, 250]);
  const p2 = previewPlacement(g2, 2);
  assert.ok(Math.abs(p2.originYx[0] - -1.5) < 1e-9 && Math.abs(p2.originYx[1] - -1.5) < 1e-9, JSON.stringify(p2));
  assert.deepEqual(p2.pixelYx.map((v) => Math.round(v * 1e9) / 1e9), [8, 8]);
  // Relative to an analysed level 1: level 2 is 2×, level 0 is finer (not a preview level).
  const r = levelGeometry(img, 1, 2, [1, 250, 250]);
  assert.ok(Math.abs(r.factor[1] - 2) < 1e-12 && Math.abs(r.offset[1] - -0.25) < 1e-12, JSON.stringify(r));
  assert.equal(chooseLevel([levelGeometry(img, 1, 0, [1, 1000, 1000])], 16), null, 'a finer level is never a preview');
});

test('level choice: the coarsest level with at most `step` analysed pixels per level pixel; extra block means for the rest', () => {
  const g = (level: number, f: number, side: number): LevelGeometry => ({ level, shapeZyx: [1, side, side], factor: [1, f, f], offset: [0, 0, 0] });
  const levels = [g(1, 2, 8192), g(2, 4, 4096), g(3, 8, 2048), g(4, 16, 1024)];
  assert.equal(chooseLevel(levels, 1), null, 'no preview at full resolution');
  assert.equal(chooseLevel(levels, 2)?.level, 1);
  assert.equal(chooseLevel(levels, 3)?.level, 1, 'a 4× level would be blurrier than a 3× preview');
  assert.equal(chooseLevel(levels, 8)?.level, 3);
  assert.equal(chooseLevel(levels, 64)?.level, 4);
  assert.equal(extraReduction(levels[3], 64), 4, '16× level, 64× preview: 4×4 block means of it');
  assert.equal(extraReduction(levels[0], 3), 1);
  assert.equal(chooseLevel([g(1, 2, 100), { level: 2, shapeZyx: [1, 50, 25], factor: [1, 4, 8], offset: [0, 0, 0] }], 4)?.level, 1, 'x factor 8 > step 4');
  // Read ahead: the coarsest level still ≥ 2048 px on its larger side.
  assert.equal(prefetchLevel(levels)?.level, 3);
  assert.equal(prefetchLevel([g(1, 2, 1000)]), null, 'a small image: nothing read ahead');
  // z: the level plane nearest to the analysed plane.
  const gz: LevelGeometry = { level: 1, shapeZyx: [5, 10, 10], factor: [2, 2, 2], offset: [0.5, 0, 0] };
  assert.deepEqual([0, 1, 2, 3, 9, 30].map((z) => levelPlane(gz, z)), [0, 0, 1, 1, 4, 4]);
});

const N = 256;
let dir = '';
let pyramidCfg = '';
let flatCfg = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cellcoloc-first-view-'));
  await writePyramidFixture(join(dir, 'pyramid.ome.zarr'), N);
  const yaml = (image: string, results: string) =>
    `image: ${image}\nresults_dir: ${join(dir, results)}\nchannel_config: {cell_channel: 0, marker_channel: 1}\n` +
    'cell_model_config: {segmentation_method: otsu}\nmarker_model_config: {segmentation_method: otsu}\nrois: full\n';
  pyramidCfg = join(dir, 'pyramid.yaml');
  writeFileSync(pyramidCfg, yaml(join(dir, 'pyramid.ome.zarr'), 'res'));
  // The same level-0 content in a single-level store.
  const l0 = [new Uint16Array(N * N), new Uint16Array(N * N)];
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
    l0[0][y * N + x] = x >= N / 2 ? BRIGHT : DARK;
    l0[1][y * N + x] = y >= N / 2 ? BRIGHT : DARK;
  }
  await writeV3Store(join(dir, 'flat.ome.zarr'), l0, [2, N, N], [1, 128, 128]);
  flatCfg = join(dir, 'flat.yaml');
  writeFileSync(flatCfg, yaml(join(dir, 'flat.ome.zarr'), 'res_flat'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** A server whose session waits for `release()` before it reads the analysed level. */
async function gatedServer(cfg: string): Promise<{ srv: EarlyViewerServer; release: () => void; get: (p: string, method?: string) => Promise<TimedResponse> }> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const srv = await openViewerServer(cfg, { token: 't', beforeImageLoad: () => gate });
  const get = (p: string, method = 'GET') => http(srv.port, method, p, { 'X-CellColoc-Token': 't', Host: `127.0.0.1:${srv.port}` });
  return { srv, release, get };
}

/** Whether `p` is still pending after `ms`. */
async function pending(p: Promise<unknown>, ms = 300): Promise<boolean> {
  const late = Symbol('late');
  return (await Promise.race([p, new Promise((r) => setTimeout(() => r(late), ms))])) === late;
}

test('multiscale store: state and previews before the analysed level is read; full-data requests wait for it', async () => {
  const { srv, release, get } = await gatedServer(pyramidCfg);
  try {
    const st = JSON.parse((await get('/api/state')).body);
    assert.equal(st.loading, true);
    assert.equal(st.busy, true);
    assert.deepEqual(st.image.shapeZyx, [1, N, N], 'the analysed level\'s shape');
    assert.deepEqual(st.image.voxelSizeUm, [1, 0.5, 0.5]);
    assert.deepEqual(st.image.channels.map((c: { role: string }) => c.role), ['cell', 'marker']);
    assert.equal(st.tables.length, 0);

    // Requests that need the analysed level go out now and must not be answered while it is held back.
    const waiting = {
      full: get('/api/channel/cell?z=0'),
      rois: get('/api/labels/rois?z=0'),
      table: get('/api/table/roi_coloc_overview'),
      run: get('/api/run', 'POST'),
    };

    // step 4 → level 2 (4×), no further reduction: the cell rectangle of the fixture, bright (255) inside.
    const p4 = await previewOf(srv.port, '/api/channel/cell?z=0&step=4&scaled=1');
    assert.equal(p4.level, '2');
    assert.deepEqual(p4.shape, [N / 4, N / 4]);
    assert.deepEqual(p4.pixel, [4, 4]);
    assert.deepEqual(p4.origin, [0, 0], 'the centring translation puts level-2 pixel 0 over analysed pixels [0, 4)');
    const rect = cellRect(N);
    assert.deepEqual(p4.data, expectedPreview(N / 4, 4, (y, x) => y >= rect[0][0] && y < rect[0][1] && x >= rect[1][0] && x < rect[1][1]));
    const m4 = await previewOf(srv.port, '/api/channel/marker?z=0&step=4&scaled=1');
    const mr = markerRect(N);
    assert.deepEqual(m4.data, expectedPreview(N / 4, 4, (y, x) => y >= mr[0][0] && y < mr[0][1] && x >= mr[1][0] && x < mr[1][1]));
    // step 2 → level 1 (its own pattern: the top half bright).
    const p2 = await previewOf(srv.port, '/api/channel/cell?z=0&step=2&scaled=1');
    assert.equal(p2.level, '1');
    assert.deepEqual(p2.data, expectedPreview(N / 2, 2, (y) => y < N / 2));
    // step 8 → level 2 with 2×2 block means: 8 analysed pixels per preview pixel.
    const p8 = await previewOf(srv.port, '/api/channel/cell?z=0&step=8&scaled=1');
    assert.equal(p8.level, '2');
    assert.deepEqual(p8.shape, [N / 8, N / 8]);
    assert.deepEqual(p8.pixel, [8, 8]);

    for (const [name, p] of Object.entries(waiting)) assert.ok(await pending(p, name === 'full' ? 300 : 50), `${name} was answered before the analysed level was read`);
    release();
    const full = await waiting.full;
    assert.equal(full.status, 200, full.body);
    const plane = new Uint16Array(full.raw.buffer, full.raw.byteOffset, full.raw.byteLength / 2);
    assert.equal(plane.length, N * N);
    assert.ok(plane.every((v, i) => v === (i % N >= N / 2 ? BRIGHT : DARK)), 'the full plane is level 0 (the right half bright)');
    assert.equal((await waiting.rois).status, 200);
    const table = await waiting.table;
    assert.ok(table.status === 404 && /run the analysis first/.test(table.body), table.body);
    assert.equal((await waiting.run).status, 202);
    await (await srv.ready).waitForRun();
    const after = JSON.parse((await get('/api/state')).body);
    assert.equal(after.loading, undefined, 'the session\'s own state once loaded');
    for (const k of ['configPath', 'stem', 'workflow', 'image', 'methods', 'shapes'] as const) assert.deepEqual(st[k], after[k], `early state's ${k} = the session's`);
  } finally {
    release();
    await srv.close();
  }
});

test('single-level store: nothing is answered before the session has loaded (as for a TIFF)', async () => {
  const { srv, release, get } = await gatedServer(flatCfg);
  try {
    const fv = srv.early.firstView;
    assert.ok(fv && !fv.hasLevels, 'no coarser level to paint from');
    const state = get('/api/state');
    const prev = get('/api/channel/cell?z=0&step=2&scaled=1');
    assert.ok(await pending(state), 'the state was answered before the session loaded');
    assert.ok(await pending(prev, 50));
    release();
    assert.equal(JSON.parse((await state).body).loading, undefined);
    const p = await previewOf(srv.port, '/api/channel/cell?z=0&step=2&scaled=1');
    assert.equal(p.level, null, 'block means of the analysed level');
    assert.deepEqual(p.pixel, [2, 2]);
  } finally {
    release();
    await srv.close();
  }
});

test('3D multiscale store: the first view is the max projection of the coarse level; a plane maps to its nearest level plane', async () => {
  // Level 0: 4 × 64² (contents irrelevant here); level 1: 4 × 32², 2× in y/x only, plane z bright in columns [4z, 4z + 4).
  const Z = 4;
  const l0 = [new Uint16Array(Z * 64 * 64).fill(DARK), new Uint16Array(Z * 64 * 64).fill(DARK)];
  const l1 = [new Uint16Array(Z * 32 * 32).fill(DARK), new Uint16Array(Z * 32 * 32).fill(DARK)];
  for (let z = 0; z < Z; z++) for (let y = 0; y < 32; y++) for (let x = 4 * z; x < 4 * z + 4; x++) l1[0][(z * 32 + y) * 32 + x] = BRIGHT;
  const store = join(dir, 'stack.ome.zarr');
  await writeMultiscaleV3Store(store, [
    { channels: l0, shape: [2, Z, 64, 64], chunkShape: [1, 1, 32, 32], scale: [1, 2, 0.5, 0.5] },
    { channels: l1, shape: [2, Z, 32, 32], chunkShape: [1, 1, 32, 32], scale: [1, 2, 1, 1], translation: [0, 0, 0.25, 0.25] },
  ]);
  const cfg = join(dir, 'stack.yaml');
  writeFileSync(cfg, `image: ${store}\nresults_dir: ${join(dir, 'res_stack')}\nchannel_config: {cell_channel: 0, marker_channel: 1}\n`);
  const { srv, release, get } = await gatedServer(cfg);
  try {
    assert.deepEqual(JSON.parse((await get('/api/state')).body).image.shapeZyx, [Z, 64, 64]);
    const max = await previewOf(srv.port, '/api/channel/cell?z=max&step=2&scaled=1');
    assert.equal(max.level, '1');
    assert.deepEqual(max.data, expectedPreview(32, 2, (_y, x) => x < 2 * 4 * Z));
    const z2 = await previewOf(srv.port, '/api/channel/cell?z=2&step=2&scaled=1');
    assert.deepEqual(z2.data, expectedPreview(32, 2, (_y, x) => x >= 16 && x < 24), 'analysed plane 2 = level plane 2 (z not downsampled)');
  } finally {
    release();
    await srv.close();
  }
});

test('resolution_level 1: the analysed level is level 1, level 2 is its 2× preview, placed on level-1 pixels', async () => {
  const cfg = join(dir, 'level1.yaml');
  writeFileSync(
    cfg,
    `image: ${join(dir, 'pyramid.ome.zarr')}\nresolution_level: 1\nresults_dir: ${join(dir, 'res_l1')}\nchannel_config: {cell_channel: 0, marker_channel: 1}\n`,
  );
  const { srv, release, get } = await gatedServer(cfg);
  try {
    const st = JSON.parse((await get('/api/state')).body);
    assert.deepEqual(st.image.shapeZyx, [1, N / 2, N / 2]);
    assert.deepEqual(st.image.voxelSizeUm, [1, 1, 1]);
    const p = await previewOf(srv.port, '/api/channel/cell?z=0&step=2&scaled=1');
    assert.equal(p.level, '2');
    assert.deepEqual(p.pixel, [2, 2]);
    assert.deepEqual(p.origin, [0, 0], 'both levels centred: level-2 pixel 0 covers level-1 pixels [0, 2)');
    const r = cellRect(N).map(([a, b]) => [a / 2, b / 2]);
    assert.deepEqual(p.data, expectedPreview(N / 4, 2, (y, x) => y >= r[0][0] && y < r[0][1] && x >= r[1][0] && x < r[1][1]));
    release();
    const full = await previewOf(srv.port, '/api/channel/cell?z=0');
    assert.equal(full.level, null);
    assert.deepEqual(full.shape, [N / 2, N / 2], 'the full plane is level 1');
  } finally {
    release();
    await srv.close();
  }
});

test('single-channel config: the early state is the session\'s (one channel, the single-channel workflow)', async () => {
  const cfg = join(dir, 'single.yaml');
  writeFileSync(cfg, `image: ${join(dir, 'pyramid.ome.zarr')}\nresults_dir: ${join(dir, 'res_single')}\nsingle_channel_config: {channel_index: 1}\nmodel_config: {segmentation_method: otsu}\n`);
  const { srv, release, get } = await gatedServer(cfg);
  try {
    const early = JSON.parse((await get('/api/state')).body);
    assert.equal(early.loading, true);
    const p = await previewOf(srv.port, '/api/channel/cell?z=0&step=4&scaled=1');
    const mr = markerRect(N);
    assert.deepEqual(p.data, expectedPreview(N / 4, 4, (y, x) => y >= mr[0][0] && y < mr[0][1] && x >= mr[1][0] && x < mr[1][1]), 'channel 1 of level 2');
    release();
    await srv.ready;
    const st = JSON.parse((await get('/api/state')).body);
    for (const k of ['configPath', 'stem', 'workflow', 'image', 'methods', 'shapes'] as const) assert.deepEqual(early[k], st[k], k);
  } finally {
    release();
    await srv.close();
  }
});

test('a corrupt coarse level: the preview falls back to block means of the analysed level, and the failure is kept', async () => {
  const store = join(dir, 'corrupt.ome.zarr');
  cpSync(join(dir, 'pyramid.ome.zarr'), store, { recursive: true });
  writeFileSync(join(store, '2', 'c', '0', '0', '0'), Buffer.from('not a zstd frame'));
  const cfg = join(dir, 'corrupt.yaml');
  writeFileSync(cfg, `image: ${store}\nresults_dir: ${join(dir, 'res_corrupt')}\nchannel_config: {cell_channel: 0, marker_channel: 1}\n`);
  const { srv, release } = await gatedServer(cfg);
  try {
    release();
    const p = await previewOf(srv.port, '/api/channel/cell?z=0&step=4&scaled=1');
    assert.equal(p.level, null, 'block means of level 0');
    assert.deepEqual(p.data, expectedPreview(N / 4, 4, (_y, x) => x >= N / 2), 'level 0\'s right half');
    assert.match(srv.early.firstView?.failure ?? '', /could not use level 2 of .*corrupt\.ome\.zarr/);
  } finally {
    await srv.close();
  }
});

test('a corrupt analysed level after the first paint: every request that needs it gets the reader\'s one-line error', async () => {
  const store = join(dir, 'corrupt0.ome.zarr');
  cpSync(join(dir, 'pyramid.ome.zarr'), store, { recursive: true });
  writeFileSync(join(store, '0', 'c', '0', '0', '0'), Buffer.from('not a zstd frame'));
  const cfg = join(dir, 'corrupt0.yaml');
  writeFileSync(cfg, `image: ${store}\nresults_dir: ${join(dir, 'res_corrupt0')}\nchannel_config: {cell_channel: 0, marker_channel: 1}\n`);
  const { srv, release, get } = await gatedServer(cfg);
  try {
    assert.equal(JSON.parse((await get('/api/state')).body).loading, true);
    assert.equal((await previewOf(srv.port, '/api/channel/cell?z=0&step=4&scaled=1')).level, '2', 'the first paint still comes');
    const full = get('/api/channel/cell?z=0');
    release();
    await assert.rejects(srv.ready);
    for (const r of [await full, await get('/api/state'), await get('/api/labels/rois?z=0')]) {
      assert.equal(r.status, 400, r.body);
      assert.match(JSON.parse(r.body).error, /corrupt0\.ome\.zarr: 0: cannot decode a chunk/);
    }
  } finally {
    release();
    await srv.close();
  }
});

test('first view: none for a TIFF; no levels with crop_for_testing or a z setting (the session\'s view differs)', async () => {
  const tiff = join(dir, 'tiff.yaml');
  writeFileSync(tiff, `image: ${join(caseDir('2d_two_channel_otsu_fullroi'), 'input.ome.tif')}\nchannel_config: {cell_channel: 0, marker_channel: 1}\n`);
  assert.equal(await FirstView.open(await loadConfigFile(tiff)), null);
  const crop = join(dir, 'crop.yaml');
  writeFileSync(crop, `image: ${join(dir, 'pyramid.ome.zarr')}\nchannel_config: {cell_channel: 0, marker_channel: 1}\nruntime_config: {crop_for_testing: [[0, 1], [0, 64], [0, 64]]}\n`);
  assert.equal((await FirstView.open(await loadConfigFile(crop)))?.hasLevels, false);
  const zp = join(dir, 'zp.yaml');
  writeFileSync(
    zp,
    `image: ${join(dir, 'pyramid.ome.zarr')}\nchannel_config: {cell_channel: 0, marker_channel: 1}\n` +
      'cell_model_config: {segmentation_method: otsu, z_projection: max}\nmarker_model_config: {segmentation_method: otsu, z_projection: max}\n',
  );
  assert.equal((await FirstView.open(await loadConfigFile(zp)))?.hasLevels, false);
  const plain = await FirstView.open(await loadConfigFile(pyramidCfg));
  assert.deepEqual(plain?.levels.map((g) => g.level), [1, 2]);
});

/** The scaled preview the fixture implies: 255 where `bright(y, x)` at the centre of each preview pixel, else 0. */
function expectedPreview(side: number, f: number, bright: (y: number, x: number) => boolean): number[] {
  const out: number[] = [];
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) out.push(bright(y * f + f / 2, x * f + f / 2) ? 255 : 0);
  return out;
}

async function previewOf(port: number, path: string): Promise<{ level: string | null; shape: number[]; pixel: number[]; origin: number[]; data: number[] }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'X-CellColoc-Token': 't' } });
  assert.equal(res.status, 200, await res.clone().text());
  const nums = (name: string) => (res.headers.get(name) ?? '').split(',').map(Number);
  return {
    level: res.headers.get('X-Level'),
    shape: nums('X-Shape'),
    pixel: nums('X-Pixel'),
    origin: nums('X-Origin'),
    data: Array.from(new Uint8Array(await res.arrayBuffer())),
  };
}
