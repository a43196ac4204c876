/**
 * What `npm pack` ships (issue 13.2): everything a message or the README points an installed user to —
 * scripts/export_cellpose_onnx.py (Cellpose model conversion) and docs/ — is in the package, beside bin, dist,
 * data and models. Read from `npm pack --dry-run --json` (npm's own file list, scripts not run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('npm pack includes the converter script, docs/ and every referenced doc that exists', () => {
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const packed = new Set((JSON.parse(json) as { files: { path: string }[] }[])[0].files.map((f) => f.path));
  for (const must of ['scripts/export_cellpose_onnx.py', 'docs/cellpose-models.md', 'README.md', 'bin/cellcoloc.mjs', 'data/demo/ht29_demo.yaml']) {
    assert.ok(packed.has(must), `${must} is not in the package`);
  }
  for (const f of readdirSync('docs')) assert.ok(packed.has(`docs/${f}`), `docs/${f} is not in the package`);
  // Paths that messages and comments in the sources (config template, errors) point users to.
  const referenced = new Set<string>();
  for (const f of sourceFiles('src')) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\b(docs\/[\w.-]+\.md|scripts\/[\w.-]+\.py)\b/g)) referenced.add(m[1]);
  }
  assert.ok(referenced.has('scripts/export_cellpose_onnx.py') && referenced.has('docs/cellpose-models.md'));
  for (const r of referenced) if (existsSync(r)) assert.ok(packed.has(r), `${r} is referenced but not packed`);
  assert.ok(!packed.has('test/fixtures/README.md'), 'test fixtures stay out of the package');
});
