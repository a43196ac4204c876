/**
 * The marker channel segmented in a worker thread gives exactly the single-thread result, and worker
 * errors come back as the same tagged one-line errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseDir } from './helpers/fixtures.js';
import { configFromFixture } from './helpers/fixture-config.js';
import { runWorkflow } from '../src/pipeline/workflow.js';
import { SegmentationWorker } from '../src/pipeline/segment-workers.js';
import { createFullImageRoiLabels } from '../src/roi/full-image.js';
import { defaultModelConfig } from '../src/config/schema.js';
import { isCellColocError } from '../src/core/errors.js';

test('worker-thread segmentation equals the single-thread run (3D fixture, every output file)', async () => {
  const dir = caseDir('3d_two_channel_otsu_fullroi');
  const a = mkdtempSync(join(tmpdir(), 'cellcoloc-w1-'));
  const b = mkdtempSync(join(tmpdir(), 'cellcoloc-w2-'));
  try {
    const serial = await runWorkflow({ ...configFromFixture(dir), resultsDir: a }, { parallel: false });
    const parallel = await runWorkflow({ ...configFromFixture(dir), resultsDir: b }, { parallel: true });
    assert.ok(parallel.timings.some((t) => t.stage.includes('worker')), 'the worker path ran');
    assert.ok(!serial.timings.some((t) => t.stage.includes('worker')), 'the serial path ran');
    assert.deepEqual(parallel.result.markerMasks.data, serial.result.markerMasks.data);
    for (const f of readdirSync(a).filter((f) => /\.(csv|tif)$/.test(f))) {
      assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
    }
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('an error inside the worker comes back tagged, with its message', async () => {
  const worker = SegmentationWorker.start();
  try {
    const image = { data: new Uint16Array(16 * 16).fill(5), shape: [1, 16, 16] as const };
    const config = { ...defaultModelConfig(), segmentationMethod: 'otsu' as const, prefilter: ['median' as const], prefilterMedianSizeXy: 0 };
    await assert.rejects(
      worker.segment({ image, roiLabels: createFullImageRoiLabels([16, 16]), config, zBounds: null, voxelSizeUm: [1, 1, 1] }),
      (err: unknown) => isCellColocError(err, 'ValueError') && /median/.test((err as Error).message),
    );
  } finally {
    await worker.close();
  }
});
