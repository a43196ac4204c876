/** The fuzz seeds (committed generator outputs) and the case → mutant mapping shared by test and campaign. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mutate } from './tiff-mutate.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface Seed {
  name: string;
  bytes: Buffer;
}

/** Every valid TIFF of test/data/tiff and test/data/tiff-lzw (not the deliberately broken ones), sorted. */
export function fuzzSeeds(): Seed[] {
  const out: Seed[] = [];
  for (const d of ['test/data/tiff', 'test/data/tiff-lzw']) {
    for (const f of readdirSync(join(ROOT, d)).sort()) {
      if (!f.endsWith('.tif') || /^(not_a_tiff|truncated)/.test(f)) continue;
      out.push({ name: f, bytes: readFileSync(join(ROOT, d, f)) });
    }
  }
  return out;
}

/** Case `i`: seed i mod #seeds, mutated deterministically by case number. */
export function fuzzCase(seeds: Seed[], i: number): { bytes: Uint8Array; label: string } {
  const seed = seeds[i % seeds.length];
  const m = mutate(seed.bytes, i);
  return { bytes: m.bytes, label: `${seed.name}: ${m.how.join('; ')}` };
}
