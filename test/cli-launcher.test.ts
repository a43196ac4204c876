/**
 * bin/cellcoloc.mjs: the V8 flag it sets (WebAssembly modules compiled whole, off the main thread) is set before
 * the bundled CLI is loaded with the build's code cache, as when the build wrote that cache — V8 refuses a cache
 * made under other flags, and the CLI then compiles its start-up JavaScript anew on every run (~40 ms).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

test('the launcher loads the bundled CLI with its code cache accepted', (t) => {
  if (!existsSync('dist/cli/cellcoloc.bundle.cjs') || !readdirSync('dist/cli').some((f) => f.endsWith('.codecache'))) {
    t.skip('dist/ has no bundle with a code cache (npm run build writes both)');
    return;
  }
  const r = spawnSync(process.execPath, ['bin/cellcoloc.mjs', '--version'], { env: { ...process.env, CELLCOLOC_DEBUG_CODE_CACHE: '1' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /cellcoloc: code cache accepted/);
});
