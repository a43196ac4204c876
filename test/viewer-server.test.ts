/**
 * The viewer server (issue 8): token and Host checks, no path traversal, and the HTTP API end to end on the
 * 2d_two_channel_otsu_fullroi fixture (run → tables equal the original's; erase one cell by hand → re-analyse →
 * counts drop by exactly that cell; export; a new session reads the exported state; ROI save writes the TIFF,
 * the shapes and the config's `rois`, keeping the YAML comments).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { caseDir, csvColumn, readCsv, readTiffPagesReference } from './helpers/fixtures.js';
import { fixtureConfigObject } from './helpers/fixture-config.js';
import { hostAllowed, newSessionToken, parsePlane, presentedToken, tokenMatches, oneOf, LABEL_LAYERS } from '../src/viewer/server/security.js';
import { startViewerServer, type ViewerServer } from '../src/viewer/server/server.js';
import { decodeRuns, encodeRuns } from '../src/viewer/render/label-runs.js';
import { main } from '../src/cli/main.js';
import { crc32, encodePngRgba } from '../src/render/png.js';
import { inflateSync } from 'node:zlib';

const CASE = caseDir('2d_two_channel_otsu_fullroi');
const EXP = join(CASE, 'expected');

interface Resp {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Raw HTTP request (no URL normalisation by the client, so traversal attempts reach the server as written). */
function http(port: number, method: string, path: string, opts: { headers?: Record<string, string>; body?: Uint8Array | string } = {}): Promise<Resp> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function api(srv: ViewerServer) {
  const h = { 'X-CellColoc-Token': srv.token };
  return {
    get: (p: string) => http(srv.port, 'GET', p, { headers: h }),
    json: async (p: string) => {
      const r = await http(srv.port, 'GET', p, { headers: h });
      assert.equal(r.status, 200, `${p}: ${r.body.toString()}`);
      return JSON.parse(r.body.toString()) as any;
    },
    post: (p: string, body?: unknown) =>
      http(srv.port, 'POST', p, { headers: { ...h, 'Content-Type': 'application/json' }, body: body === undefined ? '' : JSON.stringify(body) }),
    put: (p: string, body: Uint8Array) => http(srv.port, 'PUT', p, { headers: h, body }),
  };
}

