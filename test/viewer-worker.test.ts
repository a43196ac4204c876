/**
 * Issue 15.5: heavy viewer work does not block other requests. A run, re-analysis, export (its table pass and its
 * encoding) and "Save ROIs" (rasterising) run in a worker thread (src/viewer/server/analysis-worker.ts); while one
 * is in flight, a cheap request (`GET /api/state`) is answered, and `/api/state` reports the work in progress
 * (`working`, its `step`, the run's `progress`). With the table pass on the server's
 * thread no request could observe `working` set: the whole pass ran within one turn of the event loop.
 * No timing is asserted (the machine may be loaded): the proof is the order of the answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, type TimedResponse as Resp } from './helpers/http.js';
import { startViewerServer } from '../src/viewer/server/server.js';
import { writeTwoChannelStudy } from './helpers/two-channel-study.js';



/** 1024² two channels: a 48 × 48 grid of disks (r = 6 px, 2304 cells) and the marker on every other disk. */
function setup(): { dir: string; cfg: string; cells: number } {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-worker-'));
  const N = 1024;
  const planes = [0, 1].map((c) => {
    const d = new Uint16Array(N * N).fill(100);
    for (let gy = 0; gy < 48; gy++) {
      for (let gx = 0; gx < 48; gx++) {
        if (c === 1 && (gx + gy) % 2 === 1) continue;
        const cy = 20 + gy * 21;
        const cx = 20 + gx * 21;
        for (let y = cy - 6; y <= cy + 6; y++) for (let x = cx - 6; x <= cx + 6; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= 36) d[y * N + x] = 2000;
      }
    }
    return d;
  });
  const { cfg } = writeTwoChannelStudy(dir, planes, N, [
    'channel_config: {cell_channel: 0, marker_channel: 1}',
    'cell_model_config: {segmentation_method: otsu, threshold_min_object_voxels: 0, postfilters: [min_size], postfilter_min_object_voxels: 5}',
    'marker_model_config: {segmentation_method: otsu, threshold_min_object_voxels: 0}',
    'colocalization_config: {min_cell_voxels: 1, overlap_fraction_threshold: 0.01, min_overlap_voxels: 1}',
    'rois: full',
  ]);
  return { dir, cfg, cells: 48 * 48 };
}

/** Polls `GET /api/state` until `done` settles; returns each answer's `working` and whether it came before `done`. */
async function pollWhile(port: number, token: string, done: Promise<Resp>): Promise<{ working: string | null; step?: string | null; before: boolean; ms: number }[]> {
  let settled: number | null = null;
  void done.then((r) => (settled = r.at));
  const seen: { working: string | null; step?: string | null; before: boolean; ms: number }[] = [];
  while (settled === null) {
    const t0 = performance.now();
    const r = await http(port, 'GET', `/api/state?token=${token}`);
    assert.equal(r.status, 200);
    const s = JSON.parse(r.body) as { working: string | null; step?: string | null };
    seen.push({ working: s.working, step: s.step, before: settled === null || r.at < settled, ms: r.at - t0 });
  }
  return seen;
}

