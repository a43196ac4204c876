/**
 * scripts/export_cellpose_onnx.py, the Cellpose → ONNX converter users run where torch and Cellpose live: its
 * decisions (Cellpose version from metadata or module layout, refusing model names the installed version does
 * not have, onnxruntime checked before a --check export, dynamo=False, diam_labels metadata) are plain Python
 * functions tested by test/python/test_export_cellpose_onnx.py, run here with python3. torch and Cellpose are
 * not needed (and not installed here), so the export itself is not exercised by this suite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

test('export_cellpose_onnx.py: Python unit tests of its decisions pass (python3, no torch needed)', () => {
  const r = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'test/python', '-p', 'test_*.py'], {
    cwd: resolve('.'),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) assert.fail(`python3 could not be started (${r.error.message}): install python3 to run these tests (.ci/run does)`);
  assert.equal(r.status, 0, r.stderr);
  const ran = /Ran (\d+) tests?/.exec(r.stderr);
  assert.ok(ran && Number(ran[1]) >= 12, `expected at least 12 Python tests, got: ${r.stderr.slice(-500)}`);
  assert.match(r.stderr, /\nOK\n?$/);
});