async function waitIdle(a: ReturnType<typeof api>): Promise<any> {
  for (let i = 0; i < 600; i++) {
    const s = await a.json('/api/state');
    if (!s.busy) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('run did not finish');
}

function column(t: { columns: { name: string }[]; rows: unknown[][] }, name: string): unknown[] {
  const i = t.columns.findIndex((c) => c.name === name);
  assert.ok(i >= 0, `column ${name}`);
  return t.rows.map((r) => r[i]);
}

test('label runs: encodeRuns → decodeRuns round-trips planes with runs of every length, and rejects bad run lists', () => {
  const n = 5000;
  const plane = new Uint32Array(n);
  let s = 7;
  for (let i = 0; i < n; ) {
    s = (s * 1103515245 + 12345) >>> 0;
    const len = 1 + (s % 40);
    plane.fill(s % 3 === 0 ? 0 : (s >>> 8) % 500, i, Math.min(n, i + len));
    i += len;
  }
  const bytes = encodeRuns(plane);
  const runs = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  assert.deepEqual(decodeRuns(runs, n), plane);
  assert.deepEqual(Array.from(new Uint32Array(encodeRuns(new Uint32Array([4, 4, 0, 9])).buffer)), [4, 2, 0, 1, 9, 1]);
  assert.throws(() => decodeRuns(new Uint32Array([1, 3]), 4), /runs cover 3 of 4 pixels/);
  assert.throws(() => decodeRuns(new Uint32Array([1, 5]), 4), /runs exceed 4 pixels/);
});

test('security: tokens are 128-bit hex and distinct; token from query, header or cookie; Host must be loopback', () => {
  const a = newSessionToken();
  const b = newSessionToken();
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(a, b);
  const u = (q: string) => new URL(`/api/state${q}`, 'http://127.0.0.1');
  assert.equal(tokenMatches({ headers: {} }, u(`?token=${a}`), a), true);
  assert.equal(tokenMatches({ headers: {} }, u(`?token=${b}`), a), false);
  assert.equal(tokenMatches({ headers: {} }, u(''), a), false);
  assert.equal(tokenMatches({ headers: {} }, u(`?token=${a.slice(0, 31)}`), a), false);
  assert.equal(tokenMatches({ headers: { 'x-cellcoloc-token': a } }, u(''), a), true);
  assert.equal(tokenMatches({ headers: { cookie: `x=1; cellcoloc_token=${a}` } }, u(''), a), true);
  assert.equal(presentedToken({ headers: {} }, u('')), null);
  assert.equal(hostAllowed('127.0.0.1:8080'), true);
  assert.equal(hostAllowed('localhost:1'), true);
  assert.equal(hostAllowed('[::1]:9'), true);
  assert.equal(hostAllowed('evil.example:8080'), false);
  assert.equal(hostAllowed('127.0.0.1.evil.example'), false);
  assert.equal(hostAllowed(undefined), false);
  assert.equal(parsePlane(null, 5), 0);
  assert.equal(parsePlane('max', 5), 'max');
  assert.equal(parsePlane('4', 5), 4);
  assert.equal(parsePlane('5', 5), null);
  assert.equal(parsePlane('-1', 5), null);
  assert.equal(parsePlane('1e3', 5), null);
  assert.equal(oneOf('cell', LABEL_LAYERS), 'cell');
  assert.equal(oneOf('../cell', LABEL_LAYERS), null);
});

test('viewer API on 2d_two_channel_otsu_fullroi: auth, traversal, planes, run, edit + re-analyse, export, reload', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-'));
  const results = join(dir, 'results');
  const cfgPath = join(dir, 'config.json');
  writeFileSync(cfgPath, JSON.stringify(fixtureConfigObject(CASE, { resultsDir: results }), null, 2));
  let srv: ViewerServer | null = await startViewerServer(cfgPath, { port: 0 });
  try {
    const a = api(srv);
    // --- refused requests
    assert.equal((await http(srv.port, 'GET', '/api/state')).status, 403);
    assert.equal((await http(srv.port, 'GET', `/api/state?token=${'0'.repeat(32)}`)).status, 403);
    assert.equal((await http(srv.port, 'GET', '/', { headers: {} })).status, 403);
    assert.equal((await http(srv.port, 'GET', `/api/state?token=${srv.token}`, { headers: { Host: 'evil.example' } })).status, 403);
    for (const p of [
      '/../package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/api/table/..%2F..%2Fpackage.json',
      '/api/table/../../../../etc/passwd',
      '/api/channel/..%2Fcell',
      '/api/labels/%2Fetc%2Fpasswd',
      '/app.js/../../package.json',
      '/src/viewer/server/server.ts',
      '/dist/cli/cellcoloc.bundle.mjs',
      '/api/table/%E0%A4%A',
    ]) {
      const r = await a.get(p);
      assert.ok(r.status === 404 || r.status === 400, `${p}: status ${r.status}`);
      assert.ok(!r.body.toString().includes('"name": "cellcoloc"'), `${p} leaked a file`);
    }
    assert.equal((await a.get('/api/channel/cell?z=1')).status, 400); // 2D: only plane 0
    assert.equal((await a.get('/api/channel/cell?z=abc')).status, 400);

    // --- state before any run: image from the OME metadata (README: ZYX (1, 256, 256), 0.5 µm pixels), no result layers
    let s = await a.json('/api/state');
    assert.equal(s.workflow, 'two_channel');
    assert.deepEqual(s.image.shapeZyx, [1, 256, 256]);
    assert.deepEqual(s.image.voxelSizeUm, [1, 0.5, 0.5]);
    assert.equal(s.image.dtype, 'uint16');
    assert.deepEqual(s.image.channels.map((c: any) => [c.role, c.index]), [['cell', 0], ['marker', 1]]);
    assert.deepEqual(s.layers, { rois: true, cell: false, marker: false, positive: false, optional_region: false });
    assert.deepEqual(s.tables, []);
    assert.deepEqual(s.cellpose, { cell: false, marker: false, optional_region: false });
    assert.equal((await a.get('/api/labels/cell')).status, 404);

    // --- raw channel planes equal the input pages (read with geotiff, independent of our reader)
    const input = await readTiffPagesReference(join(CASE, 'input.ome.tif'));
    const n = 256 * 256;
    for (const [role, page] of [['cell', 0], ['marker', 1]] as const) {
      const r = await a.get(`/api/channel/${role}?z=0`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-dtype'], 'uint16');
      assert.equal(r.headers['x-shape'], '256,256');
      const got = new Uint16Array(r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.byteLength));
      assert.deepEqual(got, (input.data as Uint16Array).subarray(page * n, (page + 1) * n));
      const m = await a.get(`/api/channel/${role}?z=max`);
      assert.ok(m.body.equals(r.body), 'max projection of one plane = the plane');
      // --- progressive first paint: block-mean previews (step 3: 86×86 blocks, the last ones 1 px wide/high)
      const plane = (input.data as Uint16Array).subarray(page * n, (page + 1) * n);
      const means: number[] = [];
      for (let by = 0; by < 256; by += 3)
        for (let bx = 0; bx < 256; bx += 3) {
          let sum = 0;
          let cnt = 0;
          for (let y = by; y < Math.min(256, by + 3); y++) for (let x = bx; x < Math.min(256, bx + 3); x++) (sum += plane[y * 256 + x]), cnt++;
          means.push(sum / cnt);
        }
      const pv = await a.get(`/api/channel/${role}?z=0&step=3`);
      assert.equal(pv.status, 200);
      assert.equal(pv.headers['x-shape'], '86,86');
      assert.equal(pv.headers['x-step'], '3');
      const pvData = new Uint16Array(pv.body.buffer.slice(pv.body.byteOffset, pv.body.byteOffset + pv.body.byteLength));
      assert.deepEqual(Array.from(pvData), means.map((v) => Math.round(v)));
      // contrast limits of the full plane (0.5 / 99.5 percentiles) on every channel response
      const [lo, hi] = String(r.headers['x-contrast']).split(',').map(Number);
      assert.ok(lo < hi && lo >= Math.min(...plane) && hi <= Math.max(...plane), `X-Contrast ${r.headers['x-contrast']}`);
      assert.equal(pv.headers['x-contrast'], r.headers['x-contrast']);
      // scaled=1: uint8 display levels of those limits, round(255 · (mean − lo) / (hi − lo)) clamped
      const sc = await a.get(`/api/channel/${role}?z=0&step=3&scaled=1`);
      assert.equal(sc.headers['x-dtype'], 'uint8');
      assert.equal(sc.body.length, 86 * 86);
      assert.deepEqual(Array.from(sc.body), means.map((v) => Math.min(255, Math.max(0, Math.round((255 * (v - lo)) / (hi - lo))))));
      for (const bad of ['0', '65', '2.5', 'x']) assert.equal((await a.get(`/api/channel/${role}?z=0&step=${bad}`)).status, 400, `step=${bad}`);
    }
    const rois = await a.get('/api/labels/rois');
    const roiPlane = new Uint32Array(rois.body.buffer.slice(rois.body.byteOffset, rois.body.byteOffset + rois.body.byteLength));
    assert.equal(roiPlane.length, n);
    assert.ok(roiPlane.every((v) => v === 1), 'rois: full image = ROI 1');
    // ?enc=rle (the app): (id, length) runs that the app's decoder expands to the same plane
    const rle = await a.get('/api/labels/rois?z=0&enc=rle');
    assert.equal(rle.headers['x-encoding'], 'rle');
    const runs = new Uint32Array(rle.body.buffer.slice(rle.body.byteOffset, rle.body.byteOffset + rle.body.byteLength));
    assert.deepEqual(Array.from(runs), [1, n], 'one run: the whole image is ROI 1');
    assert.deepEqual(decodeRuns(runs, n), roiPlane);

    // --- refine is refused for threshold channels (400, with the reason)
    const rf = await a.post('/api/refine', { cell: { cellprobThreshold: 0, flowThreshold: 0.4 } });
    assert.equal(rf.status, 400);
    assert.match(rf.body.toString(), /not cellpose/);

    // --- run in the background; a second start while busy is refused
    const r1 = await a.post('/api/run');
    assert.equal(r1.status, 202);
    assert.equal((await a.post('/api/run')).status, 409);
    s = await waitIdle(a);
    assert.equal(s.error, null);
    assert.deepEqual(s.layers, { rois: true, cell: true, marker: true, positive: true, optional_region: false });
    assert.ok(s.tables.includes('roi_coloc_overview') && s.tables.includes('cell_summary'), s.tables.join());

    // tables equal the original's (expected/roi_coloc_overview.csv: 15 cells, 8 positive, 17 marker objects, 9100 px)
    let ov = await a.json('/api/table/roi_coloc_overview');
    assert.deepEqual(column(ov, 'n_cells'), [15]);
    assert.deepEqual(column(ov, 'n_marker_positive_cells'), [8]);
    assert.deepEqual(column(ov, 'n_marker_objects'), [17]);
    assert.deepEqual(column(ov, 'cell_occupancy_area_px_2d_projection'), [9100]);
    let cs = await a.json('/api/table/cell_summary');
    const expCs = readCsv(join(EXP, 'cell_summary.csv'));
    assert.deepEqual(column(cs, 'cell_label'), csvColumn(expCs, 'cell_label'));
    assert.deepEqual(column(cs, 'cell_voxels'), csvColumn(expCs, 'cell_voxels'));
    assert.deepEqual(column(cs, 'marker_positive'), csvColumn(expCs, 'marker_positive').map((v) => v === 1));
    assert.equal(cs.columns.find((c: any) => c.name === 'marker_positive').kind, 'bool');
    assert.equal((await a.get('/api/table/not_a_sheet')).status, 404);

    // label planes equal the original's masks
    const getLabels = async (layer: string) => {
      const r = await a.get(`/api/labels/${layer}?z=0`);
      assert.equal(r.status, 200, layer);
      assert.equal(r.headers['x-dtype'], 'uint32');
      return new Uint32Array(r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.byteLength));
    };
    const expCell = (await readTiffPagesReference(join(EXP, 'cell_masks.tif'))).data;
    const cell = await getLabels('cell');
    assert.deepEqual([...cell], [...expCell]);
    const expPos = (await readTiffPagesReference(join(EXP, 'positive_cell_masks.tif'))).data;
    assert.deepEqual([...(await getLabels('positive'))], [...expPos]);

    // --- hand edit: erase cell 16 (1380 px, marker-positive in expected/cell_summary.csv), then re-analyse
    let erased = 0;
    for (let i = 0; i < n; i++) {
      if (cell[i] === 16) {
        cell[i] = 0;
        erased++;
      }
    }
    assert.equal(erased, 1380);
    assert.equal((await a.put('/api/labels/cell?z=0', new Uint8Array(8))).status, 400); // wrong size
    assert.equal((await a.put('/api/labels/positive?z=0', new Uint8Array(cell.buffer))).status, 400); // not editable
    const put = await a.put('/api/labels/cell?z=0', new Uint8Array(cell.buffer));
    assert.equal(put.status, 200, put.body.toString());
    s = await a.json('/api/state');
    assert.deepEqual(s.edited, { cell: true, marker: false });
    // the table still shows the accepted state until re-analysis
    assert.deepEqual(column(await a.json('/api/table/roi_coloc_overview'), 'n_cells'), [15]);
    const re = await a.post('/api/reanalyze');
    assert.equal(re.status, 200, re.body.toString());
    assert.ok(JSON.parse(re.body.toString()).ms >= 0);
    ov = await a.json('/api/table/roi_coloc_overview');
    assert.deepEqual(column(ov, 'n_cells'), [14]);
    assert.deepEqual(column(ov, 'n_marker_positive_cells'), [7]);
    assert.deepEqual(column(ov, 'n_marker_objects'), [17]);
    assert.deepEqual(column(ov, 'cell_occupancy_area_px_2d_projection'), [9100 - 1380]);
    cs = await a.json('/api/table/cell_summary');
    assert.deepEqual(column(cs, 'cell_label'), csvColumn(expCs, 'cell_label').filter((l) => l !== 16));
    assert.ok(!(await getLabels('positive')).includes(16));

    // --- export writes the accepted state
    const ex = await a.post('/api/export');
    assert.equal(ex.status, 200, ex.body.toString());
    const files: string[] = JSON.parse(ex.body.toString()).files;
    const csvPath = join(results, 'input.ome_cell_summary.csv');
    assert.ok(files.includes(csvPath), files.join());
    assert.deepEqual(csvColumn(readCsv(csvPath), 'cell_label'), csvColumn(expCs, 'cell_label').filter((l) => l !== 16));
    const writtenMask = (await readTiffPagesReference(join(results, 'input.ome_cell_masks.tif'))).data;
    assert.equal([...writtenMask].filter((v) => v === 16).length, 0);
    assert.equal([...writtenMask].filter((v) => v === 3).length, 539);
    const manifest = JSON.parse(readFileSync(join(results, 'input.ome_run_manifest.json'), 'utf8'));
    assert.equal(manifest.command, 'view');

    // --- a new session shows the exported result
    await srv.close();
    srv = await startViewerServer(cfgPath, { port: 0 });
    const b = api(srv);
    // the last results are read after the first image (or 1.5 s): busy until then
    s = await b.json('/api/state');
    assert.equal(s.busy, true);
    assert.equal(s.progress.stage, 'loading the last results');
    for (const role of ['cell', 'marker']) assert.equal((await b.get(`/api/channel/${role}?z=max`)).status, 200);
    s = await waitIdle(b);
    assert.equal(s.layers.cell, true);
    assert.deepEqual(column(await b.json('/api/table/roi_coloc_overview'), 'n_cells'), [14]);
  } finally {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('viewer API: Save ROIs writes the label TIFF and shapes beside the config, proposes the config edit, applies it only on confirmation (comments kept); a run then uses them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-rois-'));
  const results = join(dir, 'results');
  const cfgPath = join(dir, 'config.yaml');
  const obj = fixtureConfigObject(CASE, { resultsDir: results });
  writeFileSync(cfgPath, `# my analysis — keep this comment\n${stringify(obj)}`);
  const srv = await startViewerServer(cfgPath, { port: 0 });
  try {
    const a = api(srv);
    assert.equal((await a.post('/api/rois', { shapes: [{ type: 'hexagon', data: [] }] })).status, 400);
    assert.equal((await a.post('/api/rois', { shapes: 'x' })).status, 400);
    // rectangle y 10..40, x 20..60 and a triangle; napari layout, [y, x] pixels
    const shapes = [
      { type: 'rectangle', data: [[10, 20], [10, 60], [40, 60], [40, 20]] },
      { type: 'polygon', data: [[100, 100], [100, 200], [200, 100]] },
    ];
    const cfgBefore = readFileSync(cfgPath, 'utf8');
    assert.equal((await a.post('/api/rois-config', {})).status, 409); // nothing proposed yet
    const r = await a.post('/api/rois', { shapes });
    assert.equal(r.status, 200, r.body.toString());
    const saved = JSON.parse(r.body.toString());
    assert.deepEqual(saved.roiIds, [1, 2]);
    // Beside the config (issue 16.7), the config itself untouched until confirmed.
    const tifPath = join(dir, 'config_rois.tif');
    assert.equal(saved.maskPath, tifPath);
    assert.equal(readFileSync(cfgPath, 'utf8'), cfgBefore);
    assert.equal(saved.config.upToDate, false);
    assert.equal(saved.config.line, 'rois: {label_image: config_rois.tif}');
    assert.match(saved.config.diff, /\n\+ rois: \{label_image: config_rois\.tif\}$/);
    const applied = await a.post('/api/rois-config', {});
    assert.equal(applied.status, 200, applied.body.toString());
    const tif = await readTiffPagesReference(tifPath);
    assert.equal(tif.pages, 1);
    assert.equal(tif.width, 256);
    const at = (y: number, x: number) => tif.data[y * 256 + x];
    // strictly inside → its id; outside the closed outline → 0 (boundary pixels depend on the centre rule)
    for (let y = 11; y < 40; y++) for (let x = 21; x < 60; x++) assert.equal(at(y, x), 1, `(${y}, ${x})`);
    assert.equal(at(120, 120), 2);
    assert.equal(at(190, 190), 0); // beyond the hypotenuse x + y = 300
    for (let i = 0; i < tif.data.length; i++) {
      const y = Math.floor(i / 256);
      const x = i % 256;
      const inRect = y >= 10 && y <= 40 && x >= 20 && x <= 60;
      const inTri = y >= 100 && x >= 100 && x + y <= 300;
      if (!inRect && !inTri) assert.equal(tif.data[i], 0, `(${y}, ${x})`);
    }
    const sidecar = JSON.parse(readFileSync(join(dir, 'config_rois.json'), 'utf8'));
    assert.deepEqual(sidecar.shapes, shapes);
    const cfgText = readFileSync(cfgPath, 'utf8');
    assert.match(cfgText, /^# my analysis — keep this comment/);
    // Only the rois value changed: every other line as before.
    const changed = cfgText.split('\n').filter((l, i) => l !== cfgBefore.split('\n')[i]);
    assert.equal(changed.length, 1, changed.join('|'));
    assert.match(changed[0], /^rois: \{label_image: config_rois\.tif\}$/);
    const s = await a.json('/api/state');
    assert.deepEqual(s.shapes, shapes);
    // the CLI run uses the saved ROIs: two ROIs in the overview, areas = pixel counts of the TIFF
    const out = join(dir, 'cli-results');
    let err = '';
    const code = await main(['node', 'cellcoloc', 'run', cfgPath, '--results-dir', out, '-q'], { out: () => undefined, err: (x) => (err += x) });
    assert.equal(code, 0, err);
    const ovCsv = readCsv(join(out, 'input.ome_roi_coloc_overview.csv'));
    assert.deepEqual(csvColumn(ovCsv, 'roi_id'), [1, 2]);
    const count = (id: number) => [...tif.data].filter((v) => v === id).length;
    assert.deepEqual(csvColumn(ovCsv, 'drawn_roi_area_px'), [count(1), count(2)]);
    assert.ok(existsSync(tifPath));
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cellcoloc view --help lists the options; a truncated image ends the command with one error line', async () => {
  let out = '';
  const code = await main(['node', 'cellcoloc', 'view', '--help'], { out: (s) => (out += s), err: (s) => (out += s) });
  assert.equal(code, 0);
  assert.match(out, /--port/);
  assert.match(out, /--no-open/);
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-sc-'));
  try {
    // A truncated image: the server already listens (the URL is printed while the image decodes), then the
    // command stops with one error line naming the file, exit 1, and the port is closed again.
    const img = join(dir, 'cut.ome.tif');
    const whole = readFileSync(join(CASE, 'input.ome.tif'));
    writeFileSync(img, whole.subarray(0, Math.floor(whole.length / 2)));
    const cut = join(dir, 'cut.json');
    writeFileSync(cut, JSON.stringify({ ...fixtureConfigObject(CASE, { resultsDir: join(dir, 'r2') }), image: img }));
    let out3 = '';
    let err3 = '';
    const c3 = await main(['node', 'cellcoloc', 'view', cut, '--no-open'], { out: (s) => (out3 += s), err: (s) => (err3 += s) });
    assert.equal(c3, 1);
    const url = /viewer at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out3);
    assert.ok(url, out3);
    const errors = err3.split('\n').filter((l) => l.startsWith('cellcoloc: error:'));
    assert.equal(errors.length, 1, err3);
    assert.match(errors[0], /cut\.ome\.tif/);
    await assert.rejects(fetch(`${url[1]}/api/state`), 'the server is closed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Decodes our own PNG output independently: chunk CRCs via zlib.crc32-free table, IDAT inflated, filter 0 rows. */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let o = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  let sawEnd = false;
  while (o < png.length) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    const data = png.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(o + 8);
      height = dv.getUint32(o + 12);
      assert.deepEqual([...data.subarray(8)], [8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, filter 0, no interlace
    }
    if (type === 'IDAT') idat.push(Buffer.from(data));
    if (type === 'IEND') {
      // the IEND chunk is always 00000000 49454E44 AE426082
      assert.equal(dv.getUint32(o + 8), 0xae426082);
      sawEnd = true;
    }
    o += 12 + len;
  }
  assert.ok(sawEnd);
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, (4 * width + 1) * height);
  const rgba = new Uint8Array(4 * width * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (4 * width + 1)], 0);
    rgba.set(raw.subarray(y * (4 * width + 1) + 1, (y + 1) * (4 * width + 1)), y * 4 * width);
  }
  return { width, height, rgba };
}

