/**
 * Atomic writes with streamed contents (io/atomic-write.ts): a streamed file is written piece by piece at positions
 * into its temporary file; `settled` waits for the files added so far (a manifest listing the streamed files' sizes
 * is added after it); a failure anywhere leaves the earlier files untouched and no temporary file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtomicFileBatch, writeFilesAtomically, type StreamedContent } from '../src/io/atomic-write.js';

test('streamed contents land at their positions; a manifest added after `settled` sees their sizes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-atomic-'));
  try {
    let size = -1;
    const streamed: StreamedContent = {
      async stream(sink) {
        await sink.writeAt(Buffer.from('world'), 6); // the tail first, then the head
        await sink.writeAt(Buffer.from('hello '), 0);
        return (size = 11);
      },
    };
    const batch = new AtomicFileBatch();
    batch.add(join(dir, 'a.txt'), 'plain');
    batch.add(join(dir, 'b.txt'), streamed);
    await batch.settled();
    batch.add(join(dir, 'm.json'), JSON.stringify({ b: size }));
    await batch.commit();
    assert.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'hello world');
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'plain');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8')), { b: 11 });
    assert.deepEqual(readdirSync(dir).sort(), ['a.txt', 'b.txt', 'm.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stream that fails leaves the earlier files as they were and no temporary file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-atomic-'));
  try {
    for (const f of ['a.txt', 'b.txt', 'm.json']) writeFileSync(join(dir, f), `old ${f}`);
    await assert.rejects(
      writeFilesAtomically([
        { path: join(dir, 'a.txt'), data: 'new' },
        {
          path: join(dir, 'b.txt'),
          data: {
            async stream(sink) {
              await sink.writeAt(Buffer.from('partial'), 0);
              throw new Error('disk full');
            },
          },
        },
        { path: join(dir, 'm.json'), data: '{}' },
      ]),
      (err: Error) => /b\.txt: could not write the file \(disk full\)/.test(err.message),
    );
    for (const f of ['a.txt', 'b.txt', 'm.json']) assert.equal(readFileSync(join(dir, f), 'utf8'), `old ${f}`);
    assert.deepEqual(readdirSync(dir).sort(), ['a.txt', 'b.txt', 'm.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
