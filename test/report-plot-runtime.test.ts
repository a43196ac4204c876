/**
 * The built plotting bundle (dist/report/plot-runtime.bundle.cjs) and V8's code cache the build stores beside it
 * (src/report/load-plot-runtime.ts): the cache is accepted by the node that built it, a foreign cache is
 * rejected without harm, and either way the bundle draws the same SVG as the plotting libraries imported from
 * node_modules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FILE, CODE_CACHE_FILE, loadBundle, type PlotRuntime } from '../src/report/load-plot-runtime.js';
import { renderPlot } from '../src/report/render-plot.js';
import type { PlotSpec } from '../src/report/plot-spec.js';

const dir = fileURLToPath(new URL('../dist/report/', import.meta.url));
const bundle = `${dir}${BUNDLE_FILE}`;
const cache = `${dir}${CODE_CACHE_FILE}`;

const spec: PlotSpec = {
  id: 'overlap-rule',
  title: 'overlap',
  caption: '',
  kind: 'scatter',
  x: { field: 'v', label: 'overlap voxels', type: 'symlog' },
  y: { field: 'f', label: 'overlap fraction' },
  color: { field: 'group', label: 'cells', domain: ['neg', 'pos'], range: ['#9e9e9e', '#e69f00'] },
  data: Array.from({ length: 40 }, (_, i) => ({ v: i * i, f: (i % 10) / 10, group: i % 3 ? 'neg' : 'pos', cell_label: i + 1 })),
  tooltip: ['cell_label', 'v', 'f'],
  rules: [
    { axis: 'x', value: 10, label: 'min_overlap_voxels = 10' },
    { axis: 'y', value: 0.05, label: 'overlap_fraction_threshold = 0.05' },
  ],
};

test('the built plotting bundle with its code cache draws what the libraries draw; a foreign cache is rejected harmlessly', async (t) => {
  if (!existsSync(bundle) || !existsSync(cache)) {
    t.skip('dist/ is not built (npm run build)');
    return;
  }
  const fromSource = (await import('../src/report/plot-runtime.js')) as PlotRuntime;
  const expected = renderPlot(fromSource, spec);
  assert.match(expected, /<svg[\s\S]*<circle/);

  const cached = loadBundle(bundle, readFileSync(cache));
  assert.equal(cached.cacheRejected, false, 'the build stores a cache this node accepts');
  assert.equal(renderPlot(cached.exports, spec), expected);

  const foreign = loadBundle(bundle, Buffer.from('not a V8 code cache'.repeat(64)));
  assert.equal(foreign.cacheRejected, true);
  assert.equal(renderPlot(foreign.exports, spec), expected);
});
