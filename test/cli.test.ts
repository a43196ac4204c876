/**
 * The `cellcoloc` command end to end (in-process `main`, the same code the bin runs): run, demo, init,
 * --version, determinism, and the error paths (one line, non-zero exit, earlier results untouched).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, existsSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { caseDir } from './helpers/fixtures.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'cellcoloc-cli-'));
}

const fixture2d = join(caseDir('2d_two_channel_otsu_fullroi'), 'input.ome.tif');

function writeConfig(dir: string, body: string, name = 'config.yaml'): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
}

const goodConfig = (image: string, extra = '') => `image: ${image}
channel_config: {cell_channel: 0, marker_channel: 1}
cell_model_config: {segmentation_method: otsu}
marker_model_config: {segmentation_method: otsu}
colocalization_config: {min_cell_voxels: 80, overlap_fraction_threshold: 0.02, min_overlap_voxels: 20}
rois: full
${extra}`;

test('--version prints the package version', async () => {
  const r = await cli(['--version']);
  assert.equal(r.code, 0);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(r.out.trim(), pkg.version);
});

test('--help lists the commands', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['run', 'demo', 'init']) assert.match(r.out, new RegExp(`\\b${c}\\b`));
});

test('run: 2D fixture gives the original counts (15 cells, 8 positive, 17 markers) and byte-identical files twice', async () => {
  const dir = tmp();
  try {
    const cfg = writeConfig(dir, goodConfig(fixture2d, 'results_dir: out\n'));
    const r1 = await cli(['run', cfg, '-q']);
    assert.equal(r1.code, 0, r1.err);
    assert.match(r1.out, /^\s+1\s+15\s+8\s+17$/m);
    assert.match(r1.out, new RegExp(`results: ${join(dir, 'out').replace(/[/\\]/g, '.')}`));
    const files = readdirSync(join(dir, 'out')).sort();
    for (const f of [
      'input.ome_cell_colocalization.csv',
      'input.ome_cell_colocalization.xlsx',
      'input.ome_cell_masks.tif',
      'input.ome_marker_masks.tif',
      'input.ome_positive_cell_masks.tif',
      'input.ome_roi_labelmask.tif',
      'input.ome_run_manifest.json',
      'input.ome_cell_summary.csv',
    ]) {
      assert.ok(files.includes(f), `missing ${f} in ${files.join(', ')}`);
    }
    assert.ok(!files.some((f) => f.includes('.tmp')), 'no temporary files left');
    const snapshot = new Map(files.filter((f) => /\.(csv|tif)$/.test(f)).map((f) => [f, readFileSync(join(dir, 'out', f))]));
    const r2 = await cli(['run', cfg, '-q']);
    assert.equal(r2.code, 0, r2.err);
    for (const [f, bytes] of snapshot) assert.ok(bytes.equals(readFileSync(join(dir, 'out', f))), `${f} differs between runs`);
    const manifest = JSON.parse(readFileSync(join(dir, 'out', 'input.ome_run_manifest.json'), 'utf8'));
    assert.ok(JSON.stringify(manifest).includes('436.447265625'), 'manifest records the cell Otsu threshold');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init writes a commented config that names every section', async () => {
  const dir = tmp();
  try {
    const p = join(dir, 'my.yaml');
    const r = await cli(['init', p]);
    assert.equal(r.code, 0, r.err);
    const text = readFileSync(p, 'utf8');
    for (const k of ['channel_config', 'cell_model_config', 'marker_model_config', 'colocalization_config', 'runtime_config', 'rois', 'display_names']) {
      assert.match(text, new RegExp(`^${k}:`, 'm'));
    }
    // With only the image path edited, the example runs as is.
    writeFileSync(p, text.replace(/^image: .*$/m, `image: ${fixture2d}`).replace(/^results_dir: null$/m, `results_dir: ${join(dir, 'res')}`));
    const run = await cli(['run', p, '-q']);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^\s+1\s+\d+\s+\d+\s+\d+$/m);
    const again = await cli(['init', p]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already exists/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Every bad input: exit 1, exactly one stderr line `cellcoloc: error: …` matching `pattern`. */
