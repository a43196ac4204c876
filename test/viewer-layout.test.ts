/**
 * Issue 16.8: the browser app keeps one job per module — the model (state.ts) never imports rendering, DOM or
 * network code, only geometry.ts converts between image and screen coordinates, and no app file grows past
 * ~400 lines. Read from the sources (import lines and line counts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '../src/viewer/app');
const files = readdirSync(APP).filter((f) => f.endsWith('.ts'));
const imports = (f: string): string[] => [...readFileSync(join(APP, f), 'utf8').matchAll(/^import[^;]*?from '([^']+)'/gms)].map((m) => m[1]);

test('state.ts (the model) imports no rendering, DOM, panel or network module', () => {
  const allowed = new Set(['./api.js', './geometry.js', '../layer-style.js']);
  for (const i of imports('state.ts')) assert.ok(allowed.has(i), `state.ts imports ${i}`);
  // api.ts and geometry.ts are imported for types only.
  const src = readFileSync(join(APP, 'state.ts'), 'utf8');
  assert.match(src, /import type \{[^}]*\} from '\.\/api\.js'/);
  assert.match(src, /import type \{[^}]*\} from '\.\/geometry\.js'/);
});

test('every app module stays under ~400 lines; only geometry.ts turns image [y, x] into screen positions', () => {
  for (const f of files) {
    const n = readFileSync(join(APP, f), 'utf8').split('\n').length;
    assert.ok(n <= 420, `${f}: ${n} lines`);
  }
  for (const f of files.filter((x) => x !== 'geometry.ts')) {
    const src = readFileSync(join(APP, f), 'utf8');
    // The pan/zoom formula (tx + x · scale) appears nowhere else.
    assert.doesNotMatch(src, /\.tx \+ [^;\n]*\* *(model\.)?view\.scale/, `${f} converts coordinates itself`);
  }
});