test('png: a 3×2 RGBA image round-trips through the PNG decoder (signature, IHDR, IEND CRC, rows)', () => {
  const rgba = Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256);
  const d = decodePng(encodePngRgba(3, 2, rgba));
  assert.equal(d.width, 3);
  assert.equal(d.height, 2);
  assert.deepEqual([...d.rgba], [...rgba]);
  // CRC-32 check value of "123456789" (ISO 3309 / PNG): 0xCBF43926
  assert.equal((crc32(new TextEncoder().encode('123456789')) ^ 0xffffffff) >>> 0, 0xcbf43926);
  assert.throws(() => encodePngRgba(2, 2, new Uint8Array(3)), /expected 16 RGBA bytes/);
});

test('cellcoloc snapshot: cell-mask layer alone lights exactly the outline pixels of the original\'s 9100 cell pixels; channels give a non-trivial image', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-snapshot-'));
  try {
    const results = join(dir, 'results');
    const cfgPath = join(dir, 'config.json');
    writeFileSync(cfgPath, JSON.stringify(fixtureConfigObject(CASE, { resultsDir: results }), null, 2));
    const run = await main(['node', 'cellcoloc', 'run', cfgPath, '-q'], { out: () => undefined, err: () => undefined });
    assert.equal(run, 0);
    let out = '';
    const png1 = join(dir, 'masks.png');
    const c1 = await main(['node', 'cellcoloc', 'snapshot', cfgPath, '--out', png1, '--layers', 'cell_masks', '--z', '0'], {
      out: (s) => (out += s),
      err: (s) => (out += s),
    });
    assert.equal(c1, 0, out);
    const d1 = decodePng(readFileSync(png1));
    assert.equal(d1.width, 256);
    assert.equal(d1.height, 256);
    const mask = (await readTiffPagesReference(join(EXP, 'cell_masks.tif'))).data;
    // The cell layer's default look is an outline (issue 16.2): lit = a cell pixel with a 4-neighbour of
    // another label (the image border does not count), worked out here from the original's mask.
    let lit = 0;
    let cellPx = 0;
    for (let i = 0; i < 256 * 256; i++) {
      const y = Math.floor(i / 256);
      const x = i % 256;
      const v = mask[i];
      const edge = v !== 0 && ((x > 0 && mask[i - 1] !== v) || (x < 255 && mask[i + 1] !== v) || (y > 0 && mask[i - 256] !== v) || (y < 255 && mask[i + 256] !== v));
      const isLit = d1.rgba[4 * i] + d1.rgba[4 * i + 1] + d1.rgba[4 * i + 2] > 0;
      assert.equal(isLit, edge, `pixel ${i}`);
      assert.equal(d1.rgba[4 * i + 3], 255);
      if (isLit) lit++;
      if (v) cellPx++;
    }
    assert.equal(cellPx, 9100); // expected/roi_coloc_overview.csv cell_occupancy_area_px_2d_projection
    assert.ok(lit > 0 && lit < cellPx);
    const png2 = join(dir, 'all.png');
    assert.equal(await main(['node', 'cellcoloc', 'snapshot', cfgPath, '--out', png2], { out: () => undefined, err: () => undefined }), 0);
    const d2 = decodePng(readFileSync(png2));
    const colours = new Set<number>();
    for (let i = 0; i < 256 * 256; i++) colours.add((d2.rgba[4 * i] << 16) | (d2.rgba[4 * i + 1] << 8) | d2.rgba[4 * i + 2]);
    assert.ok(colours.size > 200, `only ${colours.size} colours`);
    let err = '';
    assert.equal(await main(['node', 'cellcoloc', 'snapshot', cfgPath, '--out', png2, '--layers', 'nope'], { out: () => undefined, err: (s) => (err += s) }), 1);
    assert.match(err, /--layers: unknown layer "nope"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('viewer API on 2d_two_channel_cellpose_fullroi: run, refine sliders from the cache (= expected/refined), export', async () => {
  const cpCase = caseDir('2d_two_channel_cellpose_fullroi');
  const refineArgs = JSON.parse(readFileSync(join(cpCase, 'config.json'), 'utf8')).refine;
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-cp-'));
  const results = join(dir, 'results');
  const cfgPath = join(dir, 'config.json');
  writeFileSync(cfgPath, JSON.stringify(fixtureConfigObject(cpCase, { resultsDir: results }), null, 2));
  const srv = await startViewerServer(cfgPath, { port: 0 });
  try {
    const a = api(srv);
    assert.deepEqual((await a.json('/api/state')).cellpose, { cell: false, marker: false, optional_region: false });
    // before a run there is no cache: refused with the reason
    const early = await a.post('/api/refine', { cell: { cellprobThreshold: 0 } });
    assert.equal(early.status, 400);
    assert.match(early.body.toString(), /no Cellpose cache/);
    assert.equal((await a.post('/api/run')).status, 202);
    const s = await waitIdle(a);
    assert.equal(s.error, null);
    assert.deepEqual(s.cellpose, { cell: true, marker: true, optional_region: false });
    assert.equal((await a.post('/api/refine', { cell: { cellprobThreshold: 'x' } })).status, 400);
    // a hand edit of the marker layer: erase its label 1; refining only the cell channel must keep it
    const mk = await a.get('/api/labels/marker?z=0');
    const marker = new Uint32Array(mk.body.buffer.slice(mk.body.byteOffset, mk.body.byteOffset + mk.body.byteLength));
    const markerBefore = marker.filter((v) => v !== 0).length;
    let erased = 0;
    for (let i = 0; i < marker.length; i++) if (marker[i] === 1) (marker[i] = 0), erased++;
    assert.ok(erased > 0);
    assert.equal((await a.put('/api/labels/marker?z=0', new Uint8Array(marker.buffer))).status, 200);
    const r = await a.post('/api/refine', { cell: { cellprobThreshold: refineArgs.cell_cellprob_threshold, flowThreshold: refineArgs.cell_flow_threshold } });
    assert.equal(r.status, 200, r.body.toString());
    // in memory: the tables are the original's refinement, nothing written yet
    const expCs = readCsv(join(cpCase, 'expected', 'refined', 'cell_summary.csv'));
    const cs = await a.json('/api/table/cell_summary');
    assert.deepEqual(column(cs, 'cell_label'), csvColumn(expCs, 'cell_label'));
    assert.deepEqual(column(cs, 'cell_voxels'), csvColumn(expCs, 'cell_voxels'));
    const expOv = readCsv(join(cpCase, 'expected', 'refined', 'roi_coloc_overview.csv'));
    assert.deepEqual(column(await a.json('/api/table/roi_coloc_overview'), 'n_cells'), csvColumn(expOv, 'n_cells'));
    const mk2 = await a.get('/api/labels/marker?z=0');
    const marker2 = new Uint32Array(mk2.body.buffer.slice(mk2.body.byteOffset, mk2.body.byteOffset + mk2.body.byteLength));
    assert.equal(marker2.filter((v) => v === 1).length, 0, 'the erased marker stays erased');
    assert.equal(marker2.filter((v) => v !== 0).length, markerBefore - erased);
    // undo the marker edit through the API so the export can be compared with the original's refinement
    const mkOrig = new Uint32Array(mk.body.buffer.slice(mk.body.byteOffset, mk.body.byteOffset + mk.body.byteLength));
    assert.equal((await a.put('/api/labels/marker?z=0', new Uint8Array(mkOrig.buffer))).status, 200);
    const ex = await a.post('/api/export');
    assert.equal(ex.status, 200, ex.body.toString());
    const ours = (await readTiffPagesReference(join(results, 'input.ome_cell_masks.tif'))).data;
    const exp = (await readTiffPagesReference(join(cpCase, 'expected', 'refined', 'cell_masks.tif'))).data;
    let diff = 0;
    for (let i = 0; i < exp.length; i++) if (ours[i] !== exp[i]) diff++;
    assert.equal(diff, 0, `${diff} pixels of the refined cell mask differ`);
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('viewer API on 3d_two_channel_otsu_fullroi: z planes and max projections, per-plane edit + re-analyse', async () => {
  const c3 = caseDir('3d_two_channel_otsu_fullroi');
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-3d-'));
  const cfgPath = join(dir, 'config.json');
  writeFileSync(cfgPath, JSON.stringify(fixtureConfigObject(c3, { resultsDir: join(dir, 'results') }), null, 2));
  const srv = await startViewerServer(cfgPath, { port: 0 });
  try {
    const a = api(srv);
    const s0 = await a.json('/api/state');
    assert.deepEqual(s0.image.shapeZyx, [12, 128, 128]); // README: analysis shape ZYX = (12, 128, 128)
    const n = 128 * 128;
    const input = await readTiffPagesReference(join(c3, 'input.ome.tif')); // ZCYX pages: page = 2·z + c
    const u16 = (b: Buffer) => new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const u32 = (b: Buffer) => new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    assert.deepEqual(u16((await a.get('/api/channel/marker?z=5')).body), (input.data as Uint16Array).subarray((2 * 5 + 1) * n, (2 * 5 + 2) * n));
    const mip = new Uint16Array(n);
    for (let z = 0; z < 12; z++) for (let i = 0; i < n; i++) mip[i] = Math.max(mip[i], input.data[(2 * z) * n + i]);
    assert.deepEqual(u16((await a.get('/api/channel/cell?z=max')).body), mip);
    assert.equal((await a.get('/api/channel/cell?z=12')).status, 400);

    assert.equal((await a.post('/api/run')).status, 202);
    assert.equal((await waitIdle(a)).error, null);
    const exp = (await readTiffPagesReference(join(c3, 'expected', 'cell_masks.tif'))).data;
    const mask = new Uint32Array(12 * n);
    for (let z = 0; z < 12; z++) {
      const plane = u32((await a.get(`/api/labels/cell?z=${z}`)).body);
      assert.deepEqual([...plane], [...exp.subarray(z * n, (z + 1) * n)], `cell plane ${z}`);
      mask.set(plane, z * n);
    }
    const labMax = new Uint32Array(n);
    for (let z = 0; z < 12; z++) for (let i = 0; i < n; i++) labMax[i] = Math.max(labMax[i], exp[z * n + i]);
    assert.deepEqual([...u32((await a.get('/api/labels/cell?z=max')).body)], [...labMax]);

    // erase the largest cell of expected/cell_summary.csv on one plane only → its voxel count drops by that plane's share
    const expCs = readCsv(join(c3, 'expected', 'cell_summary.csv'));
    const labels = csvColumn(expCs, 'cell_label');
    const voxels = csvColumn(expCs, 'cell_voxels');
    const k = voxels.indexOf(Math.max(...voxels));
    const label = labels[k];
    let bestZ = 0;
    let bestCount = 0;
    for (let z = 0; z < 12; z++) {
      let c = 0;
      for (let i = 0; i < n; i++) if (exp[z * n + i] === label) c++;
      if (c > bestCount) [bestZ, bestCount] = [z, c];
    }
    const plane = mask.slice(bestZ * n, (bestZ + 1) * n);
    for (let i = 0; i < n; i++) if (plane[i] === label) plane[i] = 0;
    assert.equal((await a.put(`/api/labels/cell?z=${bestZ}`, new Uint8Array(plane.buffer))).status, 200);
    assert.equal((await a.post('/api/reanalyze')).status, 200);
    const cs = await a.json('/api/table/cell_summary');
    const row = column(cs, 'cell_label').indexOf(label);
    assert.equal(column(cs, 'cell_voxels')[row], voxels[k] - bestCount);
    assert.deepEqual(column(cs, 'cell_label'), labels);
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cellcoloc run --view --no-open: runs, prints the viewer URL, serves the new results, stops on SIGINT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-runview-'));
  try {
    const cfgPath = join(dir, 'config.json');
    writeFileSync(cfgPath, JSON.stringify(fixtureConfigObject(CASE, { resultsDir: join(dir, 'results') }), null, 2));
    let out = '';
    const done = main(['node', 'cellcoloc', 'run', cfgPath, '-q', '--view', '--no-open'], { out: (s) => (out += s), err: () => undefined });
    let m: RegExpExecArray | null = null;
    for (let i = 0; i < 400 && !m; i++) {
      await new Promise((r) => setTimeout(r, 50));
      m = /cellcoloc: viewer at http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{32})\n/.exec(out);
    }
    assert.ok(m, out);
    const port = Number(m[1]);
    const h = { 'X-CellColoc-Token': m[2] };
    let s: any;
    for (let i = 0; i < 200; i++) {
      s = JSON.parse((await http(port, 'GET', '/api/state', { headers: h })).body.toString());
      if (!s.busy) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(s.layers.cell, true);
    const ov = JSON.parse((await http(port, 'GET', '/api/table/roi_coloc_overview', { headers: h })).body.toString());
    assert.deepEqual(column(ov, 'n_cells'), [15]);
    process.emit('SIGINT');
    assert.equal(await done, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('viewer API, single-channel config (issue 16.6): one channel, run = the original counts, edit + re-analyse, snapshot', async () => {
  const SC = caseDir('2d_single_channel_count');
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-sc-'));
  const cfgPath = join(dir, 'sc.json');
  writeFileSync(cfgPath, JSON.stringify(fixtureConfigObject(SC, { resultsDir: join(dir, 'r') })));
  const srv = await startViewerServer(cfgPath, { port: 0 });
  try {
    const a = api(srv);
    let s = await a.json('/api/state');
    assert.equal(s.workflow, 'single_channel');
    assert.deepEqual(s.image.channels.map((c: { role: string }) => c.role), ['cell']);
    assert.equal(s.layers.cell, false);
    assert.equal((await a.get('/api/channel/marker?z=0')).status, 404);
    assert.equal((await a.get('/api/channel/cell?z=0')).status, 200);
    assert.equal((await a.post('/api/run', {})).status, 202);
    s = await waitIdle(a);
    assert.equal(s.error, null);
    assert.equal(s.layers.cell, true);
    assert.equal(s.layers.marker, false);
    assert.deepEqual(s.tables, ['roi_overview', 'object_summary', 'voxel_plausibility_check']);
    // The original's counts (expected/roi_overview.csv, object_summary.csv of the fixture).
    const ov = await a.json('/api/table/roi_overview');
    const expOv = readCsv(join(SC, 'expected', 'roi_overview.csv'));
    assert.deepEqual(column(ov, 'n_objects'), csvColumn(expOv, 'n_objects'));
    const objs = await a.json('/api/table/object_summary');
    assert.equal(objs.rows.length, readCsv(join(SC, 'expected', 'object_summary.csv')).rows.length);
    // Delete one object by hand (PUT the plane), re-analyse: one object fewer.
    const planeRes = await a.get('/api/labels/cell?z=0');
    const plane = new Uint32Array(new Uint8Array(planeRes.body).slice().buffer);
    const victim = plane.find((v) => v > 0)!;
    for (let i = 0; i < plane.length; i++) if (plane[i] === victim) plane[i] = 0;
    assert.equal((await a.put('/api/labels/cell?z=0', new Uint8Array(plane.buffer))).status, 200);
    assert.equal((await a.post('/api/reanalyze', {})).status, 200);
    assert.deepEqual(column(await a.json('/api/table/roi_overview'), 'n_objects'), [Number(csvColumn(expOv, 'n_objects')[0]) - 1]);
    // The threshold config has nothing to refine.
    assert.equal((await a.post('/api/refine', { cell: { cellprobThreshold: 0 } })).status, 400);
    // Export writes the single-channel files.
    const ex = await a.post('/api/export', {});
    assert.equal(ex.status, 200, ex.body.toString());
    assert.ok(JSON.parse(ex.body.toString()).files.some((f: string) => f.endsWith('_single_channel_masks.tif')));
    // cellcoloc snapshot renders the channel and the object masks.
    const png = join(dir, 'sc.png');
    let err = '';
    const code = await main(['node', 'cellcoloc', 'snapshot', cfgPath, '--out', png], { out: () => undefined, err: (x) => (err += x) });
    assert.equal(code, 0, err);
    const img = decodePng(readFileSync(png));
    assert.deepEqual([img.width, img.height], [256, 256]);
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
