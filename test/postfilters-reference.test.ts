import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseDir, readJson, readTiffPagesReference } from './helpers/fixtures.js';
import { applyPostfilters } from '../src/segmentation/postfilters.js';
import type { ModelConfig } from '../src/config/types.js';

const here = dirname(fileURLToPath(import.meta.url));
type PF = Parameters<typeof applyPostfilters>[2];

/** snake_case parameter block (as the original's dataclass) → our camelCase fields. */
function fromSnake(p: any): PF {
  return {
    postfilters: p.postfilters,
    postfilterMinObjectVoxels: p.postfilter_min_object_voxels,
    minIntensityMeasure: p.min_intensity_measure,
    minIntensityThreshold: p.min_intensity_threshold,
    localContrastK: p.local_contrast_k,
    localContrastShellInnerRadius: p.local_contrast_shell_inner_radius,
    localContrastShellOuterRadius: p.local_contrast_shell_outer_radius,
    brightPixelMeasure: p.bright_pixel_measure,
    brightPixelThreshold: p.bright_pixel_threshold,
    brightPixelMinCount: p.bright_pixel_min_count,
    brightPixelMinFraction: p.bright_pixel_min_fraction,
  } satisfies Partial<ModelConfig>;
}

test('matches scikit-image/SciPy postfilters on random 2D/3D scenes (test/data/postfilters, scripts/make_postfilter_fixtures.py)', () => {
  const dir = join(here, 'data', 'postfilters');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 4);
  let localContrastRemovals = 0;
  for (const f of files) {
    const doc = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const shape = doc.shape as [number, number, number];
    const labels = { data: Uint32Array.from(doc.labels), shape };
    const intensity = { data: Float32Array.from(doc.intensity), shape };
    doc.runs.forEach((run: any, i: number) => {
      const r = applyPostfilters(labels, intensity, fromSnake(run.params));
      assert.deepEqual(
        r.steps,
        run.steps.map((s: any) => ({ postfilter: s.postfilter, nIn: s.n_in, nOut: s.n_out, removed: s.removed })),
        `${f} run ${i} (${JSON.stringify(run.params.postfilters)})`,
      );
      assert.deepEqual(Array.from(r.labels.data), run.final_labels, `${f} run ${i} final labels`);
      for (const s of run.steps) if (s.postfilter === 'local_contrast') localContrastRemovals += s.removed.length;
    });
  }
  assert.ok(localContrastRemovals >= 10, 'the reference data exercises local_contrast removals');
});

test("fixture 2d_two_channel_li_percentile_rois: the original's postfilter configs keep every label of its own final masks", async () => {
  const dir = caseDir('2d_two_channel_li_percentile_rois');
  const cfg = readJson(join(dir, 'config.json'));
  const input = await readTiffPagesReference(join(dir, 'input.ome.tif')); // CYX, uint16
  assert.equal(input.pages, 2);
  const plane = input.height * input.width;
  const shape = [1, input.height, input.width] as [number, number, number];
  const channel = (c: number) => ({ data: (input.data as Uint16Array).slice(c * plane, (c + 1) * plane), shape });
  const masks = async (name: string) => {
    const t = await readTiffPagesReference(join(dir, 'expected', name));
    return { data: Uint32Array.from(t.data as Uint32Array), shape };
  };
  const steps = readJson(join(dir, 'expected', 'thresholds.json')).postfilter_steps;

  // Cells: min_size (120) then min_intensity (median > 330). The original removed 7 then 1.
  const cells = await masks('cell_masks.tif');
  const rc = applyPostfilters(cells, channel(0), fromSnake(cfg.cell_model_config), { keyPrefix: 'cell_model_config' });
  assert.deepEqual(rc.steps.map((s) => s.postfilter), ['min_size', 'min_intensity']);
  assert.ok(rc.steps.every((s) => s.removed.length === 0 && s.nIn === 10));
  const removedCells = steps.filter((s: any) => s.channel_role === 'cell').flatMap((s: any) => s.removed_labels);
  assert.deepEqual(removedCells, [7, 1]);
  for (const id of removedCells) assert.ok(!cells.data.includes(id));

  // Marker: local_contrast (k 15, shell 1..4) then bright_pixel_support (fraction of > 700 >= 0.3).
  const markers = await masks('marker_masks.tif');
  const rm = applyPostfilters(markers, channel(1), fromSnake(cfg.marker_model_config), { keyPrefix: 'marker_model_config' });
  assert.deepEqual(rm.steps, [
    { postfilter: 'local_contrast', nIn: 8, nOut: 8, removed: [] },
    { postfilter: 'bright_pixel_support', nIn: 8, nOut: 8, removed: [] },
  ]);
  // A stricter fraction removes exactly the survivors below it: fraction 0.4 drops label 7 (4/11 ≈ 0.364).
  const strict = applyPostfilters(markers, channel(1), { ...fromSnake(cfg.marker_model_config), postfilters: ['bright_pixel_support'], brightPixelMinFraction: 0.4 });
  assert.deepEqual(strict.steps[0].removed, [7]);
});
