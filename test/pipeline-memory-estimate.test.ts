/**
 * The peak-memory estimate (src/pipeline/memory-estimate.ts) against the peak RSS of a real `cellcoloc run` of
 * the demo image in a child process (the operating system's measurement, not ours): the estimate must not be
 * below it (it bounds `batch --jobs` and refuses runs that cannot fit) and not absurdly above (≤ 1.6×). Then the
 * config terms move the estimate the way the image geometry says they must.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/load-config.js';
import { estimatePeakMemory, estimatePeakMemoryForConfig, RUNTIME_BYTES } from '../src/pipeline/memory-estimate.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'data', 'demo', 'ht29_demo.yaml');

test('estimate of the demo run ≥ the measured peak RSS of `cellcoloc run` and ≤ 1.6× it', async () => {
  const config = await loadConfigFile(demo);
  const est = await estimatePeakMemoryForConfig(config);
  assert.deepEqual([...est.image.shapeTzcyx], [1, 1, 2, 512, 512]);
  const out = mkdtempSync(join(tmpdir(), 'cellcoloc-mem-'));
  try {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'cellcoloc.mjs'), 'run', demo, '-q', '--no-report', '--results-dir', out], {
      env: { ...process.env, CELLCOLOC_BENCH_STATS: '1' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const line = r.stderr.split('\n').find((l) => l.startsWith('CELLCOLOC_BENCH_STATS '));
    assert.ok(line, 'the CLI reports its peak RSS');
    const rssBytes = (JSON.parse(line!.slice('CELLCOLOC_BENCH_STATS '.length)) as { maxRssKiB: number }).maxRssKiB * 1024;
    assert.ok(est.peakBytes >= 0.97 * rssBytes, `estimate ${est.peakMiB} MiB below the measured ${(rssBytes / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(est.peakBytes <= 1.6 * rssBytes, `estimate ${est.peakMiB} MiB far above the measured ${(rssBytes / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('estimate terms: voxels × bytes, crop, single channel, Cellpose', async () => {
  const config = await loadConfigFile(demo);
  const img = { shapeTzcyx: [1, 10, 2, 1000, 1000] as const, dtype: 'uint16' as const };
  const e = estimatePeakMemory(img, config);
  assert.equal(e.voxels, 10 * 1000 * 1000);
  assert.deepEqual(e.counts, { channelsRead: 2, segmented: 2, labelVolumes: 3, cellpose: 0 });
  // two uint16 channels read: 2 × 2 B per voxel
  assert.equal(e.breakdown.channels, Math.ceil((10e6 * 4) / 2 ** 20));
  // ten times the voxels: the per-voxel part scales by ten, the runtime does not
  const small = estimatePeakMemory({ shapeTzcyx: [1, 1, 2, 1000, 1000], dtype: 'uint16' }, config);
  const perVoxel = (x: typeof e) => x.peakBytes - RUNTIME_BYTES - 1000 * 1000 * 5;
  assert.ok(Math.abs(perVoxel(e) / perVoxel(small) - 10) < 1e-9);
  // crop_for_testing: only the cropped voxels are loaded
  const cropped = estimatePeakMemory(img, { ...config, runtimeConfig: { ...config.runtimeConfig, cropForTesting: [[0, 5], [0, 100], [0, 1000]] } });
  assert.equal(cropped.voxels, 5 * 100 * 1000);
  // a Cellpose channel adds the runtime's arena and its flows
  const cp = estimatePeakMemory(img, { ...config, cellModelConfig: { ...config.cellModelConfig, segmentationMethod: 'cellpose' } });
  assert.equal(cp.counts.cellpose, 1);
  assert.ok(cp.peakBytes - e.peakBytes >= 600 * 2 ** 20 + 10e6 * 5 * 4);
});
