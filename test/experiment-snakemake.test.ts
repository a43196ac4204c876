/**
 * `cellcoloc batch … --emit-snakemake` (issue 14.9) run by the real Snakemake (Debian 12: 7.21) on real images:
 * quarter crops of the demo image (CellProfiler ExampleHuman HT29) written at test time, and a corrupt image.
 *
 * - the sheet is validated like batch (bad sheet: one line per problem, exit 1, nothing written) and nothing runs;
 * - `snakemake --cores 2` on the emitted workflow: the corrupt sample's job SUCCEEDS, the merge runs, the corrupt
 *   sample is in failures.csv, and experiment_summary.csv / experiment_cells.csv are byte-identical to those of
 *   `cellcoloc batch` on the same sheet (an independent run of the other route);
 * - a second snakemake run after deleting the chunk markers reruns nothing in the sample folders (resume).
 *
 * Snakemake missing: the test fails with the reason under CI=true (`.ci/run` installs it), else it is skipped with
 * the reason. The SLURM run of the same workflow is test/cluster-slurm.test.ts (`npm run test:cluster`).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cellcoloc, demoBaseConfig, writeTestImages } from './helpers/experiment.js';
import { snakemakeMissing, SHEET_4 } from './helpers/snakemake.js';

let dir = '';
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cellcoloc-snakemake-'));
  await writeTestImages(dir);
  writeFileSync(join(dir, 'base.yaml'), demoBaseConfig());
  writeFileSync(join(dir, 'samples.csv'), SHEET_4);
});

const missing = snakemakeMissing();

test('--emit-snakemake validates the sheet like batch: every problem one line, exit 1, nothing written', () => {
  writeFileSync(join(dir, 'bad.csv'), 'sample,image\nA,demo.ome.tif\nA,demo.ome.tif\nB,missing.tif\n');
  const out = join(dir, 'bad_results');
  const r = cellcoloc(['batch', join(dir, 'bad.csv'), '--config', join(dir, 'base.yaml'), '--results-dir', out, '--emit-snakemake']);
  assert.equal(r.code, 1, r.err);
  const lines = r.err.trim().split('\n').filter((l) => l.startsWith('cellcoloc: error:'));
  assert.ok(lines.some((l) => /bad\.csv:3: .*"A" appears twice/.test(l)), r.err);
  assert.ok(lines.some((l) => /bad\.csv:4: .*missing\.tif/.test(l)), r.err);
  assert.equal(existsSync(out), false, 'no results folder for a bad sheet');
});

test('--emit-snakemake writes the workflow, runs nothing; resources and chunks from the estimate', () => {
  const out = join(dir, 'emit_only');
  const r = cellcoloc(['batch', join(dir, 'samples.csv'), '--config', join(dir, 'base.yaml'), '--results-dir', out, '--emit-snakemake', '--samples-per-job', '2']);
  assert.equal(r.code, 0, r.err);
  for (const f of ['Snakefile', 'config.yaml', 'scripts/run_chunk.sh', 'scripts/merge.sh', 'profiles/slurm/config.yaml']) assert.ok(existsSync(join(out, 'workflow', f)), f);
  assert.match(r.out, new RegExp(`snakemake --snakefile ${join(out, 'workflow', 'Snakefile')} --cores N`));
  assert.match(r.out, /--profile .*profiles\/slurm/);
  assert.equal(existsSync(join(out, 'samples')), false, 'nothing ran');
  const cfg = parse(readFileSync(join(out, 'workflow', 'config.yaml'), 'utf8'));
  assert.deepEqual(Object.values(cfg.chunks).map((c: any) => c.samples), [['q1', 'q2'], ['q3', 'broken']]);
  assert.equal(cfg.cellcoloc.node, process.execPath);
  assert.ok(existsSync(cfg.cellcoloc.bin), 'absolute path of bin/cellcoloc.mjs');
  for (const c of Object.values(cfg.chunks) as any[]) {
    assert.ok(c.mem_mb >= 256 && c.mem_mb % 64 === 0, `mem_mb ${c.mem_mb}`);
    assert.ok(c.runtime >= 5, `runtime ${c.runtime}`);
  }
  const profile = parse(readFileSync(join(out, 'workflow', 'profiles', 'slurm', 'config.yaml'), 'utf8'));
  assert.equal(profile.slurm, true);
});

test('snakemake runs the emitted workflow: same experiment_summary.csv as batch, corrupt sample in failures.csv, merge ran', { skip: missing && !process.env.CI ? missing : false }, () => {
  assert.equal(missing, null, `snakemake is required here (CI is set): ${missing}`);
  // The reference: `cellcoloc batch` on the same sheet (exit 1: one sample failed).
  const ref = join(dir, 'batch_results');
  const b = cellcoloc(['batch', join(dir, 'samples.csv'), '--config', join(dir, 'base.yaml'), '--results-dir', ref, '-q', '--no-report']);
  assert.equal(b.code, 1, b.err);

  const out = join(dir, 'snakemake_results');
  const e = cellcoloc(['batch', join(dir, 'samples.csv'), '--config', join(dir, 'base.yaml'), '--results-dir', out, '--emit-snakemake', '--samples-per-job', '2', '--no-report']);
  assert.equal(e.code, 0, e.err);
  const snakefile = join(out, 'workflow', 'Snakefile');
  const s = spawnSync('snakemake', ['--snakefile', snakefile, '--cores', '2'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  assert.equal(s.status, 0, `snakemake failed:\n${s.stderr.slice(-4000)}`);
  // Merge ran: all merged files; the corrupt sample is listed with its one-line error.
  for (const f of ['experiment_summary.csv', 'experiment_cells.csv', 'failures.csv', 'batch_manifest.json', 'experiment.xlsx']) assert.ok(existsSync(join(out, f)), f);
  const failures = readFileSync(join(out, 'failures.csv'), 'utf8').trim().split('\n');
  assert.equal(failures[0], 'sample,error');
  assert.equal(failures.length, 2, failures.join('\n'));
  assert.match(failures[1], /^broken,/);
  // The same tables as batch, byte for byte.
  for (const f of ['experiment_summary.csv', 'experiment_cells.csv', 'experiment_by_condition.csv', 'failures.csv']) {
    assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(ref, f), 'utf8'), `${f} differs from batch's`);
  }
  assert.ok(readFileSync(join(out, 'experiment_summary.csv'), 'utf8').split('\n').length > 3, 'summary has rows of the three good samples');
  // Sample folders hold the pipeline's files plus done.json only (the markers live in workflow/done/).
  assert.deepEqual(readdirSync(join(out, 'samples', 'q1')).sort(), readdirSync(join(ref, 'samples', 'q1')).sort());
  assert.equal(readdirSync(join(out, 'workflow', 'done')).length, 2);

  // Resume: markers deleted (Snakemake may do that) → the chunks rerun but touch no finished sample's files.
  const before = statSync(join(out, 'samples', 'q1', 'done.json')).mtimeMs;
  rmSync(join(out, 'workflow', 'done'), { recursive: true });
  const s2 = spawnSync('snakemake', ['--snakefile', snakefile, '--cores', '2'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  assert.equal(s2.status, 0, s2.stderr.slice(-4000));
  assert.equal(statSync(join(out, 'samples', 'q1', 'done.json')).mtimeMs, before, 'finished sample untouched');
  assert.equal(readFileSync(join(out, 'experiment_summary.csv'), 'utf8'), readFileSync(join(ref, 'experiment_summary.csv'), 'utf8'));
});
