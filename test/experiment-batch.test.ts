/**
 * `cellcoloc batch` / `merge` end to end with the built CLI (real worker processes) on real images: the demo
 * image (CellProfiler ExampleHuman HT29, two channels) and quarter crops of its channels written at test time as
 * single-channel files (stacked as channel_0, channel_1[, channel_2]).
 *
 * - sheet validation: every problem one line `samples.csv:<line>: …`, exit 1, no results folder;
 * - per-sample results byte-identical (CSVs, TIFFs) to `cellcoloc run` of the same image and effective config,
 *   for a multi-channel file, stacked channels with an override, a three-channel sample made by overrides;
 * - a corrupt image fails alone (exit 1 after the others finished), failures.csv without machine paths;
 * - merged tables: summary rows and fraction, cells, by-condition statistics recomputed here from the per-sample
 *   tables with the textbook formulas;
 * - resume (nothing touched: mtimes), a changed override reruns only its sample, --force reruns all;
 * - --only + merge (the cluster contract), single-channel samples, the per-sample timeout (a FIFO as image),
 *   a worker crash, `cellcoloc sheet` with a channel group.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { cellcoloc, cellcolocAsync, demoBaseConfig, writeTestImages } from './helpers/experiment.js';

let dir = '';
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cellcoloc-batch-'));
  await writeTestImages(dir);
  writeFileSync(join(dir, 'base.yaml'), demoBaseConfig());
});

const csv = (p: string) => parse(readFileSync(p, 'utf8')) as string[][];

/** Every file below `d` (relative path → mtimeMs). */
function mtimes(d: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (p: string, rel: string) => {
    for (const n of readdirSync(p)) {
      const full = join(p, n);
      const st = statSync(full);
      if (st.isDirectory()) walk(full, `${rel}${n}/`);
      else out.set(`${rel}${n}`, st.mtimeMs);
    }
  };
  walk(d, '');
  return out;
}

/** CSV and TIFF files of a results folder: name → bytes. */
function resultBytes(d: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const n of readdirSync(d)) if (/\.(csv|tif)$/.test(n)) out.set(n, readFileSync(join(d, n)));
  return out;
}

const MAIN_SHEET = (overlapQ2: number) =>
  [
    'sample,image,channel_0,channel_1,channel_2,condition,replicate,config.colocalization_config.min_overlap_voxels,config.channel_config.optional_region_channel,config.optional_region_model_config.segmentation_method',
    'demo,demo.ome.tif,,,,ctrl,1,,,',
    'q1,,dna_q1.tif,ph3_q1.tif,,ctrl,2,,,',
    `q2,,dna_q2.tif,ph3_q2.tif,,stim,1,${overlapQ2},,`,
    'q3three,,dna_q3.tif,ph3_q3.tif,dna_q3.tif,stim,2,,2,otsu',
    'broken,corrupt.tif,,,,stim,3,,,',
  ].join('\n') + '\n';

