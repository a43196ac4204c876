/**
 * Opening a viewer session without last results must not start the analysis worker: there is nothing for it to
 * read, and its start-up (module loading, sharing the images) competed with the page's first paint (bench/viewer.ts:
 * first image of a 2048² image 0.5 s → 1.3–1.6 s when it did). With last results on disk, the worker reads them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openViewerSession } from '../src/viewer/server/single-channel-session.js';
import { spawnSync } from 'node:child_process';
import { BIN } from './helpers/fuzz-runner.js';
import { writeTwoChannelStudy } from './helpers/two-channel-study.js';

/** 64² two channels, four bright disks (r = 5 px); the marker on two of them. */
function setup(): { dir: string; cfg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-open-'));
  const N = 64;
  const planes = [0, 1].map((c) => {
    const d = new Uint16Array(N * N).fill(100);
    for (const [k, [cy, cx]] of [[16, 16], [16, 46], [46, 16], [46, 46]].entries()) {
      if (c === 1 && k % 2 === 1) continue;
      for (let y = cy - 5; y <= cy + 5; y++) for (let x = cx - 5; x <= cx + 5; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= 25) d[y * N + x] = 2000;
    }
    return d;
  });
  const { cfg } = writeTwoChannelStudy(dir, planes, N, [
    'channel_config: {cell_channel: 0, marker_channel: 1}',
    'cell_model_config: {segmentation_method: otsu}',
    'marker_model_config: {segmentation_method: otsu}',
    'colocalization_config: {min_cell_voxels: 10, min_overlap_voxels: 5}',
    'rois: full',
  ]);
  return { dir, cfg };
}

const workerStarted = (s: object): boolean => (s as unknown as { analysisWorker: { started: boolean } }).analysisWorker.started;

test('viewer session: no last results → the analysis worker is not started at open; with results it reads them', async () => {
  const { dir, cfg } = setup();
  try {
    const first = await openViewerSession(cfg);
    try {
      assert.equal(workerStarted(first), false, 'the worker was started although there were no results to read');
    } finally {
      first.dispose();
    }
    const run = spawnSync(process.execPath, [BIN, 'run', cfg, '-q', '--no-report'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const second = await openViewerSession(cfg);
    try {
      assert.equal(workerStarted(second), true, 'the last results were not read in the worker');
      const cells = (second as unknown as { result: { tables: unknown } | null }).result;
      assert.ok(cells, 'the last results were not loaded');
    } finally {
      second.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
