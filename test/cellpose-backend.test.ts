/**
 * Cellpose backend integration (issue 7): end-to-end parity of run and refinement with the original CellColoc
 * running real Cellpose 4 (upstream cases `2d_two_channel_cellpose_fullroi`, `3d_two_channel_cellpose_fullroi`:
 * the exact network as ONNX in the case folder), the on-disk cache (hit = no network call), refinement fixes
 * Q7 (unchanged thresholds reproduce the run), Q9 (z-crop), Q10 (thresholds with the channel config omitted),
 * error paths, and `cellcoloc run` + `cellcoloc refine` with the random-weight network in 2D and 3D.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseDir, readTiffPagesReference, readCsv, readJson, close, CELLPOSE_FIXTURES, type Csv } from './helpers/fixtures.js';
import { configFromFixture } from './helpers/fixture-config.js';
import { runWorkflow } from '../src/pipeline/workflow.js';
import { runRoiColocalization } from '../src/pipeline/run.js';
import { loadAnalysisImages } from '../src/pipeline/load-images.js';
import { prepareLoadedImagesForAnalysis } from '../src/pipeline/z-stack.js';
import { createFullImageRoiLabels } from '../src/roi/full-image.js';
import { refineRunResultFromCellposeCache, runRefineWorkflow } from '../src/pipeline/refine.js';
import {
  cellposeNiter,
  createCellposeBackends,
  defaultCellposeStages,
  resolveCellposeEval,
  type CellposeStages,
} from '../src/segmentation/cellpose/backend.js';
import { cacheFileName, parseCacheEntry, readCacheEntry } from '../src/segmentation/cellpose/cache.js';
import { defaultModelConfig } from '../src/config/schema.js';
import { main } from '../src/cli/main.js';
import type { AnalysisConfig } from '../src/config/types.js';
import type { Volume } from '../src/core/volume.js';

const SHEETS = ['detailed_overlaps', 'cell_summary', 'marker_properties', 'roi_coloc_overview', 'roi_cell_summary', 'roi_marker_summary'];
const FINE = /perimeter|roundness|eccentricity|ellipticity/;
const RENAMED: Record<string, string> = { centroid_z_x: 'centroid_z', centroid_y_x: 'centroid_y', centroid_x_x: 'centroid_x' };
const DROPPED = new Set(['centroid_z_y', 'centroid_y_y', 'centroid_x_y']);
const STEM = 'input.ome';
const RANDOM_NET = join(CELLPOSE_FIXTURES, 'v4net', 'cpsam_tiny_random.onnx');

const csvPath = (dir: string, sheet: string) =>
  sheet === 'detailed_overlaps' ? join(dir, `${STEM}_cell_colocalization.csv`) : join(dir, `${STEM}_${sheet}.csv`);

/** As `test/pipeline-parity.test.ts`: columns renamed by the Q3 fix; relative 1e-6 (1e-12 for perimeter-based columns). */
function compareCsv(sheet: string, ours: Csv, expected: Csv) {
  const expectedHeader = expected.header.filter((h) => !DROPPED.has(h)).map((h) => RENAMED[h] ?? h);
  assert.deepEqual(ours.header, expectedHeader, `${sheet}: columns`);
  assert.equal(ours.rows.length, expected.rows.length, `${sheet}: row count`);
  for (let r = 0; r < expected.rows.length; r++) {
    for (let c = 0; c < expected.header.length; c++) {
      const name = expected.header[c];
      if (DROPPED.has(name)) continue;
      const o = ours.rows[r][ours.header.indexOf(RENAMED[name] ?? name)];
      const e = expected.rows[r][c];
      if (e === 'True' || e === 'False' || e === '') {
        assert.equal(o, e, `${sheet} row ${r} ${name}`);
        continue;
      }
      assert.ok(close(Number(o), Number(e), FINE.test(name) ? 1e-12 : 1e-6), `${sheet} row ${r} ${name}: ours ${o}, original ${e}`);
    }
  }
}

async function assertMaskEqual(path: string, expectedPath: string, what: string) {
  const ours = await readTiffPagesReference(path);
  const exp = await readTiffPagesReference(expectedPath);
  assert.deepEqual([ours.pages, ours.height, ours.width], [exp.pages, exp.height, exp.width], `${what}: shape`);
  let diff = 0;
  for (let i = 0; i < exp.data.length; i++) if (ours.data[i] !== exp.data[i]) diff++;
  assert.equal(diff, 0, `${what}: ${diff} voxels differ`);
}

