/**
 * The module graph of src/ has no import cycles (the guide: "dependencies pointing one way, no cycles"), type-only
 * imports included (a type cycle is still two modules that cannot be understood one without the other), and the
 * pipeline's layers point one way: nothing below cli/ imports cli/, and pipeline/ never imports experiment/.
 * Reads the sources themselves (static `import … from '…'` / `export … from '…'` specifiers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const target = resolve(dirname(file), m[1].replace(/\.js$/, '.ts'));
    if (existsSync(target)) out.push(target);
    else if (existsSync(target.replace(/\.ts$/, '.tsx'))) out.push(target.replace(/\.ts$/, '.tsx'));
  }
  return out;
}

const files = tsFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string) => relative(SRC, f);

test('src/ has no import cycles (type-only imports included)', () => {
  const state = new Map<string, 1 | 2>();
  const cycles: string[] = [];
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      const s = state.get(g);
      if (s === 1) cycles.push([...stack.slice(stack.indexOf(g)), g].map(rel).join(' → '));
      else if (s === undefined) visit(g);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
  assert.ok(files.length > 50, 'the scan found the sources');
});

test('layers point one way: only cli/ imports cli/; pipeline/ does not import experiment/ or cli/', () => {
  const bad: string[] = [];
  for (const [f, deps] of graph) {
    const area = rel(f).split('/')[0];
    for (const d of deps) {
      const to = rel(d).split('/')[0];
      if (to === 'cli' && area !== 'cli') bad.push(`${rel(f)} → ${rel(d)}`);
      if (area === 'pipeline' && to === 'experiment') bad.push(`${rel(f)} → ${rel(d)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('shared rendering lives in render/: report/ does not import viewer/; render/ imports neither viewer/ nor report/', () => {
  const bad: string[] = [];
  for (const [f, deps] of graph) {
    const area = rel(f).split('/')[0];
    for (const d of deps) {
      const to = rel(d).split('/')[0];
      if (area === 'report' && to === 'viewer') bad.push(`${rel(f)} → ${rel(d)}`);
      if (area === 'render' && (to === 'viewer' || to === 'report')) bad.push(`${rel(f)} → ${rel(d)}`);
    }
  }
  assert.deepEqual(bad, []);
  assert.ok([...graph.keys()].some((f) => rel(f).startsWith('render/')), 'render/ exists');
});

test('segmentation/ and roi/ sit below the outputs: they import neither export/, tables/, pipeline/ nor experiment/', () => {
  const bad: string[] = [];
  for (const [f, deps] of graph) {
    const area = rel(f).split('/')[0];
    if (area !== 'segmentation' && area !== 'roi') continue;
    for (const d of deps) {
      const to = rel(d).split('/')[0];
      if (['export', 'tables', 'pipeline', 'experiment'].includes(to)) bad.push(`${rel(f)} → ${rel(d)}`);
    }
  }
  assert.deepEqual(bad, []);
});
