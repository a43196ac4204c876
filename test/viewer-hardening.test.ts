/**
 * Issue 15.5: the viewer accepts writes only from its own page. State-changing requests need the token in the
 * X-CellColoc-Token header or the query (a cookie alone is refused) and an Origin/Referer equal to the server's
 * own origin when present; strict Host (one header, exactly loopback:PORT); malformed cookies → 403; label ids
 * bounded; sparse ids compacted before re-analysis; ROI requests bounded in vertices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewerServer, type ViewerServer } from '../src/viewer/server/server.js';
import { compactLabelIds } from '../src/viewer/server/session.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { http, type TimedResponse as Resp } from './helpers/http.js';



/** A raw request with hand-written header lines (duplicate Host headers). */
function rawRequest(port: number, lines: string[]): Promise<string> {
  return new Promise((ok, fail) => {
    const s = connect(port, '127.0.0.1', () => s.end(lines.join('\r\n') + '\r\n\r\n'));
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('end', () => ok(got));
    s.on('error', fail);
  });
}

function setup(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-hard-'));
  const files = [0, 1].map((c) => {
    const d = new Uint16Array(64 * 64);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) d[y * 64 + x] = (x - 20) ** 2 + (y - 20) ** 2 < 64 + c * 10 || (x - 45) ** 2 + (y - 40) ** 2 < 50 ? 2000 : 100;
    const f = join(dir, `c${c}.tif`);
    writeFileSync(f, encodeTiffStack({ data: d, shape: [1, 64, 64] }, {}));
    return f;
  });
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    `image: [${files.map((f) => JSON.stringify(f)).join(', ')}]
results_dir: ${JSON.stringify(join(dir, 'results'))}
voxel_scale_zyx: [1.0, 1.0]
channel_config: {cell_channel: 0, marker_channel: 1}
cell_model_config: {segmentation_method: otsu, threshold_min_object_voxels: 0}
marker_model_config: {segmentation_method: otsu, threshold_min_object_voxels: 0}
colocalization_config: {min_cell_voxels: 1, overlap_fraction_threshold: 0.01, min_overlap_voxels: 1}
rois: full
`,
  );
  return cfg;
}

test('viewer writes: header/query token required (cookie alone 403), Origin checked, strict Host, malformed cookie 403', async () => {
  const srv: ViewerServer = await startViewerServer(setup(), { port: 0 });
  try {
    const tok = srv.token;
    const own = `http://127.0.0.1:${srv.port}`;
    const cookie = `cellcoloc_token=${tok}`;
    const shapes = JSON.stringify({ shapes: [{ type: 'rectangle', data: [[0, 0], [0, 30], [30, 30], [30, 0]] }] });
    const json = { 'Content-Type': 'application/json' };
    // GET with the cookie alone is fine (the page's own sub-requests); a POST with it alone is not.
    assert.equal((await http(srv.port, 'GET', '/api/state', { Cookie: cookie })).status, 200);
    let r = await http(srv.port, 'POST', '/api/rois', { ...json, Cookie: cookie, Origin: 'http://127.0.0.1:9' }, shapes);
    assert.equal(r.status, 403);
    assert.match(r.body, /X-CellColoc-Token header or the query, not only the cookie/);
    assert.equal((await http(srv.port, 'POST', '/api/reanalyze', { Cookie: cookie })).status, 403);
    // Token in the header but from another origin (another port of 127.0.0.1 is another origin): refused.
    r = await http(srv.port, 'POST', '/api/rois', { ...json, 'X-CellColoc-Token': tok, Origin: 'http://127.0.0.1:9' }, shapes);
    assert.equal(r.status, 403);
    assert.match(r.body, /from another origin/);
    r = await http(srv.port, 'POST', '/api/rois', { ...json, 'X-CellColoc-Token': tok, Referer: 'http://localhost:9/x' }, shapes);
    assert.equal(r.status, 403);
    assert.equal((await http(srv.port, 'POST', `/api/rois?token=${tok}`, { ...json, Origin: 'null' }, shapes)).status, 403);
    // Own origin, header token: accepted; query token without Origin (curl): accepted.
    r = await http(srv.port, 'POST', '/api/rois', { ...json, 'X-CellColoc-Token': tok, Origin: own }, shapes);
    assert.equal(r.status, 200, r.body);
    r = await http(srv.port, 'POST', `/api/rois?token=${tok}`, json, shapes);
    assert.equal(r.status, 200, r.body);
    // Malformed cookie: 403, never 500.
    r = await http(srv.port, 'GET', '/api/state', { Cookie: 'cellcoloc_token=%E0%A4%A' });
    assert.equal(r.status, 403, r.body);
    // Strict Host.
    for (const host of ['[::1]evil.com', `127.0.0.1:${srv.port}.evil.com`, `127.0.0.1:${srv.port + 1}`, '127.0.0.1', `evil.com:${srv.port}`]) {
      assert.equal((await http(srv.port, 'GET', `/api/state?token=${tok}`, { Host: host })).status, 403, host);
    }
    for (const host of [`127.0.0.1:${srv.port}`, `localhost:${srv.port}`, `[::1]:${srv.port}`]) {
      assert.equal((await http(srv.port, 'GET', `/api/state?token=${tok}`, { Host: host })).status, 200, host);
    }
    const dup = await rawRequest(srv.port, [`GET /api/state?token=${tok} HTTP/1.1`, `Host: 127.0.0.1:${srv.port}`, `Host: evil.com`, 'Connection: close']);
    assert.match(dup, /^HTTP\/1\.1 (403|400)/);
    // ROI requests bounded in vertices (a 200k-vertex request is refused at once).
    const many = Array.from({ length: 200_000 }, (_, i) => [32 + 20 * Math.sin(i), 32 + 20 * Math.cos(i)]);
    r = await http(srv.port, 'POST', '/api/rois', { ...json, 'X-CellColoc-Token': tok }, JSON.stringify({ shapes: [{ type: 'polygon', data: many }] }));
    assert.ok(r.status === 400 || r.status === 413, `${r.status} ${r.body.slice(0, 200)}`);
    // Below the byte limit, the vertex bound answers: 30000 vertices in 3 shapes → 400 naming the limit.
    const tri = Array.from({ length: 10_000 }, (_, i) => [32 + 20 * Math.sin(i), 32 + 20 * Math.cos(i)]);
    r = await http(srv.port, 'POST', '/api/rois', { ...json, 'X-CellColoc-Token': tok }, JSON.stringify({ shapes: [0, 1, 2].map(() => ({ type: 'polygon', data: tri })) }));
    assert.equal(r.status, 400, r.body);
    assert.match(r.body, /3 shapes with 30000 vertices in all; at most 1000 shapes and 20000 vertices/);
  } finally {
    await srv.close();
  }
});

