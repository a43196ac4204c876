/**
 * Merged tables from hand-written sample folders (no pipeline involved): the by-condition statistics against
 * values computed by hand, the summary's fraction (empty for n_cells = 0), a sample without done.json listed as not
 * finished, and the memory bound of `--jobs` (chooseJobs) with a fake machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeExperiment } from '../src/experiment/merge.js';
import { chooseJobs, resourcesFromEstimate } from '../src/experiment/resources.js';
import { estimatePeakMemory } from '../src/pipeline/memory-estimate.js';
import { parseConfigObject } from '../src/config/load-config.js';

const OV_HEADER = 'roi_id,n_cells,n_marker_positive_cells,n_marker_objects';

function sample(dir: string, name: string, index: number, condition: string, rois: [number, number][]): void {
  const d = join(dir, 'samples', name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, `${name}_roi_coloc_overview.csv`), [OV_HEADER, ...rois.map(([c, p], i) => `${i + 1},${c},${p},7`)].join('\n') + '\n');
  writeFileSync(join(d, `${name}_cell_summary.csv`), 'roi_id,cell_label,marker_positive\n1,1,True\n1,2,False\n');
  writeFileSync(
    join(d, 'done.json'),
    JSON.stringify({ sample: name, status: 'ok', error: null, index, metadata: { condition }, kind: 'two-channel', stem: name, resultsSubdir: '', inputs: [], configHash: 'x', version: '0', timings: null, workerPeakRssMiB: null }),
  );
}

test('merge: by-condition statistics equal hand-computed values; fraction empty without cells; missing sample listed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-merge-'));
  const names = ['a1', 'a2', 'b1', 'b2', 'b3', 'b4'];
  writeFileSync(
    join(dir, 'batch_sheet.json'),
    JSON.stringify({
      sheetRecordSchemaVersion: 1,
      sheet: { path: '/x/samples.csv', sha256: 'ab' },
      baseConfig: { path: '/x/base.yaml', sha256: 'cd' },
      version: '0',
      metadataColumns: ['condition'],
      samples: names.map((n) => ({ sample: n, metadata: { condition: n[0] === 'a' ? 'ctrl' : 'stim' } })),
    }),
  );
  // ctrl: a1 = 3/10 (two ROIs 1/4 + 2/6), a2 = 10/20 → fractions 0.3, 0.5
  sample(dir, 'a1', 0, 'ctrl', [[4, 1], [6, 2]]);
  sample(dir, 'a2', 1, 'ctrl', [[20, 10]]);
  // stim: b1 = 1/4, b2 = 3/4, b3 = 0 cells (no fraction), b4 not finished
  sample(dir, 'b1', 2, 'stim', [[4, 1]]);
  sample(dir, 'b2', 3, 'stim', [[4, 3]]);
  sample(dir, 'b3', 4, 'stim', [[0, 0]]);
  const m = await mergeExperiment(dir);
  assert.equal(m.samples.find((s) => s.sample === 'b4')!.status, 'missing');
  const byCond = readFileSync(join(dir, 'experiment_by_condition.csv'), 'utf8');
  // ctrl: pooled 13/30; mean 0.4; SD √((0.1² + 0.1²)/1) = 0.1414213562373095; SEM = SD/√2 = 0.1 (0.09999999999999999 in floating point)
  // stim: pooled 4/8 = 0.5 over 3 samples (b3 has no cells); fractions 0.25, 0.75: mean 0.5, SD √(2·0.25²) = 0.3535533905932738, SEM 0.25
  const lines = byCond.trim().split('\n').map((l) => l.split(','));
  assert.deepEqual(lines[0], ['condition', 'n_samples', 'n_samples_with_cells', 'n_cells', 'n_marker_positive_cells', 'pooled_fraction_marker_positive', 'mean_fraction_marker_positive', 'sd_fraction_marker_positive', 'sem_fraction_marker_positive']);
  const hand: [string, string[], number[]][] = [
    ['ctrl', ['2', '2', '30', '13'], [0.43333333333333335, 0.4, 0.1414213562373095, 0.1]],
    ['stim', ['3', '2', '8', '4'], [0.5, 0.5, 0.3535533905932738, 0.25]],
  ];
  for (const [i, [cond, counts, floats]] of hand.entries()) {
    const row = lines[i + 1];
    assert.equal(row[0], cond);
    assert.deepEqual(row.slice(1, 5), counts);
    floats.forEach((v, k) => assert.ok(Math.abs(Number(row[5 + k]) - v) < 1e-15, `${cond} column ${lines[0][5 + k]}: ${row[5 + k]} vs ${v}`));
  }
  assert.equal(13 / 30, 0.43333333333333335);
  const summary = readFileSync(join(dir, 'experiment_summary.csv'), 'utf8').split('\n');
  assert.equal(summary[0], `sample,condition,${OV_HEADER},fraction_marker_positive`);
  assert.equal(summary[1], 'a1,ctrl,1,4,1,7,0.25');
  assert.equal(summary[2], 'a1,ctrl,2,6,2,7,0.3333333333333333');
  assert.equal(summary[6], 'b3,stim,1,0,0,7,', 'no fraction without cells');
  assert.equal(readFileSync(join(dir, 'failures.csv'), 'utf8'), 'sample,error\nb4,"not finished: no done.json (not run yet, or its process was killed before it could record anything)"\n');
  const cells = readFileSync(join(dir, 'experiment_cells.csv'), 'utf8').split('\n');
  assert.equal(cells[0], 'sample,condition,roi_id,cell_label,marker_positive');
  assert.equal(cells[1], 'a1,ctrl,1,1,True');
  assert.equal(cells.length, 5 * 2 + 2);
});

test('chooseJobs: the number of cores, lowered so that jobs × estimate fits 90 % of the available memory', () => {
  const gib = 2 ** 30;
  assert.equal(chooseJobs(null, 500, 100, { cores: 16, availableBytes: 4 * gib, source: 'test' }).jobs, 7); // 0.9·4096/500 = 7.4
  assert.equal(chooseJobs(null, 100, 100, { cores: 4, availableBytes: 64 * gib, source: 'test' }).jobs, 4);
  assert.equal(chooseJobs(8, 100, 3, { cores: 4, availableBytes: 64 * gib, source: 'test' }).jobs, 3, 'never more workers than samples');
  const one = chooseJobs(4, 9000, 10, { cores: 4, availableBytes: 2 * gib, source: 'test' });
  assert.equal(one.jobs, 1, 'a sample larger than the memory still gets one worker');
  assert.match(one.reason, /--jobs 4; lowered to 1: 1 × 9000 MiB estimated per sample fits 90 % of 2048 MiB available/);
});

test('resource request for a cluster job: memory with margin in 64 MiB steps, at least 5 minutes', () => {
  const config = parseConfigObject({ image: 'x.tif', channel_config: { cell_channel: 0, marker_channel: 1 }, cell_model_config: { segmentation_method: 'otsu' }, marker_model_config: { segmentation_method: 'otsu' }, rois: 'full' }, null);
  const mem = estimatePeakMemory({ shapeTzcyx: [1, 1, 2, 1024, 1024], dtype: 'uint16' }, config);
  const r = resourcesFromEstimate(mem);
  assert.equal(r.request.memMb % 64, 0);
  assert.ok(r.request.memMb >= mem.peakMiB * 1.25);
  assert.equal(r.request.runtimeMinutes, 5);
  assert.ok(r.expectedSeconds > 0.5 && r.expectedSeconds < 5);
});