async function assertOneLineError(args: string[], pattern: RegExp) {
  const r = await cli(args);
  assert.equal(r.code, 1, `expected failure, got ${r.code}: ${r.out}`);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.err}`);
  assert.match(lines[0], /^cellcoloc: error: /);
  assert.match(lines[0], pattern);
}

test('errors: one clear line and a non-zero exit for each kind of bad input', async () => {
  const dir = tmp();
  try {
    await assertOneLineError(['run', join(dir, 'nope.yaml')], /nope\.yaml/);
    await assertOneLineError(['run', writeConfig(dir, goodConfig(fixture2d, 'colour: red\n'), 'a.yaml')], /colour/);
    await assertOneLineError(
      ['run', writeConfig(dir, goodConfig(fixture2d).replace('min_cell_voxels: 80', 'min_cell_voxels: lots'), 'b.yaml')],
      /colocalization_config\.min_cell_voxels/,
    );
    await assertOneLineError(['run', writeConfig(dir, goodConfig(join(dir, 'missing.tif')), 'c.yaml')], /missing\.tif/);
    writeFileSync(join(dir, 'garbage.tif'), 'this is not a TIFF file at all');
    await assertOneLineError(['run', writeConfig(dir, goodConfig(join(dir, 'garbage.tif')), 'd.yaml')], /garbage\.tif/);
    const truncated = readFileSync(fixture2d).subarray(0, 60000);
    writeFileSync(join(dir, 'truncated.ome.tif'), truncated);
    await assertOneLineError(['run', writeConfig(dir, goodConfig(join(dir, 'truncated.ome.tif')), 'e.yaml')], /truncated\.ome\.tif/);
    await assertOneLineError(
      ['run', writeConfig(dir, goodConfig(fixture2d).replace('marker_channel: 1', 'marker_channel: 5'), 'f.yaml')],
      /marker_channel.*5/,
    );
    // An all-zero ROI label image: nothing to analyse.
    writeFileSync(join(dir, 'empty_roi.tif'), encodeTiffStack({ data: new Uint16Array(256 * 256), shape: [1, 256, 256] }, {}));
    await assertOneLineError(
      ['run', writeConfig(dir, goodConfig(fixture2d).replace('rois: full', `rois: {label_image: ${join(dir, 'empty_roi.tif')}}`), 'g.yaml')],
      /no ROI/,
    );
    // A ROI image of the wrong size (fix Q22).
    writeFileSync(join(dir, 'small_roi.tif'), encodeTiffStack({ data: new Uint16Array(64 * 64).fill(1), shape: [1, 64, 64] }, {}));
    await assertOneLineError(
      ['run', writeConfig(dir, goodConfig(fixture2d).replace('rois: full', `rois: {label_image: ${join(dir, 'small_roi.tif')}}`), 'h.yaml')],
      /\(64, 64\).*\(256, 256\)/,
    );
    await assertOneLineError(
      ['run', writeConfig(dir, goodConfig(fixture2d, 'runtime_config: {crop_for_testing: [[0, 1], [0, 999], [0, 64]]}\n'), 'i.yaml')],
      /crop_for_testing/,
    );
    await assertOneLineError(['run', writeConfig(dir, goodConfig(fixture2d, 'voxel_scale_zyx: [1.0, .nan]\n'), 'j.yaml')], /voxel_scale_zyx/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing run leaves the earlier results untouched', async () => {
  const dir = tmp();
  try {
    copyFileSync(fixture2d, join(dir, 'img.ome.tif'));
    const cfg = writeConfig(dir, goodConfig(join(dir, 'img.ome.tif')));
    assert.equal((await cli(['run', cfg, '-q'])).code, 0);
    const resultsDir = join(dir, 'results');
    const before = new Map(readdirSync(resultsDir).map((f) => [f, readFileSync(join(resultsDir, f))]));
    // Same image, now corrupt: the run must fail before touching results/.
    writeFileSync(join(dir, 'img.ome.tif'), readFileSync(fixture2d).subarray(0, 5000));
    const r = await cli(['run', cfg, '-q']);
    assert.equal(r.code, 1);
    const after = readdirSync(resultsDir);
    assert.deepEqual(after.sort(), [...before.keys()].sort());
    for (const [f, bytes] of before) assert.ok(bytes.equals(readFileSync(join(resultsDir, f))), `${f} changed`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('crop_for_testing writes to its own results folder (fix Q22)', async () => {
  const dir = tmp();
  try {
    const cfg = writeConfig(dir, goodConfig(fixture2d, `results_dir: out\nruntime_config: {crop_for_testing: [[0, 1], [0, 128], [0, 128]]}\n`));
    const r = await cli(['run', cfg, '-q']);
    assert.equal(r.code, 0, r.err);
    assert.ok(!existsSync(join(dir, 'out', 'input.ome_cell_masks.tif')), 'a cropped run must not write the full-run file names');
    const sub = readdirSync(join(dir, 'out'));
    assert.equal(sub.length, 1);
    assert.match(sub[0], /crop/);
    assert.ok(existsSync(join(dir, 'out', sub[0], 'input.ome_cell_masks.tif')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('demo: the shipped HT29 example runs and finds a plausible number of pH3-positive nuclei', async () => {
  const dir = tmp();
  try {
    const r = await cli(['demo', '--results-dir', dir, '-q']);
    assert.equal(r.code, 0, r.err);
    const m = r.out.match(/^\s+1\s+(\d+)\s+(\d+)\s+(\d+)$/m);
    assert.ok(m, r.out);
    const [nCells, nPos, nMarkers] = m.slice(1).map(Number);
    // Sanity ranges from the dataset's README (threshold segmentation merges some touching nuclei).
    assert.ok(nCells >= 200 && nCells <= 320, `cells ${nCells}`);
    assert.ok(nPos >= 15 && nPos <= 25, `positive ${nPos}`);
    assert.ok(nMarkers >= 15 && nMarkers <= 30, `markers ${nMarkers}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('positivity_rule: union adds the union columns and can only call more cells positive than best_object', async () => {
  const dir = tmp();
  try {
    const best = await cli(['run', writeConfig(dir, goodConfig(fixture2d, 'results_dir: best\n'), 'best.yaml'), '-q']);
    const union = await cli([
      'run',
      writeConfig(dir, goodConfig(fixture2d, 'results_dir: union\n').replace('min_overlap_voxels: 20}', 'min_overlap_voxels: 20, positivity_rule: union}'), 'union.yaml'),
      '-q',
    ]);
    assert.equal(best.code, 0, best.err);
    assert.equal(union.code, 0, union.err);
    const header = (d: string) => readFileSync(join(dir, d, 'input.ome_cell_summary.csv'), 'utf8').split('\n')[0].split(',');
    assert.ok(!header('best').includes('union_overlap_voxels'));
    const h = header('union');
    assert.deepEqual(h.slice(h.indexOf('best_overlap_fraction') + 1, h.indexOf('best_overlap_fraction') + 3), ['union_overlap_voxels', 'union_overlap_fraction']);
    const positives = (out: string) => Number(out.match(/^\s+1\s+\d+\s+(\d+)\s+\d+$/m)![1]);
    assert.ok(positives(union.out) >= positives(best.out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
