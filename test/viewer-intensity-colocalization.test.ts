/**
 * The viewer's re-analyse recomputes the intensity sheets (issue 19.2): on CellProfiler's ExampleFly crop, a run
 * from the viewer serves `roi_intensity_colocalization` with CellProfiler's Pearson, erasing one cell by hand and
 * re-analysing drops exactly that cell's row (the other rows and the ROI row unchanged), and the viewer's export
 * writes the CSVs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewerServer, type ViewerServer } from '../src/viewer/server/server.js';
import { csvColumn, readCsv } from './helpers/fixtures.js';

const DIR = join(import.meta.dirname, 'fixtures', 'intensity-colocalization');
const cp = JSON.parse(readFileSync(join(DIR, 'cellprofiler_image_pos002.json'), 'utf8')) as Record<string, number>;

function http(port: number, method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<{ status: number; body: Buffer }> {
  return new Promise((ok, fail) => {
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

test('viewer: run, erase a cell, re-analyse → the intensity sheets follow; export writes their CSVs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-intensity-'));
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    [
      `image: [${join(DIR, 'fly_D_crop.tif')}, ${join(DIR, 'fly_F_crop.tif')}]`,
      `results_dir: ${join(dir, 'res')}`,
      'voxel_scale_zyx: [1, 1]',
      'channel_config: {cell_channel: 0, marker_channel: 1}',
      'cell_model_config: {segmentation_method: otsu}',
      'marker_model_config: {segmentation_method: otsu}',
      'colocalization_config: {min_cell_voxels: 30}',
      'intensity_colocalization_config: {enabled: true, costes: accurate}',
      `rois: {label_image: ${join(DIR, 'fly_roi.tif')}}`,
      '',
    ].join('\n'),
  );
  let srv: ViewerServer | null = await startViewerServer(cfg, { port: 0 });
  try {
    const h = { 'X-CellColoc-Token': srv.token };
    const get = (p: string) => http(srv!.port, 'GET', p, h);
    const json = async (p: string) => {
      const r = await get(p);
      assert.equal(r.status, 200, `${p}: ${r.body.toString()}`);
      return JSON.parse(r.body.toString()) as { columns: { name: string }[]; rows: unknown[][]; tables?: string[]; busy?: boolean; error?: unknown };
    };
    const col = (t: { columns: { name: string }[]; rows: unknown[][] }, name: string) => {
      const i = t.columns.findIndex((c) => c.name === name);
      assert.ok(i >= 0, name);
      return t.rows.map((r) => (r[i] === null || r[i] === '' ? NaN : Number(r[i])));
    };
    assert.equal((await http(srv.port, 'POST', '/api/run', { ...h, 'Content-Type': 'application/json' })).status, 202);
    let state: any;
    for (let i = 0; i < 600; i++) {
      state = await json('/api/state');
      if (!state.busy) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(state.error, null);
    assert.ok(state.tables.includes('roi_intensity_colocalization') && state.tables.includes('cell_intensity_colocalization'), state.tables.join());
    const roi = await json('/api/table/roi_intensity_colocalization');
    assert.ok(Math.abs(col(roi, 'pearson')[0] - cp.Correlation_Correlation_CropBlue_CropGreen) <= 1e-5);
    assert.ok(Math.abs(col(roi, 'costes_m2')[0] - cp.Correlation_Costes_CropGreen_CropBlue) <= 1e-3);
    const cells = await json('/api/table/cell_intensity_colocalization');
    const labelsBefore = col(cells, 'cell_label');
    assert.ok(labelsBefore.length > 5);

    // erase the first cell by hand, re-analyse
    const victim = labelsBefore[0];
    const plane = await get('/api/labels/cell?z=0');
    const lab = new Uint32Array(plane.body.buffer.slice(plane.body.byteOffset, plane.body.byteOffset + plane.body.byteLength));
    let erased = 0;
    for (let i = 0; i < lab.length; i++) {
      if (lab[i] === victim) {
        lab[i] = 0;
        erased++;
      }
    }
    assert.equal(erased, col(cells, 'n_voxels')[0]);
    assert.equal((await http(srv.port, 'PUT', '/api/labels/cell?z=0', h, new Uint8Array(lab.buffer))).status, 200);
    const re = await http(srv.port, 'POST', '/api/reanalyze', { ...h, 'Content-Type': 'application/json' });
    assert.equal(re.status, 200, re.body.toString());
    const after = await json('/api/table/cell_intensity_colocalization');
    assert.deepEqual(col(after, 'cell_label'), labelsBefore.slice(1));
    assert.deepEqual(after.rows, cells.rows.slice(1), 'the other cells\' rows are unchanged');
    assert.deepEqual((await json('/api/table/roi_intensity_colocalization')).rows, roi.rows, 'the ROI row does not depend on the cells');

    // export writes the accepted state's CSVs
    const ex = await http(srv.port, 'POST', '/api/export', { ...h, 'Content-Type': 'application/json' });
    assert.equal(ex.status, 200, ex.body.toString());
    const csv = readCsv(join(dir, 'res', 'fly_D_crop_cell_intensity_colocalization.csv'));
    assert.deepEqual(csvColumn(csv, 'cell_label'), labelsBefore.slice(1));
    await srv.close();
    srv = null;
  } finally {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
