/**
 * AtomicFileBatch (io/atomic-write.ts): files written under temporary names as they are added, published together by
 * commit, removed by abort; a failed write names its file and leaves the targets and no temporary file behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtomicFileBatch } from '../src/io/atomic-write.js';
import { isCellColocError } from '../src/core/errors.js';

const root = mkdtempSync(join(tmpdir(), 'cellcoloc-batch-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function dir(name: string): string {
  const d = join(root, name);
  mkdirSync(d);
  writeFileSync(join(d, 'a.csv'), 'old a');
  return d;
}

test('commit publishes every added file (text, bytes, chunks); nothing but the targets remains', async () => {
  const d = dir('commit');
  const b = new AtomicFileBatch();
  b.add(join(d, 'a.csv'), 'new a');
  b.add(join(d, 'b.bin'), new Uint8Array([1, 2, 3]));
  b.add(join(d, 'c.tif'), [new Uint8Array([4]), new Uint8Array([5, 6])]);
  // before commit the old content is still in place
  assert.equal(readFileSync(join(d, 'a.csv'), 'utf8'), 'old a');
  await b.commit();
  assert.equal(readFileSync(join(d, 'a.csv'), 'utf8'), 'new a');
  assert.deepEqual([...readFileSync(join(d, 'b.bin'))], [1, 2, 3]);
  assert.deepEqual([...readFileSync(join(d, 'c.tif'))], [4, 5, 6]);
  assert.deepEqual(readdirSync(d).sort(), ['a.csv', 'b.bin', 'c.tif']);
});

test('abort removes the temporary files and leaves the targets untouched', async () => {
  const d = dir('abort');
  const b = new AtomicFileBatch();
  b.add(join(d, 'a.csv'), 'new a');
  b.add(join(d, 'b.bin'), new Uint8Array(1 << 20));
  await b.abort();
  assert.equal(readFileSync(join(d, 'a.csv'), 'utf8'), 'old a');
  assert.deepEqual(readdirSync(d), ['a.csv']);
});

test('a write that fails: one ExportError naming that file, targets untouched, no temporary file left', async () => {
  const d = dir('fail');
  const b = new AtomicFileBatch();
  b.add(join(d, 'a.csv'), 'new a');
  b.add(join(d, 'missing-folder', 'x.csv'), 'x');
  await assert.rejects(b.commit(), (e: unknown) => isCellColocError(e) && /missing-folder[\\/]x\.csv: could not write the file/.test((e as Error).message));
  assert.equal(readFileSync(join(d, 'a.csv'), 'utf8'), 'old a');
  assert.deepEqual(readdirSync(d), ['a.csv']);
});

test('the same path added twice is refused', () => {
  const d = dir('twice');
  const b = new AtomicFileBatch();
  b.add(join(d, 'a.csv'), '1');
  assert.throws(() => b.add(join(d, 'a.csv'), '2'), /listed twice/);
  return b.abort();
});
