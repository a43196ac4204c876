/**
 * Issue 15.4: one run per results folder (lock with PID and host; a dead holder's lock taken over with a
 * notice), stale temporary files of killed runs removed at the next start, and `kill -9` at any moment never
 * leaves a truncated visible file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireResultsLock, removeStaleTempFiles, LOCK_NAME } from '../src/export/results-lock.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { main } from '../src/cli/main.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'cellcoloc-lock-'));

/** The pid of a process that has exited (spawned and waited for). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(r.status, 0);
  return r.pid!;
}

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Two channels of bright blobs on a noisy background (Y × X uint16), as two stacked single-channel files. */
function writeImages(dir: string, size: number): [string, string] {
  const files: [string, string] = [join(dir, 'c0.tif'), join(dir, 'c1.tif')];
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) / 65536;
  files.forEach((f, c) => {
    const d = new Uint16Array(size * size);
    for (let i = 0; i < d.length; i++) d[i] = 100 + Math.floor(rnd() * 50);
    for (let k = 0; k < 60; k++) {
      const cy = 10 + Math.floor(rnd() * (size - 20));
      const cx = 10 + Math.floor(rnd() * (size - 20));
      const r = 4 + Math.floor(rnd() * 5) - c;
      for (let y = -r; y <= r; y++) for (let x = -r; x <= r; x++) if (y * y + x * x <= r * r) d[(cy + y) * size + cx + x] = 3000;
    }
    writeFileSync(f, encodeTiffStack({ data: d, shape: [1, size, size] }, {}));
  });
  return files;
}

const config = (files: string[], res: string) => `image: [${files.map((f) => JSON.stringify(f)).join(', ')}]
results_dir: ${JSON.stringify(res)}
voxel_scale_zyx: [1.0, 1.0]
channel_config: {cell_channel: 0, marker_channel: 1}
cell_model_config: {segmentation_method: otsu}
marker_model_config: {segmentation_method: otsu}
colocalization_config: {min_cell_voxels: 10, overlap_fraction_threshold: 0.02, min_overlap_voxels: 1}
rois: full
`;

test('a second lock on the same folder is refused naming the holder; release frees it', async () => {
  const dir = join(tmp(), 'res');
  const a = await acquireResultsLock(dir, 'run a.yaml');
  const held = JSON.parse(readFileSync(join(dir, LOCK_NAME), 'utf8'));
  assert.deepEqual([held.pid, held.host, held.command], [process.pid, hostname(), 'run a.yaml']);
  await assert.rejects(acquireResultsLock(dir, 'run b.yaml'), (e: any) => {
    assert.equal(e._tag, 'ExportError');
    assert.match(e.message, new RegExp(`^${dir}: the results folder is in use by another cellcoloc run \\(pid ${process.pid} on ${hostname()}, started .*: run a\\.yaml\\)`));
    return true;
  });
  await a.release();
  assert.ok(!existsSync(join(dir, LOCK_NAME)));
  const b = await acquireResultsLock(dir, 'run b.yaml');
  await b.release();
});

test('a dead run\'s lock is taken over with a notice; its temporary files are removed, live ones kept', async () => {
  const dir = join(tmp(), 'res');
  mkdirSync(dir);
  const dead = deadPid();
  writeFileSync(join(dir, LOCK_NAME), JSON.stringify({ pid: dead, host: hostname(), started: '2026-01-01T00:00:00Z', command: 'run x' }));
  writeFileSync(join(dir, `.img_cell_summary.csv.tmp-${dead}-0123456789ab`), 'half a fi');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', `.x.tif.tmp-${dead}-ba9876543210`), 'x');
  const live = `.other.csv.tmp-${process.pid}-aaaaaaaaaaaa`;
  writeFileSync(join(dir, live), 'in progress');
  writeFileSync(join(dir, 'keep.csv'), 'a,b\n');
  const lock = await acquireResultsLock(dir, 'run y');
  assert.equal(lock.notices.length, 2, lock.notices.join('\n'));
  assert.match(lock.notices[0], new RegExp(`took over the lock of a run that is no longer running \\(pid ${dead} on `));
  assert.match(lock.notices[1], /removed 2 temporary files left by killed runs/);
  assert.deepEqual(readdirSync(dir).sort(), [LOCK_NAME, live, 'keep.csv', 'sub'].sort());
  assert.deepEqual(readdirSync(join(dir, 'sub')), []);
  await lock.release();
  assert.deepEqual(await removeStaleTempFiles(dir), []);
});