test('sheet validation: every problem on its own line with file and line, exit 1, nothing written', () => {
  const sheet = join(dir, 'bad-sheet.csv');
  writeFileSync(
    sheet,
    [
      'sample,image,condition,config.colocalization_config.min_overlap_voxels,config.colocalization_config.no_such_key',
      'A,demo.ome.tif,ctrl,,',
      'A,demo.ome.tif,ctrl,,',
      'b c,demo.ome.tif,ctrl,,',
      'C,missing.tif,ctrl,,',
      'D,demo.ome.tif,ctrl,lots,',
      'E,demo.ome.tif,ctrl,,5',
      'F,demo.ome.tif',
    ].join('\n') + '\n',
  );
  const out = join(dir, 'never');
  const r = cellcoloc(['batch', 'bad-sheet.csv', '--config', 'base.yaml', '--results-dir', out], { cwd: dir });
  assert.equal(r.code, 1);
  const lines = r.err.trim().split('\n');
  const expect: [RegExp, string][] = [
    [/^cellcoloc: error: bad-sheet\.csv:3: sample "A" appears twice \(first on line 2\)$/, 'duplicate'],
    [/^cellcoloc: error: bad-sheet\.csv:4: sample: expected a name of letters, digits.*got "b c"$/, 'bad name'],
    [/^cellcoloc: error: bad-sheet\.csv:5: sample "C": image: file not found: "missing\.tif" \(looked for .*missing\.tif\)$/, 'missing file'],
    [/^cellcoloc: error: bad-sheet\.csv:6: sample "D": .*colocalization_config\.min_overlap_voxels.*"lots"/, 'bad override value'],
    [/^cellcoloc: error: bad-sheet\.csv:7: sample "E": .*colocalization_config\.no_such_key.*unknown key/, 'unknown override key'],
    [/^cellcoloc: error: bad-sheet\.csv:8: expected 5 fields \(as the header\), got 2$/, 'short row'],
  ];
  for (const [re, what] of expect) assert.ok(lines.some((l) => re.test(l)), `${what}: ${re} not in\n${r.err}`);
  assert.equal(lines.filter((l) => /bad-sheet\.csv:\d+:/.test(l)).length, expect.length, r.err);
  assert.match(lines[lines.length - 1], /6 problems in bad-sheet\.csv; nothing was run/);
  assert.equal(existsSync(out), false, 'no results folder');
});