test('label ids: above the layer maximum + margin or 2^24 → 400 naming the id; sparse ids compacted for re-analysis', async () => {
  const srv: ViewerServer = await startViewerServer(setup(), { port: 0 });
  try {
    const h = { 'X-CellColoc-Token': srv.token };
    assert.equal((await http(srv.port, 'POST', '/api/run', h)).status, 202);
    for (let i = 0; i < 600; i++) {
      const s = JSON.parse((await http(srv.port, 'GET', '/api/state', h)).body);
      if (!s.busy) {
        assert.equal(s.error, null);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const cur = await http(srv.port, 'GET', '/api/labels/cell?z=0', h);
    assert.equal(cur.status, 200);
    const plane = new Uint32Array(cur.raw.buffer.slice(cur.raw.byteOffset, cur.raw.byteOffset + cur.raw.length));
    const max = plane.reduce((a, b) => Math.max(a, b), 0);
    assert.ok(max >= 1);
    const bad = plane.slice();
    bad[5 * 64 + 7] = 0xffffffff;
    let r = await http(srv.port, 'PUT', '/api/labels/cell?z=0', h, new Uint8Array(bad.buffer));
    assert.equal(r.status, 400);
    assert.match(r.body, new RegExp(`id 4294967295 \\(first above the limit at y=5, x=7\\) is above ${max + 65536}`));
    // ids around 1e9 (reanalysis blocked the server for 2–5 s allocating by the largest id): refused the same way.
    bad[5 * 64 + 7] = 1_000_000_000;
    r = await http(srv.port, 'PUT', '/api/labels/cell?z=0', h, new Uint8Array(bad.buffer));
    assert.equal(r.status, 400);
    assert.match(r.body, new RegExp(`id 1000000000 \\(first above the limit at y=5, x=7\\) is above ${max + 65536}`));
    // Re-analysis and export still work (the plane was never stored).
    { const rr = await http(srv.port, 'POST', '/api/reanalyze', h); assert.equal(rr.status, 200, rr.body); }
    // An id within the margin but far above the others: accepted, and re-analysis compacts it.
    const sparse = plane.slice();
    for (let y = 50; y < 56; y++) for (let x = 5; x < 11; x++) sparse[y * 64 + x] = max + 60_000;
    r = await http(srv.port, 'PUT', '/api/labels/cell?z=0', h, new Uint8Array(sparse.buffer));
    assert.equal(r.status, 200, r.body);
    r = await http(srv.port, 'POST', '/api/reanalyze', h);
    assert.equal(r.status, 200, r.body);
    const after = await http(srv.port, 'GET', '/api/labels/cell?z=0', h);
    const ap = new Uint32Array(after.raw.buffer.slice(after.raw.byteOffset, after.raw.byteOffset + after.raw.length));
    assert.ok(ap.reduce((a, b) => Math.max(a, b), 0) <= max + 1, 'ids compacted');
    assert.ok(ap[52 * 64 + 7] > 0, 'the drawn object is kept');
  } finally {
    await srv.close();
  }
});

test('compactLabelIds: dense ids unchanged; sparse ids renumbered 1..n in order', () => {
  const dense = { data: Uint32Array.of(0, 1, 2, 2, 3), shape: [1, 1, 5] as [number, number, number] };
  assert.equal(compactLabelIds(dense), dense);
  const sparse = { data: Uint32Array.of(0, 5, 1_000_000, 5, 70_000, 0), shape: [1, 1, 6] as [number, number, number] };
  assert.deepEqual([...compactLabelIds(sparse).data], [0, 1, 3, 1, 2, 0]);
});
