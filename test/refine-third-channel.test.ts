/**
 * Refinement of a third channel segmented by Cellpose (spec 5.5 with `optional_region_model_config`; spec 11):
 * library (`runRefineWorkflow`), CLI (`cellcoloc refine --optional-region-…`) and the viewer session
 * (`POST /api/refine {optional_region}`), on a crop of the three-channel fixture with the random-weight network.
 * Checks: unchanged thresholds reproduce the run exactly; new thresholds give exactly the mask stage's labels
 * on the cached flows; the other channels and their tables stay as they were; the third-channel sheets follow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseDir, readCsv } from './helpers/fixtures.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { runWorkflow } from '../src/pipeline/workflow.js';
import { runRefineWorkflow } from '../src/pipeline/refine.js';
import { main } from '../src/cli/main.js';
import { ViewerSession } from '../src/viewer/server/session.js';
import { computeMasks } from '../src/segmentation/cellpose/dynamics/index.js';
import { readCacheEntry } from '../src/segmentation/cellpose/cache.js';
import { getColumn, type Table } from '../src/core/table.js';

const CASE_DIR = caseDir('3d_three_channel_optional_region');
const NET = join(CASE_DIR, '..', '..', 'cellpose', 'v4net', 'cpsam_tiny_random.onnx');

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) d++;
  assert.equal(d, 0, `${what}: ${d} values differ`);
}

function sameTable(a: Table, b: Table, what: string): void {
  assert.deepEqual(a.columns.map((c) => c.name), b.columns.map((c) => c.name), `${what}: columns`);
  for (const c of a.columns) sameArray(c.values, getColumn(b, c.name).values, `${what}.${c.name}`);
}

const distinct = (a: ArrayLike<number>): number => new Set(Array.from(a).filter((v) => v !== 0)).size;

test('third channel by Cellpose: refine reproduces the run, then re-thresholds it exactly (library, CLI, viewer)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-refine-3rd-'));
  try {
    const cfgPath = join(dir, 'run.yaml');
    writeFileSync(
      cfgPath,
      [
        `image: ${join(CASE_DIR, 'input.ome.tif')}`,
        `results_dir: ${join(dir, 'out')}`,
        'channel_config: {cell_channel: 0, marker_channel: 1, optional_region_channel: 2}',
        'cell_model_config: {segmentation_method: otsu}',
        'marker_model_config: {segmentation_method: otsu}',
        `optional_region_model_config: {segmentation_method: cellpose, model_name_or_path: ${JSON.stringify(NET)}}`,
        'colocalization_config: {min_cell_voxels: 20, evaluate_optional_region_cell_positivity: true}',
        'runtime_config: {use_gpu: false, crop_for_testing: [[0, 4], [0, 48], [0, 48]]}',
        'rois: full',
        '',
      ].join('\n'),
    );
    const config = await loadConfigFile(cfgPath);
    const run = (await runWorkflow(config)).result;
    const runRegion = run.optionalRegionMasks!;
    assert.ok(distinct(runRegion.data) > 0, 'the network yields third-channel objects');

    // 1. No thresholds: the run exactly (every mask and sheet).
    const same = (await runRefineWorkflow(config)).result;
    sameArray(same.optionalRegionMasks!.data, runRegion.data, 'region masks');
    sameArray(same.cellMasks.data, run.cellMasks.data, 'cell masks');
    for (const k of ['detailed', 'summary', 'markerProperties', 'overview', 'roiCellSummary', 'roiMarkerSummary', 'thirdChannelProperties', 'roiThirdChannelSummary'] as const) {
      sameTable(same.tables[k]!, run.tables[k]!, k);
    }
    assert.equal(same.refinement.optional_region?.source, 'cellpose_cache');

    // 2. New thresholds: the region masks are the mask stage's labels on the cached flows (one full ROI, planes [0, 4)).
    const cp = 1;
    const fl = 0;
    const refined = await runRefineWorkflow(config, { thresholds: { optionalRegionCellprobThreshold: cp, optionalRegionFlowThreshold: fl } });
    const r = refined.result;
    const entry = (await readCacheEntry(join(refined.cacheDir, 'optional_region_roi1.cpcache')))!;
    const expected = computeMasks(entry.dP, entry.cellprob, entry.header.shape, { ...entry.header.mask, cellprobThreshold: cp, flowThreshold: fl });
    assert.deepEqual(entry.header.shape, [4, 48, 48]);
    sameArray(r.optionalRegionMasks!.data, expected, 'refined region masks');
    assert.notEqual(distinct(expected), distinct(runRegion.data), 'the new threshold changes the third channel');
    sameArray(r.cellMasks.data, run.cellMasks.data, 'cell masks unchanged');
    sameTable(r.tables.markerProperties, run.tables.markerProperties, 'marker_properties unchanged');
    const props = r.tables.thirdChannelProperties!;
    assert.equal(props.rowCount, distinct(expected));
    assert.equal(getColumn(r.tables.roiThirdChannelSummary!, 'n_3rd_channel_objects').values[0], distinct(expected));
    assert.deepEqual(r.refinement.optional_region?.thresholdSource, { cellprob: 'argument', flow: 'argument' });
    // exported: the third-channel sheet on disk is the refined one; the manifest records the arguments
    const sheet = readCsv(join(refined.paths.resultsDir, `${refined.paths.stem}_3rd_channel_properties.csv`));
    assert.equal(sheet.rows.length, distinct(expected));
    const manifest = JSON.parse(readFileSync(refined.paths.manifestPath, 'utf8'));
    assert.equal(manifest.refinement.arguments.optional_region_cellprob_threshold, cp);

    // 3. CLI: the same, with a line for the third channel.
    let out = '';
    let err = '';
    const code = await main(
      ['node', 'cellcoloc', 'refine', cfgPath, '-q', '--optional-region-cellprob-threshold', String(cp), '--optional-region-flow-threshold', String(fl)],
      { out: (s: string) => (out += s), err: (s: string) => (err += s) },
    );
    assert.equal(code, 0, err);
    assert.match(out, /optional_region: from cache, cellprob_threshold 1 \(argument\), flow_threshold 0 \(argument\)/);
    assert.equal(readCsv(join(refined.paths.resultsDir, `${refined.paths.stem}_3rd_channel_properties.csv`)).rows.length, distinct(expected));

    // 4. Viewer session: the third channel's slider; cell and marker masks kept.
    const s = await ViewerSession.open(cfgPath);
    assert.equal(((await s.state()) as { cellpose: Record<string, boolean> }).cellpose.optional_region, true);
    await s.refine({ optional_region: { cellprobThreshold: cp, flowThreshold: fl } });
    const t = s.tableJson('3rd_channel_properties');
    assert.ok(t);
    assert.equal(t.rows.length, distinct(expected));
    await assert.rejects(s.refine({ cell: { cellprobThreshold: 0 } }), /cell_model_config uses segmentation_method otsu, not cellpose/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
