/**
 * Issue 15.4 for experiment folders: `cellcoloc batch` holds the folder's lock (src/export/results-lock.ts)
 * through its merge, `merge` and `report` take it too, and `batch --only` jobs (cluster chunks) check it without
 * taking it, so that they run side by side. Two real processes: a batch held inside a sample
 * (`CELLCOLOC_TEST_SAMPLE_HOOK=hang:<sample>`) and the commands run meanwhile. A killed batch's lock is taken over.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cellcoloc, cellcolocAsync, demoBaseConfig, writeTestImages } from './helpers/experiment.js';
import { LOCK_NAME } from '../src/export/results-lock.js';

const bin = new URL('../bin/cellcoloc.mjs', import.meta.url).pathname;
let dir = '';
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cellcoloc-exp-lock-'));
  await writeTestImages(dir);
  writeFileSync(join(dir, 'base.yaml'), demoBaseConfig());
  writeFileSync(join(dir, 'two.csv'), 'sample,channel_0,channel_1\nq1,dna_q1.tif,ph3_q1.tif\nq2,dna_q2.tif,ph3_q2.tif\n');
});

/** Starts `cellcoloc ARGS` that blocks for good inside sample `hang`; resolves once it holds what it holds. */
async function startHeld(args: string[], hang: string, ready: () => boolean): Promise<ChildProcess> {
  // Its own process group: killing the group also ends its worker process, which blocks for good.
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, CELLCOLOC_TEST_SAMPLE_HOOK: `hang:${hang}` }, stdio: 'ignore', detached: true });
  for (let i = 0; i < 1200 && !ready(); i++) await sleep(100);
  assert.ok(ready(), 'the held process started');
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid!, 'SIGKILL');
  await gone;
}

const inUse = (out: string, pid: number, command: RegExp) =>
  new RegExp(`^cellcoloc: error: ${out}: the results folder is in use by another cellcoloc run \\(pid ${pid} on ${hostname()}, started [^)]*: ${command.source}\\)`);

test('a running batch holds its experiment folder: a second batch, --only, merge and report refuse naming it; a killed batch\'s lock is taken over', { timeout: 600_000 }, async () => {
  const out = join(dir, 'exp');
  const lock = join(out, LOCK_NAME);
  const held = await startHeld(['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '--jobs', '1', '-q'], 'q1', () => existsSync(join(out, 'samples', 'q1')));
  try {
    const holder = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; command: string };
    assert.equal(holder.pid, held.pid);
    for (const args of [
      ['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '-q'],
      ['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '--only', 'q2', '-q'],
      ['merge', out],
      ['report', out],
    ]) {
      const r = await cellcolocAsync(args, { cwd: dir });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
      const lines = r.err.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.err);
      assert.match(lines[0], inUse(out, held.pid!, /batch two\.csv/), args.join(' '));
    }
    assert.equal(existsSync(join(out, 'samples', 'q2', 'done.json')), false, 'the refused --only job ran nothing');
  } finally {
    await kill(held);
  }
  // The batch was killed: its lock is stale; merge takes it over with a notice, and lists the unfinished samples.
  const m = await cellcolocAsync(['merge', out, '--no-report'], { cwd: dir });
  assert.equal(m.code, 0, m.err);
  assert.match(m.err, new RegExp(`cellcoloc: notice: results folder ${out}: took over the lock of a run that is no longer running \\(pid ${held.pid} `));
  assert.equal(existsSync(lock), false, 'released');
  const r = cellcoloc(['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '-q', '--no-report'], { cwd: dir });
  assert.equal(r.code, 0, r.err);
  assert.equal(existsSync(lock), false, 'released after the batch');
});

test('batch --only jobs of one experiment run side by side (no lock between them); a full batch waits for none of its own samples', { timeout: 600_000 }, async () => {
  const out = join(dir, 'exp-chunks');
  // Chunk 1 blocks inside q1 (its sample folder exists once it has started).
  const held = await startHeld(['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '--only', 'q1', '-q'], 'q1', () => existsSync(join(out, 'samples', 'q1')));
  try {
    assert.equal(existsSync(join(out, LOCK_NAME)), false, '--only takes no experiment lock');
    const r = await cellcolocAsync(['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '--only', 'q2', '-q'], { cwd: dir });
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(readFileSync(join(out, 'samples', 'q2', 'done.json'), 'utf8')).status, 'ok');
  } finally {
    await kill(held);
  }
});

test('two batch --only jobs given the same sample: the second refuses naming the first (one line, nothing run); a full batch too; a killed job\'s sample lock is taken over', { timeout: 600_000 }, async () => {
  const out = join(dir, 'exp-same-sample');
  const sampleLock = join(out, 'samples', 'q1', LOCK_NAME);
  // Job 1 holds sample q1 (blocked inside it).
  const held = await startHeld(['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '--only', 'q1', '-q'], 'q1', () => existsSync(sampleLock));
  try {
    const holder = JSON.parse(readFileSync(sampleLock, 'utf8')) as { pid: number; host: string; command: string };
    assert.equal(holder.pid, held.pid);
    assert.equal(holder.host, hostname());
    assert.equal(holder.command, 'batch two.csv --only q1');
    const refused = new RegExp(
      `^cellcoloc: error: ${join(out, 'samples', 'q1')}: sample "q1" is being run by another cellcoloc batch \\(pid ${held.pid} on ${hostname()}, started [^)]*: batch two\\.csv --only q1\\)`,
    );
    for (const args of [
      ['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '--only', 'q1', '-q'],
      ['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '--only', 'q2,q1', '-q'],
      ['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '-q'],
    ]) {
      const r = await cellcolocAsync(args, { cwd: dir });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
      const lines = r.err.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.err);
      assert.match(lines[0], refused, args.join(' '));
    }
    assert.equal(existsSync(join(out, 'samples', 'q2', 'done.json')), false, 'the refused jobs ran nothing');
    assert.equal(existsSync(join(out, 'samples', 'q2', LOCK_NAME)), false, 'and released what they had taken');
    assert.equal(existsSync(join(out, LOCK_NAME)), false, 'the refused full batch released the experiment folder');
    assert.equal((JSON.parse(readFileSync(sampleLock, 'utf8')) as { pid: number }).pid, held.pid, 'the holder keeps its lock');
  } finally {
    await kill(held);
  }
  // Job 1 was killed: its lock on q1 is stale; the next job takes it over with a notice and runs q1.
  const r = await cellcolocAsync(['batch', 'two.csv', '--config', 'base.yaml', '--results-dir', out, '--only', 'q1', '-q'], { cwd: dir });
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`cellcoloc: notice: sample folder ${join(out, 'samples', 'q1')}: took over the lock of a run that is no longer running \\(pid ${held.pid} `));
  assert.equal(JSON.parse(readFileSync(join(out, 'samples', 'q1', 'done.json'), 'utf8')).status, 'ok');
  assert.equal(existsSync(sampleLock), false, 'released after the job');
});