test('viewer: GET /api/state is answered while a run, a re-analysis, an export (and its encoding) and a 20,000-vertex ROI save are in flight (worker thread); edits meanwhile → 409', { timeout: 300_000 }, async (t) => {
  const { dir, cfg, cells } = setup();
  const srv = await startViewerServer(cfg, { port: 0 });
  try {
    const { port, token } = srv;
    const write = { 'X-CellColoc-Token': token, Origin: `http://127.0.0.1:${port}` };
    // Run: the whole workflow in the worker. The run reports `tables` just before its table pass, which is one
    // synchronous block: on the server's thread, no answer could carry that stage.
    assert.ok(srv.session.startRun());
    let running = true;
    const runDone = srv.session.waitForRun().finally(() => (running = false));
    let duringTables = 0;
    while (running) {
      const st = JSON.parse((await http(port, 'GET', `/api/state?token=${token}`)).body) as { busy: boolean; progress: { stage: string } | null };
      if (st.busy && st.progress?.stage === 'tables') duringTables++;
    }
    await runDone;
    assert.equal(srv.session.error, null);
    t.diagnostic(`run: ${duringTables} state answers during its table pass`);
    assert.ok(duringTables >= 1, 'no GET /api/state was answered during the run\'s table pass');
    const overview0 = JSON.parse((await http(port, 'GET', `/api/table/roi_coloc_overview?token=${token}`)).body) as { columns: { name: string }[]; rows: number[][] };
    const nCol = overview0.columns.findIndex((c) => c.name === 'n_cells');
    assert.equal(overview0.rows[0][nCol], cells);

    // Re-analysis: state answered meanwhile, reporting the work; a label edit meanwhile is refused (the plane sent is
    // the layer's own, so the outcome is the same if the edit comes too late).
    const own = new Uint8Array(new Uint32Array(srv.session.labelPlane('cell', 0)!).buffer);
    let reDone = false;
    const re = http(port, 'POST', '/api/reanalyze', write).finally(() => (reDone = true));
    const [seen, edit] = await Promise.all([
      pollWhile(port, token, re),
      (async () => {
        while (!reDone) {
          const s = JSON.parse((await http(port, 'GET', `/api/state?token=${token}`)).body) as { working: string | null };
          if (s.working) break;
        }
        return http(port, 'PUT', `/api/labels/cell?z=0`, write, own);
      })(),
    ]);
    const reResp = await re;
    assert.equal(reResp.status, 200, reResp.body);
    const during = seen.filter((s) => s.before && s.working === 're-analysis');
    t.diagnostic(`re-analysis ${JSON.parse(reResp.body).ms} ms; ${seen.length} state answers meanwhile, ${during.length} reporting it; slowest ${Math.max(...seen.map((s) => s.ms)).toFixed(0)} ms; edit meanwhile → ${edit.status}`);
    assert.ok(during.length >= 1, `no GET /api/state was answered during the re-analysis: ${JSON.stringify(seen)}`);
    if (edit.status !== 200) {
      assert.equal(edit.status, 409, edit.body);
      assert.match(edit.body, /re-analysis is in progress/);
    }
    const overview1 = JSON.parse((await http(port, 'GET', `/api/table/roi_coloc_overview?token=${token}`)).body) as { rows: number[][] };
    assert.equal(overview1.rows[0][nCol], cells, 'the re-analysed tables count every cell');

    // Export (re-analysis of pending edits included): the same.
    const plane = new Uint32Array(srv.session.labelPlane('cell', 0)!);
    plane[0] = 1; // one edited pixel, so that the export re-analyses first
    assert.equal((await http(port, 'PUT', `/api/labels/cell?z=0`, write, new Uint8Array(plane.buffer))).status, 200);
    const ex = http(port, 'POST', '/api/export', write);
    const seenEx = await pollWhile(port, token, ex);
    const exResp = await ex;
    assert.equal(exResp.status, 200, exResp.body);
    assert.ok(seenEx.some((s) => s.before && s.working === 'export'), `no GET /api/state was answered during the export: ${JSON.stringify(seenEx)}`);
    // The encoding (CSV, xlsx, TIFFs) and writing, in the worker: answers carry its step, which the worker sets
    // before it starts and clears when every file is written.
    const encoding = seenEx.filter((s) => s.before && s.working === 'export' && s.step === 'encoding and writing the results').length;
    t.diagnostic(`export: ${seenEx.length} state answers meanwhile, ${encoding} during its encoding`);
    assert.ok(encoding >= 1, `no GET /api/state was answered while the export was encoded: ${JSON.stringify(seenEx)}`);
    assert.ok((JSON.parse(exResp.body) as { files: string[] }).files.some((f) => f.endsWith('_cell_summary.csv')));

    // "Save ROIs" with the most vertices accepted (20,000: a circle of radius 500 px): rasterised in the worker.
    const nV = 20_000;
    const circle = Array.from({ length: nV }, (_, k) => [512 + 500 * Math.sin((2 * Math.PI * k) / nV), 512 + 500 * Math.cos((2 * Math.PI * k) / nV)]);
    const body = new TextEncoder().encode(JSON.stringify({ shapes: [{ type: 'polygon', data: circle }] }));
    const ro = http(port, 'POST', '/api/rois', { ...write, 'Content-Type': 'application/json' }, body);
    const seenRo = await pollWhile(port, token, ro);
    const roResp = await ro;
    assert.equal(roResp.status, 200, roResp.body);
    assert.deepEqual((JSON.parse(roResp.body) as { roiIds: number[] }).roiIds, [1]);
    const rasterising = seenRo.filter((s) => s.before && s.working === 'ROI save' && s.step === 'rasterising ROIs').length;
    t.diagnostic(`ROI save: ${seenRo.length} state answers meanwhile, ${rasterising} while rasterising`);
    assert.ok(rasterising >= 1, `no GET /api/state was answered while the ROIs were rasterised: ${JSON.stringify(seenRo)}`);
    // The ROI mask in use is the circle: π·500² pixels within a tenth of a percent.
    const roi = srv.session.labelPlane('rois', 0)!;
    let inside = 0;
    for (const v of roi) if (v === 1) inside++;
    assert.ok(Math.abs(inside - Math.PI * 500 * 500) < 0.001 * Math.PI * 500 * 500, `${inside} ROI pixels`);
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
