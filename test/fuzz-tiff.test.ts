/**
 * Issue 15.6: deterministic TIFF mutation fuzz test. Seeds are the committed generator outputs in
 * test/data/tiff (scripts/make_test_tiffs.py: OME, ImageJ, BigTIFF, big-endian, tiled, deflate/LZW/PackBits,
 * palette, interleaved, planar, float predictor) and test/data/tiff-lzw (scripts/make_lzw_tiffs.py, libtiff
 * LZW); test/helpers/tiff-mutate.ts derives the cases. Each case runs the built CLI in its own process with a
 * timeout and an address-space cap, two at a time. Asserted: no hang, no crash — exit 0 or one line
 * `cellcoloc: error: …` naming the file. The longer campaign is `scripts/fuzz-tiff.ts` (same cases, more).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzSeeds, fuzzCase } from './helpers/fuzz-seeds.js';
import { runCampaign, BIN, type Outcome } from './helpers/fuzz-runner.js';

const CASES = Number(process.env.CELLCOLOC_FUZZ_CASES ?? 200);
const dist = new URL('../dist/cli/cellcoloc.bundle.mjs', import.meta.url);

test(`TIFF fuzz: ${CASES} mutated files → no hang, no crash, one clean error line naming the file`, { timeout: 600_000 }, async (t) => {
  if (!existsSync(dist)) {
    t.skip('dist/ is not built (npm run build)');
    return;
  }
  assert.ok(existsSync(BIN));
  const seeds = fuzzSeeds();
  assert.ok(seeds.length >= 18, `only ${seeds.length} seeds`);
  const work = mkdtempSync(join(tmpdir(), 'cellcoloc-fuzz-'));
  const counts: Record<Outcome, number> = { ok: 0, clean: 0, crash: 0, hang: 0 };
  const bad: string[] = [];
  try {
    await runCampaign(CASES, 2, work, 30_000, (i) => fuzzCase(seeds, i), (i, label, r) => {
      counts[r.outcome]++;
      if (r.outcome === 'crash' || r.outcome === 'hang') {
        bad.push(`case ${i} (${label}): ${r.outcome}, exit ${r.code ?? r.signal}: ${r.stderr.slice(0, 400)}`);
      }
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  t.diagnostic(`cases ${CASES}: ${counts.clean} clean errors, ${counts.ok} successes, ${counts.crash} crashes, ${counts.hang} hangs`);
  assert.deepEqual(bad, []);
  // The mutants must actually exercise both paths (a generator producing only garbage would prove nothing).
  assert.ok(counts.ok > CASES * 0.05 && counts.clean > CASES * 0.2, JSON.stringify(counts));
});
