/**
 * The long TIFF fuzz campaign of issue 15.6 (the suite runs the first 200 cases of the same sequence):
 *   npm run build && nice -n 10 node --import tsx scripts/fuzz-tiff.ts [cases=3000] [first=0] [parallel=2] [out=fuzz-out]
 * Prints the counts (cases, clean errors, successes, crashes, hangs); every crash or hang is written to
 * `out/` as a reproducer TIFF with its stderr.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzSeeds, fuzzCase } from '../test/helpers/fuzz-seeds.js';
import { runCampaign, type Outcome } from '../test/helpers/fuzz-runner.js';

const [cases = 3000, first = 0, parallel = 2] = process.argv.slice(2, 5).map(Number);
const out = process.argv[5] ?? 'fuzz-out';
const seeds = fuzzSeeds();
const counts: Record<Outcome, number> = { ok: 0, clean: 0, crash: 0, hang: 0 };
const work = mkdtempSync(join(tmpdir(), 'cellcoloc-fuzz-'));
const t0 = Date.now();
let done = 0;
let slowest = 0;
await runCampaign(cases, parallel, work, 60_000, (i) => fuzzCase(seeds, first + i), (i, label, r, bytes) => {
  counts[r.outcome]++;
  slowest = Math.max(slowest, r.ms);
  if (r.outcome === 'crash' || r.outcome === 'hang') {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `case-${first + i}.tif`), bytes);
    writeFileSync(join(out, `case-${first + i}.txt`), `${label}\n${r.outcome} exit=${r.code} signal=${r.signal}\n${r.stderr}`);
    process.stderr.write(`case ${first + i}: ${r.outcome} (${label})\n${r.stderr.slice(0, 300)}\n`);
  }
  if (++done % 100 === 0) process.stderr.write(`${done}/${cases} ${JSON.stringify(counts)}\n`);
});
rmSync(work, { recursive: true, force: true });
console.log(
  `cases ${cases} (first ${first}, seeds ${seeds.length}): clean errors ${counts.clean}, successes ${counts.ok}, ` +
    `crashes ${counts.crash}, hangs ${counts.hang}; slowest case ${slowest} ms; ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);
process.exitCode = counts.crash + counts.hang > 0 ? 1 : 0;