test('cellcoloc run into a folder another run holds: one line naming the holder, exit 1, nothing written', async () => {
  const dir = tmp();
  const files = writeImages(dir, 64);
  const res = join(dir, 'res');
  const cfg = join(dir, 'c.yaml');
  writeFileSync(cfg, config(files, res));
  const other = await acquireResultsLock(res, 'run other.yaml');
  try {
    const r = await cli(['run', cfg, '-q']);
    assert.equal(r.code, 1);
    assert.equal(r.err.split('\n').filter(Boolean).length, 1, r.err);
    assert.match(r.err, new RegExp(`^cellcoloc: error: ${res}: the results folder is in use by another cellcoloc run \\(pid ${process.pid} on `));
    assert.deepEqual(readdirSync(res), [LOCK_NAME]);
  } finally {
    await other.release();
  }
  const ok = await cli(['run', cfg, '-q']);
  assert.equal(ok.code, 0, ok.err);
  assert.ok(!existsSync(join(res, LOCK_NAME)), 'lock released after the run');
});

test('kill -9 at any moment: no truncated visible file; the next run takes over and cleans up', { timeout: 300_000 }, async (t) => {
  const bin = new URL('../bin/cellcoloc.mjs', import.meta.url).pathname;
  if (!existsSync(new URL('../dist/cli/cellcoloc.bundle.mjs', import.meta.url))) {
    t.skip('dist/ is not built (npm run build)');
    return;
  }
  const dir = tmp();
  const files = writeImages(dir, 768);
  const ref = join(dir, 'ref');
  const res = join(dir, 'res');
  writeFileSync(join(dir, 'ref.yaml'), config(files, ref));
  writeFileSync(join(dir, 'res.yaml'), config(files, res));
  const run = (cfg: string, killAfterMs: number | null) =>
    new Promise<{ code: number | null; signal: string | null; err: string }>((done) => {
      const child = spawn(process.execPath, [bin, 'run', cfg, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        done({ code, signal, err });
      });
    });
  const t0 = Date.now();
  const full = await run(join(dir, 'ref.yaml'), null);
  assert.equal(full.code, 0, full.err);
  const runMs = Date.now() - t0;
  const refFiles = readdirSync(ref).filter((f) => !f.startsWith('.'));
  assert.ok(refFiles.length >= 8, refFiles.join(', '));
  /** Every visible file is complete: byte-identical to the uninterrupted run, or (timestamps inside) well-formed. */
  const checkVisible = (when: string) => {
    if (!existsSync(res)) return;
    for (const f of readdirSync(res)) {
      if (f.startsWith('.')) continue;
      const got = readFileSync(join(res, f));
      if (f.endsWith('.json')) assert.doesNotThrow(() => JSON.parse(got.toString('utf8')), `${when}: ${f} truncated`);
      else if (f.endsWith('.html')) assert.match(got.toString('utf8').trimEnd(), /<\/html>$/i, `${when}: ${f} truncated`);
      else if (f.endsWith('.xlsx')) assert.equal(got.subarray(got.length - 22, got.length - 18).toString('latin1'), 'PK\u0005\u0006', `${when}: ${f} truncated`);
      else assert.ok(got.equals(readFileSync(join(ref, f))), `${when}: ${f} differs from the uninterrupted run`);
    }
  };
  // Kill points spread over the whole run (start-up, load, segmentation, export).
  const kills = 8;
  let killed = 0;
  for (let k = 0; k < kills; k++) {
    const at = Math.round(((k + 0.5) / kills) * runMs * 1.1);
    const r = await run(join(dir, 'res.yaml'), at);
    if (r.signal === 'SIGKILL') killed++;
    checkVisible(`killed at ${at} ms`);
  }
  t.diagnostic(`uninterrupted run ${runMs} ms; ${killed} of ${kills} runs killed mid-way`);
  assert.ok(killed >= kills / 2, `only ${killed} runs were actually killed`);
  const last = await run(join(dir, 'res.yaml'), null);
  assert.equal(last.code, 0, last.err);
  for (const line of last.err.split('\n').filter(Boolean)) assert.match(line, /^cellcoloc: (notice|warning): /);
  checkVisible('after the final run');
  assert.deepEqual(readdirSync(res).filter((f) => f.startsWith('.')), [], 'hidden leftovers after the final run');
  assert.deepEqual(readdirSync(res).sort(), refFiles.sort());
});