/** `.npy` (format 1.0, little-endian float32, C order) → Float32Array. */
function readNpyF32(path: string): Float32Array {
  const b = readFileSync(path);
  const off = 10 + b.readUInt16LE(8);
  assert.match(b.subarray(10, off).toString('latin1'), /'descr': '<f4'/);
  return new Float32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length));
}

/** Every result file of a run (CSVs, masks) as bytes, by name: to check that a refinement reproduces a run exactly. */
function snapshot(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const f of readdirSync(dir)) if (f.endsWith('.csv') || f.endsWith('_masks.tif')) m.set(f, readFileSync(join(dir, f)));
  return m;
}

function tmp(prefix = 'cellcoloc-cellpose-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------
// Parity with the original (real Cellpose 4, exact network as ONNX)
// ---------------------------------------------------------------------------------------------

for (const name of ['2d_two_channel_cellpose_fullroi', '3d_two_channel_cellpose_fullroi']) {
  test(`parity ${name}: first run, unchanged-threshold refinement (= run, Q7) and refinement (= expected/refined)`, async () => {
    const dir = caseDir(name);
    const out = tmp();
    try {
      const cp = readJson(join(dir, 'expected', 'cellpose.json'));
      const refineArgs = readJson(join(dir, 'config.json')).refine;
      const config: AnalysisConfig = { ...configFromFixture(dir), resultsDir: out };
      const res = await runWorkflow(config);

      // Per-ROI Cellpose calls: raw mask counts, niter and thresholds as the original's `_compute_masks` calls.
      const calls = [...res.result.segmentation.cell, ...res.result.segmentation.marker];
      assert.equal(calls.length, cp.compute_masks_calls_run.length);
      calls.forEach((c, i) => {
        const exp = cp.compute_masks_calls_run[i];
        const info = c.info.cellpose as Record<string, unknown>;
        assert.equal(c.info.nLabelsRaw, exp.n_masks, `call ${i}: raw masks`);
        assert.equal(info.niter, exp.kwargs.niter);
        assert.equal(info.cellprobThreshold, exp.kwargs.cellprob_threshold);
        assert.equal(info.flowThreshold, exp.kwargs.flow_threshold);
        assert.equal(info.do3d, exp.kwargs.do_3D);
        assert.equal(info.cache, 'miss');
      });
      // The cached network outputs equal the original's refinement cache (ORT vs torch: < 1e-4 on logits up to ~10).
      const cacheDir = join(out, `${STEM}_cellpose_cache`);
      for (const f of readdirSync(join(dir, 'expected', 'cellpose_cache'))) {
        const [channel, roi, array] = f.replace('.npy', '').split('_');
        const entry = (await readCacheEntry(join(cacheDir, `${channel}_${roi}.cpcache`)))!;
        const exp = readNpyF32(join(dir, 'expected', 'cellpose_cache', f));
        const ours = array === 'dP' ? entry.dP : entry.cellprob;
        assert.equal(ours.length, exp.length, f);
        let maxDiff = 0;
        for (let i = 0; i < exp.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - exp[i]));
        assert.ok(maxDiff < 1e-4, `${f}: max |ours - original| = ${maxDiff}`);
      }
      for (const m of ['cell_masks', 'marker_masks', 'positive_cell_masks']) {
        await assertMaskEqual(join(out, `${STEM}_${m}.tif`), join(dir, 'expected', `${m}.tif`), m);
      }
      for (const sheet of SHEETS) compareCsv(sheet, readCsv(csvPath(out, sheet)), readCsv(join(dir, 'expected', `${sheet}.csv`)));
      const firstRun = snapshot(out);

      // Refinement without new thresholds reproduces the run byte for byte (fix Q7: clipping in both).
      const same = await runRefineWorkflow(config);
      assert.equal(same.result.refinement.cell.source, 'cellpose_cache');
      const again = snapshot(out);
      for (const [f, bytes] of firstRun) assert.ok(again.get(f)?.equals(bytes), `${f}: refinement with unchanged thresholds changed it`);

      // Refinement with the fixture's thresholds: the original's expected/refined (marker: config thresholds = cached ones).
      const refined = await runRefineWorkflow(config, {
        thresholds: { cellCellprobThreshold: refineArgs.cell_cellprob_threshold, cellFlowThreshold: refineArgs.cell_flow_threshold },
      });
      assert.deepEqual(
        refined.result.refinement.cell.rawLabelCounts,
        cp.compute_masks_calls_refine.map((c: { n_masks: number }) => c.n_masks),
      );
      assert.deepEqual(refined.result.refinement.cell.thresholdSource, { cellprob: 'argument', flow: 'argument' });
      for (const m of ['cell_masks', 'marker_masks', 'positive_cell_masks']) {
        await assertMaskEqual(join(out, `${STEM}_${m}.tif`), join(dir, 'expected', 'refined', `${m}.tif`), `refined ${m}`);
      }
      for (const sheet of SHEETS) compareCsv(`refined ${sheet}`, readCsv(csvPath(out, sheet)), readCsv(join(dir, 'expected', 'refined', `${sheet}.csv`)));
      const manifest = JSON.parse(readFileSync(join(out, `${STEM}_run_manifest.json`), 'utf8'));
      assert.equal(manifest.refinement.arguments.cell_cellprob_threshold, refineArgs.cell_cellprob_threshold);
      assert.equal(manifest.refinement.channels.cell.cellprobThreshold, refineArgs.cell_cellprob_threshold);
      assert.equal(manifest.refinement.channels.marker.cellprobThreshold, 0);
      assert.ok(manifest.refinement.refinedRunCreatedAt, 'the refined run is referenced');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Cache (hit skips the network), Q10, Q9 — with a counting wrapper around the real stages
// ---------------------------------------------------------------------------------------------

function counting(stages: CellposeStages = defaultCellposeStages) {
  const calls: string[] = [];
  const s: CellposeStages = {
    ...stages,
    runNetwork: async (model, crop, options) => {
      calls.push(`${crop.shape.join('x')}`);
      return stages.runNetwork(model, crop, options);
    },
  };
  return { stages: s, calls };
}

test('cache: a second run with only thresholds changed skips the network; settings changes miss; one model for both channels', async () => {
  const dir = caseDir('2d_two_channel_cellpose_fullroi');
  const out = tmp();
  try {
    const config = configFromFixture(dir);
    const loaded = await loadAnalysisImages(config.image, config.channelConfig, config.voxelScaleZyx);
    const roi = createFullImageRoiLabels([192, 192]);
    const cacheDir = join(out, 'cache');
    const run = async (cell = config.cellModelConfig, marker = config.markerModelConfig) => {
      const c = counting();
      const backends = createCellposeBackends({ cell, marker }, { useGpu: false, warn: () => {}, cacheDir, stages: c.stages });
      const r = await runRoiColocalization(loaded, roi, cell, marker, config.colocalizationConfig, config.runtimeConfig, { backends });
      return { r, calls: c.calls, loads: backends.pool.loadCount };
    };
    const first = await run();
    assert.deepEqual(first.calls, ['1x192x192', '1x192x192']);
    assert.equal(first.loads, 1, 'spec 5.1: one shared model for cell and marker');
    assert.deepEqual(readdirSync(cacheDir).sort(), [cacheFileName('cell', 1), cacheFileName('marker', 1)]);

    // Thresholds only: both channels from the cache, masks = the refinement's (cellpose.json: 86 raw cell masks).
    const second = await run({ ...config.cellModelConfig, cellprobThreshold: -0.75, flowThreshold: 0.8 });
    assert.deepEqual(second.calls, []);
    assert.equal(second.loads, 0, 'all hits: no inference session opened');
    assert.equal((second.r.segmentation.cell[0].info.cellpose as { cache: string }).cache, 'hit');
    assert.equal(second.r.segmentation.cell[0].info.nLabelsRaw, 86);
    const exp = await readTiffPagesReference(join(dir, 'expected', 'refined', 'cell_masks.tif'));
    assert.deepEqual(Array.from(second.r.cellMasks.data), Array.from(exp.data));

    // A network setting (diameter) changed: the cell channel misses, the marker still hits.
    const third = await run({ ...config.cellModelConfig, diameter: 50 });
    assert.deepEqual(third.calls, ['1x192x192']);
    assert.equal(third.r.segmentation.cell[0].info.cellpose && (third.r.segmentation.cell[0].info.cellpose as { niter: number }).niter, 333);

    // A corrupt cache file is a miss (and is replaced), never an error.
    writeFileSync(join(cacheDir, cacheFileName('marker', 1)), 'garbage');
    const fourth = await run({ ...config.cellModelConfig, diameter: 50 });
    assert.deepEqual(fourth.calls, ['1x192x192']);
    assert.ok(parseCacheEntry(readFileSync(join(cacheDir, cacheFileName('marker', 1))), 'marker'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('Q10: refinement thresholds apply with the channel config omitted (argument ?? config ?? cache)', async () => {
  const dir = caseDir('2d_two_channel_cellpose_fullroi');
  const out = tmp();
  try {
    const config: AnalysisConfig = { ...configFromFixture(dir), resultsDir: out };
    const res = await runWorkflow(config);
    const cacheDir = join(out, `${STEM}_cellpose_cache`);
    const base = {
      loaded: res.loaded,
      roiLabels: res.roiLabels,
      colocalizationConfig: config.colocalizationConfig,
      cacheDir,
      cellModelConfig: null,
      markerModelConfig: null,
    };
    // The original ignored these keywords with cell_model_config=None (its DAPI script's refinement was a no-op).
    const r = await refineRunResultFromCellposeCache({ ...base, thresholds: { cellCellprobThreshold: -0.75, cellFlowThreshold: 0.8 } });
    assert.deepEqual(r.refinement.cell.thresholdSource, { cellprob: 'argument', flow: 'argument' });
    assert.deepEqual(r.refinement.marker.thresholdSource, { cellprob: 'cache', flow: 'cache' });
    assert.deepEqual(r.refinement.cell.rawLabelCounts, [86]);
    const exp = await readTiffPagesReference(join(dir, 'expected', 'refined', 'cell_masks.tif'));
    assert.deepEqual(Array.from(r.cellMasks.data), Array.from(exp.data));
    // Config given, no argument: the config's thresholds (not the cached ones).
    const viaConfig = await refineRunResultFromCellposeCache({
      ...base,
      cellModelConfig: { ...config.cellModelConfig, cellprobThreshold: -0.75, flowThreshold: 0.8 },
    });
    assert.deepEqual(viaConfig.refinement.cell.thresholdSource, { cellprob: 'config', flow: 'config' });
    assert.deepEqual(Array.from(viaConfig.cellMasks.data), Array.from(exp.data));
    // Nothing given: the cached run thresholds → the run's masks.
    const none = await refineRunResultFromCellposeCache(base);
    assert.deepEqual(Array.from(none.cellMasks.data), Array.from(res.result.cellMasks.data));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/**
 * A deterministic stand-in for the network (tests of z handling need speed, not a network): cell probability
 * = (intensity − mean) / std − 0.5 logits, flows = the normalised intensity gradient (pointing uphill, so
 * pixels converge on bright centres as with real Cellpose flows).
 */
const fakeNetwork: CellposeStages['runNetwork'] = async (_model, crop: Volume, options) => {
  const [Z, Y, X] = crop.shape;
  const n = Z * Y * X;
  const v = crop.data;
  let s = 0;
  for (let i = 0; i < n; i++) s += v[i];
  const mean = s / n;
  let q = 0;
  for (let i = 0; i < n; i++) q += (v[i] - mean) ** 2;
  const sd = Math.sqrt(q / n) || 1;
  const cellprob = new Float32Array(n);
  for (let i = 0; i < n; i++) cellprob[i] = (v[i] - mean) / sd - 0.5;
  const nf = options.do3d ? 3 : 2;
  const dP = new Float32Array(nf * n);
  const at = (z: number, y: number, x: number) => v[(Math.min(Math.max(z, 0), Z - 1) * Y + Math.min(Math.max(y, 0), Y - 1)) * X + Math.min(Math.max(x, 0), X - 1)];
  for (let z = 0, i = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++, i++) {
        const g = [options.do3d ? at(z + 1, y, x) - at(z - 1, y, x) : 0, at(z, y + 1, x) - at(z, y - 1, x), at(z, y, x + 1) - at(z, y, x - 1)];
        const norm = Math.hypot(g[0], g[1], g[2]) || 1;
        const comps = options.do3d ? g : g.slice(1);
        comps.forEach((c, k) => (dP[k * n + i] = (5 * c) / norm));
      }
    }
  }
  return { shape: [Z, Y, X], do3d: options.do3d, dP, cellprob };
};

test('Q9: with a z-crop the cache stores z0 and the refinement pastes into the cropped planes only', async () => {
  const dir = caseDir('3d_two_channel_cellpose_fullroi');
  const out = tmp();
  try {
    const fx = configFromFixture(dir);
    const zc = (m: AnalysisConfig['cellModelConfig']) => ({ ...m, zCrop: [3, 7] as [number, number], anisotropy: false, flow3dSmooth: 0 });
    const config: AnalysisConfig = { ...fx, resultsDir: out, cellModelConfig: zc(fx.cellModelConfig), markerModelConfig: zc(fx.markerModelConfig) };
    const raw = await loadAnalysisImages(config.image, config.channelConfig, config.voxelScaleZyx);
    const loaded = prepareLoadedImagesForAnalysis(raw, config);
    assert.deepEqual(loaded.analysisZBounds, [3, 7]);
    const roi = createFullImageRoiLabels([96, 96]);
    const stages: CellposeStages = { ...defaultCellposeStages, runNetwork: fakeNetwork };
    const cacheDir = join(out, 'cache');
    const backends = createCellposeBackends({ cell: config.cellModelConfig, marker: config.markerModelConfig }, { useGpu: false, warn: () => {}, cacheDir, stages });
    const run = await runRoiColocalization(loaded, roi, config.cellModelConfig, config.markerModelConfig, config.colocalizationConfig, config.runtimeConfig, { backends });
    const entry = (await readCacheEntry(join(cacheDir, cacheFileName('cell', 1))))!;
    assert.deepEqual([entry.header.z0, entry.header.zDepth, ...entry.header.shape], [3, 4, 4, 96, 96]);
    const plane = 96 * 96;
    let inCrop = 0;
    for (let i = 0; i < run.cellMasks.data.length; i++) {
      if (run.cellMasks.data[i] === 0) continue;
      const z = Math.floor(i / plane);
      assert.ok(z >= 3 && z < 7, `label at z ${z} outside the crop`);
      inCrop++;
    }
    assert.ok(inCrop > 0, 'the stand-in network found cells');
    // The original pasted the cached (4, 96, 96) labels over all 10 planes: a NumPy broadcast error (Q9).
    const refined = await refineRunResultFromCellposeCache({
      loaded,
      roiLabels: roi,
      colocalizationConfig: config.colocalizationConfig,
      cellModelConfig: config.cellModelConfig,
      markerModelConfig: config.markerModelConfig,
      cacheDir,
    });
    assert.deepEqual(Array.from(refined.cellMasks.data), Array.from(run.cellMasks.data));
    assert.deepEqual(Array.from(refined.markerMasks.data), Array.from(run.markerMasks.data));
    // A different z-crop than the cached one is refused (stale cache), naming the file and both ranges.
    const other = prepareLoadedImagesForAnalysis(raw, { ...config, cellModelConfig: { ...config.cellModelConfig, zCrop: [2, 7] }, markerModelConfig: { ...config.markerModelConfig, zCrop: [2, 7] } });
    await assert.rejects(
      refineRunResultFromCellposeCache({ loaded: other, roiLabels: roi, colocalizationConfig: config.colocalizationConfig, cellModelConfig: config.cellModelConfig, markerModelConfig: null, cacheDir }),
      /cell_roi1\.cpcache: cached z range \[3, 7\) differs from the analysed planes \[2, 7\)/,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// spec 5.2 parameter rules and error paths
// ---------------------------------------------------------------------------------------------

test('spec 5.2: do3d, anisotropy, flow3d_smooth and niter rules', () => {
  const m = { ...defaultModelConfig(), modelNameOrPath: 'x' };
  assert.deepEqual(resolveCellposeEval(m, [1, 8, 8], [1, 0.5, 0.5]), { do3d: false, anisotropy: null, niter: 200 });
  assert.deepEqual(resolveCellposeEval(m, [5, 8, 8], [2, 0.5, 0.5]), { do3d: true, anisotropy: null, niter: 200 });
  // true: z / mean(y, x) unless z <= 1.25 * xy
  assert.equal(resolveCellposeEval({ ...m, anisotropy: true }, [5, 8, 8], [2, 0.5, 0.5]).anisotropy, 4);
  assert.equal(resolveCellposeEval({ ...m, anisotropy: true }, [5, 8, 8], [0.625, 0.5, 0.5]).anisotropy, null);
  assert.equal(resolveCellposeEval({ ...m, anisotropy: true }, [5, 8, 8], [0.626, 0.5, 0.5]).anisotropy, 1.252);
  assert.equal(resolveCellposeEval({ ...m, anisotropy: 2.5 }, [5, 8, 8], [1, 1, 1]).anisotropy, 2.5);
  assert.equal(resolveCellposeEval({ ...m, anisotropy: 2.5 }, [1, 8, 8], [1, 1, 1]).anisotropy, null, '2D: no anisotropy');
  assert.throws(() => resolveCellposeEval({ ...m, do3d: false }, [3, 8, 8], [1, 1, 1], 'cell_model_config'), /cell_model_config\.do_3d: false needs a single z plane, but the crop has 3 planes/);
  assert.throws(() => resolveCellposeEval({ ...m, flow3dSmooth: 11 }, [1, 8, 8], [1, 1, 1]), /flow3d_smooth: expected an integer from 0 to 10, got 11/);
  // int(200 / (30 / d)): 60 → 400, 20 → 133, 17 → 113, none → 200
  assert.deepEqual([cellposeNiter(60), cellposeNiter(20), cellposeNiter(17), cellposeNiter(null)], [400, 133, 113, 200]);
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const cellposeYaml = (image: string, model: string | null, extra = '') => `image: ${image}
channel_config: {cell_channel: 0, marker_channel: 1}
cell_model_config: {segmentation_method: cellpose, model_name_or_path: ${model === null ? 'null' : JSON.stringify(model)}, diameter: 30}
marker_model_config: {segmentation_method: cellpose, model_name_or_path: ${model === null ? 'null' : JSON.stringify(model)}}
colocalization_config: {min_cell_voxels: 20}
rois: full
${extra}`;

test('errors: model_name_or_path missing or not found, refine without cache, non-number threshold', async () => {
  const image = join(caseDir('2d_two_channel_cellpose_fullroi'), 'input.ome.tif');
  const d = tmp();
  try {
    writeFileSync(join(d, 'nomodel.yaml'), cellposeYaml(image, null));
    let r = await cli(['run', join(d, 'nomodel.yaml'), '--results-dir', join(d, 'r1'), '-q']);
    assert.equal(r.code, 1);
    assert.match(r.err, /nomodel\.yaml: cell_model_config\.model_name_or_path: required for segmentation_method cellpose .*got null/);
    assert.equal(r.err.trim().split('\n').length, 1);

    writeFileSync(join(d, 'missing.yaml'), cellposeYaml(image, join(d, 'nope.onnx')));
    r = await cli(['run', join(d, 'missing.yaml'), '--results-dir', join(d, 'r2'), '-q']);
    assert.equal(r.code, 1);
    assert.match(r.err, /nope\.onnx/);
    assert.equal(r.err.trim().split('\n').length, 1);

    writeFileSync(join(d, 'ok.yaml'), cellposeYaml(image, RANDOM_NET));
    r = await cli(['refine', join(d, 'ok.yaml'), '--results-dir', join(d, 'never-run'), '-q']);
    assert.equal(r.code, 1);
    assert.match(r.err, /never-run\/input\.ome_cellpose_cache: no Cellpose cache folder; run `cellcoloc run`/);

    r = await cli(['refine', join(d, 'ok.yaml'), '--cell-cellprob-threshold', 'abc']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--cell-cellprob-threshold: expected a number, got "abc"/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// CLI end to end with the random-weight network: run, then refine
// ---------------------------------------------------------------------------------------------

/** Distinct non-zero labels of a uint32 mask. */
function labelSet(data: ArrayLike<number>): Set<number> {
  const s = new Set<number>();
  for (let i = 0; i < data.length; i++) if (data[i]) s.add(data[i]);
  return s;
}

for (const [what, caseName, extra] of [
  ['2D', '2d_two_channel_cellpose_fullroi', 'runtime_config: {use_gpu: false}'],
  // 3D on a crop of the stack keeps the three-view network run short (4 + 48 + 48 tiles per channel).
  ['3D', '3d_two_channel_cellpose_fullroi', 'runtime_config: {use_gpu: false, crop_for_testing: [[0, 4], [0, 48], [0, 48]]}'],
] as const) {
  test(`cellcoloc run + refine with the random-weight network (${what}): consistent tables and masks`, async () => {
    const image = join(caseDir(caseName), 'input.ome.tif');
    const d = tmp();
    try {
      const cfg = join(d, 'cp.yaml');
      writeFileSync(cfg, cellposeYaml(image, RANDOM_NET, extra));
      const r = await cli(['run', cfg, '--results-dir', join(d, 'res'), '-q']);
      assert.equal(r.code, 0, r.err);
      const res = join(d, 'res', what === '3D' ? 'crop_z0-4_y0-48_x0-48' : '');
      const cache = join(res, `${STEM}_cellpose_cache`);
      assert.deepEqual(readdirSync(cache).sort(), ['cell_roi1.cpcache', 'marker_roi1.cpcache']);
      const check = async () => {
        const cells = await readTiffPagesReference(join(res, `${STEM}_cell_masks.tif`));
        const markers = await readTiffPagesReference(join(res, `${STEM}_marker_masks.tif`));
        const pos = await readTiffPagesReference(join(res, `${STEM}_positive_cell_masks.tif`));
        const ov = readCsv(csvPath(res, 'roi_coloc_overview'));
        const col = (n: string) => Number(ov.rows[0][ov.header.indexOf(n)]);
        const cellLabels = labelSet(cells.data);
        assert.equal(col('n_cells'), cellLabels.size, 'overview n_cells = labels in the cell mask');
        assert.equal(col('n_marker_objects'), labelSet(markers.data).size);
        assert.equal(col('n_marker_positive_cells'), labelSet(pos.data).size);
        const summary = readCsv(csvPath(res, 'cell_summary'));
        assert.deepEqual(new Set(summary.rows.map((row) => Number(row[summary.header.indexOf('cell_label')]))), cellLabels);
        // Every kept cell has at least min_cell_voxels voxels.
        const sizes = new Map<number, number>();
        for (const v of cells.data) if (v) sizes.set(v, (sizes.get(v) ?? 0) + 1);
        for (const [l, n] of sizes) assert.ok(n >= 20, `cell ${l} has ${n} voxels`);
        return { cells: cells.data, n: cellLabels.size, pos: labelSet(pos.data).size };
      };
      const first = await check();
      assert.ok(first.n > 0, 'the random network yields cells');
      const before = snapshot(res);

      // Same thresholds: identical results (fix Q7); a second `run` hits the cache.
      let rr = await cli(['refine', cfg, '--results-dir', join(d, 'res'), '-q']);
      assert.equal(rr.code, 0, rr.err);
      for (const [f, bytes] of before) assert.ok(snapshot(res).get(f)?.equals(bytes), `${f} changed`);
      rr = await cli(['run', cfg, '--results-dir', join(d, 'res'), '-q']);
      assert.equal(rr.code, 0, rr.err);
      const man1 = JSON.parse(readFileSync(join(res, `${STEM}_run_manifest.json`), 'utf8'));
      assert.deepEqual([man1.thresholds.cell[0].info.cellpose.cache, man1.thresholds.marker[0].info.cellpose.cache], ['hit', 'hit']);
      assert.equal(man1.refinement, undefined);

      // Lower cell probability threshold, higher flow threshold: a different, still consistent result.
      rr = await cli(['refine', cfg, '--results-dir', join(d, 'res'), '--cell-cellprob-threshold', '-2', '--cell-flow-threshold', '0.9']);
      assert.equal(rr.code, 0, rr.err);
      assert.match(rr.out, /cell: from cache, cellprob_threshold -2 \(argument\), flow_threshold 0\.9 \(argument\)/);
      assert.match(rr.out, /marker: from cache, cellprob_threshold 0 \(config\), flow_threshold 0\.4 \(config\)/);
      const second = await check();
      assert.notDeepEqual(Array.from(second.cells), Array.from(first.cells));
      const man = JSON.parse(readFileSync(join(res, `${STEM}_run_manifest.json`), 'utf8'));
      assert.equal(man.refinement.channels.cell.cellprobThreshold, -2);
      assert.equal(man.refinement.channels.cell.flowThreshold, 0.9);
      assert.equal(man.thresholds.cell[0].info.cellpose.refined, true);
      for (const f of readdirSync(res)) assert.ok(!f.includes('.tmp-'), `temporary file left: ${f}`);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
}

test('random network fixture present', () => {
  assert.ok(existsSync(RANDOM_NET) && existsSync(RANDOM_NET + '.json'));
});