test('batch: per-sample results identical to `cellcoloc run`, a corrupt image fails alone, merged tables, resume, --force', async () => {
  writeFileSync(join(dir, 'samples.csv'), MAIN_SHEET(5));
  const out = join(dir, 'exp');
  const args = ['batch', 'samples.csv', '--config', 'base.yaml', '--results-dir', out, '--jobs', '2'];
  const r = cellcoloc(args, { cwd: dir });
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /cellcoloc: 4 samples succeeded\n/);
  assert.match(r.err, /cellcoloc: 1 sample failed: broken /);
  for (const s of ['demo', 'q1', 'q2', 'q3three']) {
    const done = JSON.parse(readFileSync(join(out, 'samples', s, 'done.json'), 'utf8'));
    assert.equal(done.status, 'ok', `${s}: ${done.error}`);
    assert.equal(done.inputs[0].sha256.length, 64);
  }
  const broken = JSON.parse(readFileSync(join(out, 'samples', 'broken', 'done.json'), 'utf8'));
  assert.equal(broken.status, 'failed');

  // failures.csv: header + the corrupt sample, its error naming the file as the sheet does (no machine path)
  const failures = readFileSync(join(out, 'failures.csv'), 'utf8');
  assert.match(failures, /^sample,error\nbroken,"?corrupt\.tif: [^\n]+\n$/);
  assert.ok(!failures.includes(dir), 'no absolute path in failures.csv');

  // Parity with single runs: the same image(s) and effective config through `cellcoloc run`.
  const base = demoBaseConfig();
  const runConfigs: Record<string, string> = {
    demo: `image: demo.ome.tif\n${base}`,
    q2: `image: [dna_q2.tif, ph3_q2.tif]\n${base.replace(/min_overlap_voxels: \d+/, 'min_overlap_voxels: 5')}`,
    q3three: `image: [dna_q3.tif, ph3_q3.tif, dna_q3.tif]\n${base.replace(/channel_config:\n  cell_channel: 0\n  marker_channel: 1\n/, 'channel_config:\n  cell_channel: 0\n  marker_channel: 1\n  optional_region_channel: 2\n')}optional_region_model_config: {segmentation_method: otsu}\n`,
  };
  assert.match(runConfigs.q2, /min_overlap_voxels: 5/);
  assert.match(runConfigs.q3three, /optional_region_channel: 2/);
  for (const [s, cfg] of Object.entries(runConfigs)) {
    writeFileSync(join(dir, `run_${s}.yaml`), cfg);
    const single = join(dir, `single_${s}`);
    const rr = cellcoloc(['run', `run_${s}.yaml`, '--results-dir', single, '-q'], { cwd: dir });
    assert.equal(rr.code, 0, rr.err);
    const a = resultBytes(single);
    const b = resultBytes(join(out, 'samples', s));
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), `${s}: same CSV/TIFF files`);
    for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${s}/${name} differs from the single run`);
    const allSingle = readdirSync(single).sort();
    const allBatch = readdirSync(join(out, 'samples', s)).filter((n) => n !== 'done.json').sort();
    assert.deepEqual(allBatch, allSingle, `${s}: the sample folder holds what a run writes, plus done.json`);
  }
  assert.ok(readdirSync(join(out, 'samples', 'q3three')).some((n) => n.endsWith('_region_mask.tif')), 'three-channel sample');

  // Merged summary: sample, metadata, the overview's columns, fraction = positive / cells.
  const summary = csv(join(out, 'experiment_summary.csv'));
  const ov = csv(join(out, 'samples', 'q1', 'dna_q1_roi_coloc_overview.csv'));
  const ov3 = csv(join(out, 'samples', 'q3three', 'dna_q3_roi_coloc_overview.csv'));
  // The two-channel columns, then the three-channel sample's own (empty for the others): the union in order.
  assert.deepEqual(ov3[0].slice(0, ov[0].length), ov[0]);
  assert.ok(ov3[0].length > ov[0].length);
  assert.deepEqual(summary[0], ['sample', 'condition', 'replicate', ...ov3[0], 'fraction_marker_positive']);
  assert.deepEqual(summary[2].slice(3 + ov[0].length, -1), ov3[0].slice(ov[0].length).map(() => ''), 'q1 has no third-channel values');
  assert.deepEqual(summary.slice(1).map((r) => r[0]), ['demo', 'q1', 'q2', 'q3three']);
  const col = (h: string) => summary[0].indexOf(h);
  const perSample = new Map<string, { cells: number; pos: number; condition: string }>();
  for (const row of summary.slice(1)) {
    const cells = Number(row[col('n_cells')]);
    const pos = Number(row[col('n_marker_positive_cells')]);
    assert.ok(cells > 0);
    assert.equal(Number(row[col('fraction_marker_positive')]), pos / cells);
    perSample.set(row[0], { cells, pos, condition: row[1] });
  }
  assert.deepEqual(summary[2].slice(3, 3 + ov[0].length), ov[1], 'q1 row = its overview row, as written');
  assert.equal(summary.flat().some((v) => v.includes(dir)), false, 'no paths in the summary');

  // Cells: every cell_summary row of every sample, sample + metadata first.
  const cells = csv(join(out, 'experiment_cells.csv'));
  const q1Cells = csv(join(out, 'samples', 'q1', 'dna_q1_cell_summary.csv'));
  assert.deepEqual(cells[0], ['sample', 'condition', 'replicate', ...q1Cells[0]]);
  let expectedRows = 0;
  for (const [s, stem] of [['demo', 'demo.ome'], ['q1', 'dna_q1'], ['q2', 'dna_q2'], ['q3three', 'dna_q3']]) {
    expectedRows += csv(join(out, 'samples', s, `${stem}_cell_summary.csv`)).length - 1;
  }
  assert.equal(cells.length - 1, expectedRows);
  assert.deepEqual(cells.filter((r) => r[0] === 'q1').map((r) => r.slice(3)), q1Cells.slice(1));

  // By condition, recomputed with the textbook formulas (sample SD with n − 1, SEM = SD / √n).
  const byCond = csv(join(out, 'experiment_by_condition.csv'));
  assert.deepEqual(byCond[0], ['condition', 'n_samples', 'n_samples_with_cells', 'n_cells', 'n_marker_positive_cells', 'pooled_fraction_marker_positive', 'mean_fraction_marker_positive', 'sd_fraction_marker_positive', 'sem_fraction_marker_positive']);
  for (const cond of ['ctrl', 'stim']) {
    const members = [...perSample.values()].filter((s) => s.condition === cond);
    const f = members.map((s) => s.pos / s.cells);
    const mean = (f[0] + f[1]) / 2;
    const sd = Math.sqrt(((f[0] - mean) ** 2 + (f[1] - mean) ** 2) / 1);
    const row = byCond.find((r) => r[0] === cond)!;
    assert.equal(row[1], '2');
    assert.equal(Number(row[3]), members[0].cells + members[1].cells);
    assert.equal(Number(row[4]), members[0].pos + members[1].pos);
    assert.ok(Math.abs(Number(row[5]) - (members[0].pos + members[1].pos) / (members[0].cells + members[1].cells)) < 1e-15);
    assert.ok(Math.abs(Number(row[6]) - mean) < 1e-15);
    assert.ok(Math.abs(Number(row[7]) - sd) < 1e-15);
    assert.ok(Math.abs(Number(row[8]) - sd / Math.SQRT2) < 1e-15);
  }
  const manifest = JSON.parse(readFileSync(join(out, 'batch_manifest.json'), 'utf8'));
  assert.equal(manifest.lastBatchRun.jobs.jobs, 2);
  assert.equal(manifest.counts.ok, 4);
  assert.equal(manifest.sheet.sha256.length, 64);
  assert.ok(existsSync(join(out, 'experiment.xlsx')));

  // Resume: finished samples are skipped and not touched; the failed one runs again.
  const before = mtimes(join(out, 'samples'));
  const r2 = cellcoloc(args, { cwd: dir });
  assert.equal(r2.code, 1);
  assert.match(r2.err, /cellcoloc: 4 samples up to date/);
  assert.match(r2.err, /cellcoloc: 0 samples succeeded/);
  const after = mtimes(join(out, 'samples'));
  for (const [f, t] of before) if (!f.startsWith('broken/')) assert.equal(after.get(f), t, `${f} was touched on resume`);
  assert.notEqual(after.get('broken/done.json'), before.get('broken/done.json'));

  // A changed override reruns its sample only.
  writeFileSync(join(dir, 'samples.csv'), MAIN_SHEET(6));
  const r3 = cellcoloc(args, { cwd: dir });
  assert.match(r3.err, /cellcoloc: 1 sample succeeded\n/);
  assert.match(r3.err, /cellcoloc: 3 samples up to date/);
  const after3 = mtimes(join(out, 'samples'));
  assert.notEqual(after3.get('q2/done.json'), after.get('q2/done.json'));
  assert.equal(after3.get('q1/dna_q1_cell_masks.tif'), after.get('q1/dna_q1_cell_masks.tif'));

  // --force reruns everything.
  const r4 = cellcoloc([...args, '--force', '-q'], { cwd: dir });
  assert.equal(r4.code, 1);
  assert.match(r4.err, /cellcoloc: 4 samples succeeded\n/);
  assert.notEqual(mtimes(join(out, 'samples')).get('q1/done.json'), after3.get('q1/done.json'));
});

test('--only runs just those samples (no merge); `cellcoloc merge` then lists the rest in failures.csv', () => {
  writeFileSync(join(dir, 'samples-only.csv'), MAIN_SHEET(5));
  const out = join(dir, 'exp-only');
  const r = cellcoloc(['batch', 'samples-only.csv', '--config', 'base.yaml', '--results-dir', out, '--only', 'q1,q2', '-q'], { cwd: dir });
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readdirSync(join(out, 'samples')).sort(), ['q1', 'q2']);
  assert.equal(existsSync(join(out, 'experiment_summary.csv')), false, '--only leaves the merge to `cellcoloc merge`');
  const rb = cellcoloc(['batch', 'samples-only.csv', '--config', 'base.yaml', '--results-dir', out, '--only', 'broken', '-q'], { cwd: dir });
  assert.equal(rb.code, 1);
  const m = cellcoloc(['merge', out]);
  assert.equal(m.code, 0, m.err);
  const failures = csv(join(out, 'failures.csv'));
  assert.deepEqual(failures.map((r) => r[0]), ['sample', 'demo', 'q3three', 'broken']);
  assert.match(failures[1][1], /^not finished: no done\.json/);
  assert.match(failures[3][1], /^corrupt\.tif: /);
  assert.deepEqual(csv(join(out, 'experiment_summary.csv')).slice(1).map((r) => r[0]), ['q1', 'q2']);
  const bad = cellcoloc(['batch', 'samples-only.csv', '--config', 'base.yaml', '--results-dir', out, '--only', 'nope'], { cwd: dir });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /cellcoloc: error: --only: sample "nope" is not in samples-only\.csv/);
});

test('single-channel samples: identical to `cellcoloc run`, merged from roi_overview / object tables', () => {
  const scBase = 'voxel_scale_zyx: [1.0, 1.0]\nsingle_channel_config: {channel_index: 0}\nmodel_config: {segmentation_method: otsu, prefilter: gaussian, prefilter_sigma_xy: 1.0}\nanalysis_config: {min_object_voxels: 30}\nrois: full\n';
  writeFileSync(join(dir, 'sc-base.yaml'), scBase);
  writeFileSync(join(dir, 'sc.csv'), 'sample,image,condition\nnuc1,dna_q1.tif,a\nnuc4,dna_q4.tif,b\n');
  const out = join(dir, 'exp-sc');
  const r = cellcoloc(['batch', 'sc.csv', '--config', 'sc-base.yaml', '--results-dir', out, '-q'], { cwd: dir });
  assert.equal(r.code, 0, r.err);
  writeFileSync(join(dir, 'sc-run.yaml'), `image: dna_q4.tif\n${scBase}`);
  const single = join(dir, 'sc-single');
  assert.equal(cellcoloc(['run', 'sc-run.yaml', '--results-dir', single, '-q', '--no-report'], { cwd: dir }).code, 0);
  const a = resultBytes(single);
  const b = resultBytes(join(out, 'samples', 'nuc4'));
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [n, bytes] of a) assert.ok(bytes.equals(b.get(n)!), n);
  const summary = csv(join(out, 'experiment_summary.csv'));
  const ov = csv(join(single, 'dna_q4_roi_overview.csv'));
  assert.deepEqual(summary[0], ['sample', 'condition', ...ov[0]]);
  assert.deepEqual(summary[2], ['nuc4', 'b', ...ov[1]]);
  const cells = csv(join(out, 'experiment_cells.csv'));
  assert.equal(cells.filter((r) => r[0] === 'nuc4').length, csv(join(single, 'dna_q4_single_channel_objects.csv')).length - 1);
});

test('--timeout-per-sample kills a sample that hangs (a FIFO nobody writes as its image); the others finish', async () => {
  const fifo = join(dir, 'hangs.tif');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  writeFileSync(join(dir, 'hang.csv'), 'sample,image,channel_0,channel_1\nok1,,dna_q1.tif,ph3_q1.tif\nstuck,hangs.tif,,\n');
  const out = join(dir, 'exp-hang');
  const t0 = Date.now();
  const r = await cellcolocAsync(['batch', 'hang.csv', '--config', 'base.yaml', '--results-dir', out, '--timeout-per-sample', '30', '--jobs', '2'], { cwd: dir });
  assert.equal(r.code, 1, r.err);
  assert.ok(Date.now() - t0 < 180_000);
  const failures = csv(join(out, 'failures.csv'));
  // (30 s: generous for the good sample on a loaded machine; the FIFO would block forever)
  assert.deepEqual(failures.slice(1), [['stuck', 'timed out after 30 s (--timeout-per-sample); the worker was killed']]);
  assert.equal(JSON.parse(readFileSync(join(out, 'samples', 'ok1', 'done.json'), 'utf8')).status, 'ok');
});

test('a worker process that dies fails only its sample; a fresh worker runs the rest', () => {
  writeFileSync(join(dir, 'crash.csv'), 'sample,channel_0,channel_1\nc1,dna_q1.tif,ph3_q1.tif\nc2,dna_q2.tif,ph3_q2.tif\nc3,dna_q3.tif,ph3_q3.tif\n');
  const out = join(dir, 'exp-crash');
  const r = cellcoloc(['batch', 'crash.csv', '--config', 'base.yaml', '--results-dir', out, '--jobs', '1'], {
    cwd: dir,
    env: { CELLCOLOC_TEST_SAMPLE_HOOK: 'crash:c2' },
  });
  assert.equal(r.code, 1, r.err);
  const failures = csv(join(out, 'failures.csv'));
  assert.equal(failures.length, 2);
  assert.equal(failures[1][0], 'c2');
  assert.match(failures[1][1], /^the worker process died while running it \(signal SIGKILL/);
  for (const s of ['c1', 'c3']) assert.equal(JSON.parse(readFileSync(join(out, 'samples', s, 'done.json'), 'utf8')).status, 'ok');
  const manifest = JSON.parse(readFileSync(join(out, 'batch_manifest.json'), 'utf8'));
  assert.equal(manifest.lastBatchRun.workers.started, 2, 'one replacement worker');
});

test('`cellcoloc sheet` builds a sheet from file names (channel group stacks files), and batch runs it', () => {
  const plate = join(dir, 'plate');
  mkdirSync(plate);
  const layout: [string, string][] = [
    ['A-01-1', 'q1'],
    ['A-01-2', 'q2'],
    ['B-02-1', 'q3'],
  ];
  for (const [wf, q] of layout) {
    copyFileSync(join(dir, `dna_${q}.tif`), join(plate, `Channel_1-01-${wf}.tif`));
    copyFileSync(join(dir, `ph3_${q}.tif`), join(plate, `Channel_2-01-${wf}.tif`));
  }
  const pattern = 'Channel_(?<channel>\\d)-\\d+-(?<well>[A-P]-\\d+)-(?<field>\\d+)\\.tif';
  const r = cellcoloc(['sheet', 'plate/*.tif', '--name-pattern', pattern, '-o', 'plate.csv'], { cwd: dir });
  assert.equal(r.code, 0, r.err);
  assert.equal(
    readFileSync(join(dir, 'plate.csv'), 'utf8'),
    [
      'sample,channel_0,channel_1,well,field',
      'A-01_1,plate/Channel_1-01-A-01-1.tif,plate/Channel_2-01-A-01-1.tif,A-01,1',
      'A-01_2,plate/Channel_1-01-A-01-2.tif,plate/Channel_2-01-A-01-2.tif,A-01,2',
      'B-02_1,plate/Channel_1-01-B-02-1.tif,plate/Channel_2-01-B-02-1.tif,B-02,1',
    ].join('\n') + '\n',
  );
  const b = cellcoloc(['batch', 'plate.csv', '--config', 'base.yaml', '--results-dir', 'exp-plate', '-q'], { cwd: dir });
  assert.equal(b.code, 0, b.err);
  assert.deepEqual(csv(join(dir, 'exp-plate', 'experiment_summary.csv')).slice(1).map((r) => [r[0], r[1], r[2]]), [
    ['A-01_1', 'A-01', '1'],
    ['A-01_2', 'A-01', '2'],
    ['B-02_1', 'B-02', '1'],
  ]);
  // A sample lacking a channel is one clear error.
  copyFileSync(join(dir, 'dna_q4.tif'), join(plate, 'Channel_1-01-C-03-1.tif'));
  const e = cellcoloc(['sheet', 'plate/*.tif', '--name-pattern', pattern], { cwd: dir });
  assert.equal(e.code, 1);
  assert.match(e.err, /^cellcoloc: error: --name-pattern: sample "C-03_1" lacks channel 2 \(has 1; the other samples have 1, 2\)\n$/);
});

test('z-stack samples: a 4-plane stack (stacked channel files) and a per-sample z-projection override, identical to `cellcoloc run`', async () => {
  const { openImageStack } = await import('../src/io/image-stack.js');
  const { encodeTiffStack } = await import('../src/io/tiff-writer.js');
  // The four quarters of each channel as the planes of one 4 × 256 × 256 stack (voxel 1 × 1 × 2 µm).
  for (const ch of ['dna', 'ph3']) {
    const planes = await Promise.all(['q1', 'q2', 'q3', 'q4'].map(async (q) => (await (await openImageStack(join(dir, `${ch}_${q}.tif`))).readChannel(0, 0)).data as Uint8Array));
    const data = new Uint8Array(4 * planes[0].length);
    planes.forEach((p, z) => data.set(p, z * p.length));
    writeFileSync(join(dir, `${ch}_stack.tif`), encodeTiffStack({ data, shape: [4, 256, 256] }, { voxelSizeUm: [2, 1, 1] }));
  }
  const base3d = demoBaseConfig().replace(/voxel_scale_zyx: .*\n/, 'voxel_scale_zyx: [2.0, 1.0, 1.0]\n');
  writeFileSync(join(dir, 'base3d.yaml'), base3d);
  writeFileSync(join(dir, 'zs.csv'), 'sample,channel_0,channel_1,config.cell_model_config.z_projection\nstack,dna_stack.tif,ph3_stack.tif,\nproj,dna_stack.tif,ph3_stack.tif,max\n');
  const out = join(dir, 'exp-z');
  const r = cellcoloc(['batch', 'zs.csv', '--config', 'base3d.yaml', '--results-dir', out, '-q'], { cwd: dir });
  assert.equal(r.code, 0, r.err);
  const runs: Record<string, string> = {
    stack: `image: [dna_stack.tif, ph3_stack.tif]\n${base3d}`,
    proj: `image: [dna_stack.tif, ph3_stack.tif]\n${base3d.replace('cell_model_config:\n', 'cell_model_config:\n  z_projection: max\n')}`,
  };
  assert.match(runs.proj, /z_projection: max/);
  for (const [s, cfg] of Object.entries(runs)) {
    writeFileSync(join(dir, `z_${s}.yaml`), cfg);
    const single = join(dir, `z_single_${s}`);
    const rr = cellcoloc(['run', `z_${s}.yaml`, '--results-dir', single, '-q', '--no-report'], { cwd: dir });
    assert.equal(rr.code, 0, rr.err);
    const a = resultBytes(single);
    const b = resultBytes(join(out, 'samples', s));
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [n, bytes] of a) assert.ok(bytes.equals(b.get(n)!), `${s}/${n}`);
  }
  const manifest = JSON.parse(readFileSync(join(out, 'samples', 'proj', 'dna_stack_run_manifest.json'), 'utf8'));
  assert.equal(manifest.zStack.zProjection, 'max');
});

test('a sample over its memory limit (per-sample override of runtime_config.max_memory_gb) is refused alone, before reading pixels', () => {
  writeFileSync(join(dir, 'mem.csv'), 'sample,channel_0,channel_1,config.runtime_config.max_memory_gb\nsmall,dna_q1.tif,ph3_q1.tif,\ntight,dna_q2.tif,ph3_q2.tif,0.1\n');
  const out = join(dir, 'exp-mem');
  const r = cellcoloc(['batch', 'mem.csv', '--config', 'base.yaml', '--results-dir', out, '-q', '--no-report'], { cwd: dir });
  assert.equal(r.code, 1, r.err);
  const failures = csv(join(out, 'failures.csv'));
  assert.equal(failures.length, 2);
  assert.equal(failures[1][0], 'tight');
  assert.match(failures[1][1], /^dna_q2\.tif, ph3_q2\.tif: declares T×Z×C×Y×X = 1×1×2×256×256 uint8; this run would need an estimated 0\.\d+ GiB, more than the limit of 0\.10 GiB \(runtime_config\.max_memory_gb\)$/);
  assert.equal(JSON.parse(readFileSync(join(out, 'samples', 'small', 'done.json'), 'utf8')).status, 'ok');
  assert.equal(existsSync(join(out, 'report.html')), false, '--no-report');
});
