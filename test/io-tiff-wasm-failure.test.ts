/**
 * Issue 15.1 reproducer: a ZSTD strip whose WebAssembly decoder cannot load (here: the fuzz harness's 4 GiB
 * address-space cap, under which V8 cannot reserve WebAssembly memory) must end in ONE error line naming the file.
 * It escaped as an unhandled rejection: zstddec loads its WebAssembly through `fetch()`, whose own lazily
 * instantiated WebAssembly parser (undici's llhttp) failed outside any awaited promise — the process printed
 * `cellcoloc: error: WebAssembly.instantiate(): Out of memory …` without the file. Runs the built CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { craftTiff, greyPage } from './helpers/tiff-craft.js';
import { runCase } from './helpers/fuzz-runner.js';

const dist = new URL('../dist/cli/cellcoloc.bundle.mjs', import.meta.url);

test('reproducer: ZSTD strip with its WebAssembly decoder failing to load → one clean error naming the file', { timeout: 120_000 }, async (t) => {
  if (!existsSync(dist)) {
    t.skip('dist/ is not built (npm run build)');
    return;
  }
  // A frame with the ZSTD magic and a declared size of 64 bytes (single segment), so that the decoder is loaded.
  const junk = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 77 + 5) & 255));
  const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 64, ...junk]);
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-zstd-wasm-'));
  try {
    const r = await runCase(dir, craftTiff([greyPage({ width: 8, height: 8, data: frame, compression: 50000 })]), 60_000);
    assert.equal(r.outcome, 'clean', JSON.stringify(r));
    assert.match(r.stderr, /^cellcoloc: error: \S+case\.tif: corrupt ZSTD data in strip 0 of page 0 \(/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
