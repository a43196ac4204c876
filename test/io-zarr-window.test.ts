/**
 * Region reads for drawn ROIs and z-crops on OME-Zarr (issue 20.3): `cellcoloc run` reads only the chunks of the
 * ROIs' union bounding box × the z-crop planes, and writes the same tables and masks as the full read of the same
 * pixels from TIFF. The large-ish canvas: the upstream `2d_two_channel_li_percentile_rois` image (256², three ROIs:
 * polygon, rectangle, ellipse) pasted into a 768 × 1024 field of noise; the same shapes, shifted, drawn on it.
 * Expected chunk counts come from the shapes' vertex bounds and the chunk grid (not from the code under test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeV3Store } from './helpers/zarr-store.js';
import { caseDir, FIXTURES, REPO_ROOT, readTiffPagesReference } from './helpers/fixtures.js';
import { openImageStack } from '../src/io/image-stack.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { configFromFixture } from './helpers/fixture-config.js';
import { runWorkflow } from '../src/pipeline/workflow.js';
import { reanalyzeWorkflow } from '../src/pipeline/reanalyze.js';
import type { AnalysisConfig, ZProjectionMethod } from '../src/config/types.js';

const CLI = join(REPO_ROOT, 'bin', 'cellcoloc.mjs');
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const csvs = (dir: string, stem: string) =>
  new Map(readdirSync(dir).filter((f) => f.endsWith('.csv')).sort().map((f) => [f.slice(stem.length), readFileSync(join(dir, f), 'utf8')]));

/** mulberry32: a fixed noise field outside the pasted image. */
function noise(seed: number, n: number, max: number): Uint16Array {
  const out = new Uint16Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
  }
  return out;
}

const OFF_Y = 384;
const OFF_X = 448;
const H = 768;
const W = 1024;

test('OME-Zarr: drawn ROIs read only the chunks of their union box and give the TIFF run tables and masks', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-roi-'));
  try {
    const dir = caseDir('2d_two_channel_li_percentile_rois');
    const src = await openImageStack(join(dir, 'input.ome.tif'));
    const fixture = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const canvases: Uint16Array[] = [];
    for (let c = 0; c < 2; c++) {
      const v = await src.readChannel(c, 0);
      const canvas = noise(7 + c, H * W, 1500);
      for (let y = 0; y < 256; y++) canvas.set((v.data as Uint16Array).subarray(y * 256, (y + 1) * 256), (OFF_Y + y) * W + OFF_X);
      canvases.push(canvas);
      writeFileSync(join(tmp, `c${c}.tif`), encodeTiffStack({ data: canvas, shape: [1, H, W] }, { compression: 'deflate' }));
    }
    const store = join(tmp, 'canvas.ome.zarr');
    await writeV3Store(store, canvases, [2, H, W], [1, 64, 64]);

    const shapes = (fixture.roi.shapes as { napari_shape_type: string; data_yx_px: [number, number][] }[]).map((s) => ({
      type: s.napari_shape_type,
      data: s.data_yx_px.map(([y, x]) => [y + OFF_Y, x + OFF_X]),
    }));
    const models =
      `cell_model_config: ${JSON.stringify({ segmentation_method: 'li', prefilter: 'gaussian', postfilters: ['min_size', 'min_intensity'], postfilter_min_object_voxels: 120, min_intensity_measure: 'median', min_intensity_threshold: 330 })}\n` +
      `marker_model_config: ${JSON.stringify({ segmentation_method: 'percentile', threshold_percentile: 98, prefilter: 'median', postfilters: ['local_contrast', 'bright_pixel_support'], local_contrast_k: 15, bright_pixel_measure: 'fraction', bright_pixel_threshold: 700, bright_pixel_min_fraction: 0.3 })}\n` +
      `colocalization_config: {min_cell_voxels: 60, overlap_fraction_threshold: 0.05, min_overlap_voxels: 10}\n` +
      `voxel_scale_zyx: [0.5, 0.5]\nchannel_config: {cell_channel: 0, marker_channel: 1}\nrois: ${JSON.stringify({ shapes })}\n`;
    writeFileSync(join(tmp, 'tiff.yaml'), `image: [${join(tmp, 'c0.tif')}, ${join(tmp, 'c1.tif')}]\nresults_dir: ${join(tmp, 'out-t')}\n` + models);
    writeFileSync(join(tmp, 'zarr.yaml'), `image: ${store}\nresults_dir: ${join(tmp, 'out-z')}\n` + models);
    for (const c of ['tiff', 'zarr']) {
      const r = cli(['run', join(tmp, `${c}.yaml`), '-q', '--no-report']);
      assert.equal(r.status, 0, r.stderr);
    }
    const t = csvs(join(tmp, 'out-t'), 'c0');
    const z = csvs(join(tmp, 'out-z'), 'canvas.ome');
    assert.ok(t.size >= 6);
    assert.deepEqual([...z.keys()], [...t.keys()]);
    for (const [role, text] of t) assert.equal(z.get(role), text, `${role} differs`);
    const ov = t.get('_roi_coloc_overview.csv')!.trim().split('\n');
    assert.equal(ov.length, 4, 'three ROIs analysed');
    for (const m of ['cell_masks', 'marker_masks', 'positive_cell_masks', 'roi_labelmask']) {
      const a = await readTiffPagesReference(join(tmp, 'out-t', `c0_${m}.tif`));
      const b = await readTiffPagesReference(join(tmp, 'out-z', `canvas.ome_${m}.tif`));
      assert.equal(b.data.constructor.name, a.data.constructor.name, `${m}: same sample type`);
      assert.equal(b.data.length, H * W, `${m}: frame-sized`);
      let diff = 0;
      for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) diff++;
      assert.equal(diff, 0, `${m}: ${diff} voxels differ`);
      // the same file, byte for byte (the window run streams it from the window, export/placed-tiff.ts)
      assert.ok(readFileSync(join(tmp, 'out-z', `canvas.ome_${m}.tif`)).equals(readFileSync(join(tmp, 'out-t', `c0_${m}.tif`))), `${m}: same bytes`);
    }
    const manifest = JSON.parse(readFileSync(join(tmp, 'out-z', 'canvas.ome_run_manifest.json'), 'utf8'));
    // Shape vertices span y 6.5–246.5, x 12.5–245.5 of the fixture → 390.5–630.5 × 460.5–693.5 on the canvas:
    // 64² chunk rows 6–9 and columns 7–10 → 16 chunks per channel, 32 of the store's 2 × 12 × 16 = 384.
    assert.equal(manifest.image.read.chunksRead, 32);
    assert.deepEqual(manifest.image.read.window.frameShapeZyx, [1, H, W]);
  } finally {
    if (!process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true }); else console.log(tmp);
  }
});

// 3D fixture store: (c, z, y, x) = (2, 12, 128, 128) in chunks (1, 4, 64, 64): 3 z-chunks × 4 yx-chunks per channel.
for (const [zCrop, projection, chunks] of [
  [[4, 8], null, 2 * 1 * 4], // planes 4–7 = z-chunk 1
  [[5, 6], null, 2 * 1 * 4], // one plane, analysed as 2D (fix Q26), exported as a full stack
  [[2, 9], 'max', 2 * 3 * 4], // planes 2–8 = z-chunks 0–2, max projection
] as [[number, number], ZProjectionMethod | null, number][]) {
  test(`OME-Zarr: z_crop ${JSON.stringify(zCrop)}${projection ? ` + ${projection} projection` : ''} reads only its planes' chunks and gives the TIFF run`, async () => {
    const dir = caseDir('3d_two_channel_otsu_fullroi');
    const outT = mkdtempSync(join(tmpdir(), 'cellcoloc-zcrop-t-'));
    const outZ = mkdtempSync(join(tmpdir(), 'cellcoloc-zcrop-z-'));
    try {
      const base = configFromFixture(dir);
      const patch = (c: AnalysisConfig, image: string, resultsDir: string): AnalysisConfig => ({
        ...c,
        image,
        resultsDir,
        cellModelConfig: { ...c.cellModelConfig, zCrop, zProjection: projection },
        markerModelConfig: { ...c.markerModelConfig, zCrop, zProjection: projection },
      });
      await runWorkflow(patch(base, join(dir, 'input.ome.tif'), outT), { regionReads: true });
      const z = await runWorkflow(patch(base, join(FIXTURES, 'zarr', '3d_otsu_zstd.ome.zarr'), outZ), { regionReads: true });
      assert.ok(z.loaded.analysisWindow, 'a window was read');
      const t = csvs(outT, 'input.ome');
      const zc = csvs(outZ, '3d_otsu_zstd.ome');
      assert.ok(t.size >= 6);
      for (const [role, text] of t) assert.equal(zc.get(role), text, `${role} differs`);
      for (const m of ['cell_masks', 'marker_masks', 'positive_cell_masks']) {
        const a = await readTiffPagesReference(join(outT, `input.ome_${m}.tif`));
        const b = await readTiffPagesReference(join(outZ, `3d_otsu_zstd.ome_${m}.tif`));
        assert.equal(b.data.length, a.data.length, `${m}: same shape`);
        let diff = 0;
        for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) diff++;
        assert.equal(diff, 0, `${m}: ${diff} voxels differ`);
        assert.ok(readFileSync(join(outZ, `3d_otsu_zstd.ome_${m}.tif`)).equals(readFileSync(join(outT, `input.ome_${m}.tif`))), `${m}: same bytes`);
      }
      const manifest = JSON.parse(readFileSync(join(outZ, '3d_otsu_zstd.ome_run_manifest.json'), 'utf8'));
      assert.equal(manifest.image.read.chunksRead, chunks);
      const tm = JSON.parse(readFileSync(join(outT, 'input.ome_run_manifest.json'), 'utf8'));
      assert.deepEqual(manifest.zStack, tm.zStack, 'the same z handling is recorded');

      // reanalyze of the run's masks reads the same chunks (the masks cut to the crop's planes / the projection's plane)
      const masks = { cellMasks: join(outT, 'input.ome_cell_masks.tif'), markerMasks: join(outT, 'input.ome_marker_masks.tif') };
      await reanalyzeWorkflow(patch(base, join(dir, 'input.ome.tif'), join(outT, 're')), masks, { regionReads: true });
      const rz = await reanalyzeWorkflow(patch(base, join(FIXTURES, 'zarr', '3d_otsu_zstd.ome.zarr'), join(outZ, 're')), masks, { regionReads: true });
      assert.ok(rz.loaded.analysisWindow, 'reanalyze read a window');
      const rt = csvs(join(outT, 're'), 'input.ome');
      const rzc = csvs(join(outZ, 're'), '3d_otsu_zstd.ome');
      assert.ok(rt.size >= 6);
      for (const [role, text] of rt) assert.equal(rzc.get(role), text, `reanalyze: ${role} differs`);
      for (const [role, text] of t) assert.equal(rt.get(role), text, `reanalyze of the run's own masks: ${role} differs from the run`);
      const rm = JSON.parse(readFileSync(join(outZ, 're', '3d_otsu_zstd.ome_run_manifest.json'), 'utf8'));
      assert.equal(rm.image.read.chunksRead, chunks);
    } finally {
      rmSync(outT, { recursive: true, force: true });
      rmSync(outZ, { recursive: true, force: true });
    }
  });
}

test('memory estimate of a window run: a small drawn ROI on a store declaring 2 × 16384² is not refused, the whole image is', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-huge-'));
  try {
    // Zarr v2, (c, y, x) = (2, 16384, 16384) uint16 in 256² zlib chunks: 1 GiB of pixels declared (a whole-image run
    // needs several GiB), and only the chunk the ROI touches written (rows 9984–10239 = chunk row 39, columns
    // 11776–12031 = chunk column 46).
    const store = join(tmp, 'huge.ome.zarr');
    mkdirSync(join(store, '0'), { recursive: true });
    writeFileSync(join(store, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
    writeFileSync(join(store, '.zattrs'), JSON.stringify({
      multiscales: [{ version: '0.4', axes: [{ name: 'c', type: 'channel' }, { name: 'y', type: 'space', unit: 'micrometer' }, { name: 'x', type: 'space', unit: 'micrometer' }], datasets: [{ path: '0', coordinateTransformations: [{ type: 'scale', scale: [1, 0.5, 0.5] }] }] }],
    }));
    writeFileSync(join(store, '0', '.zarray'), JSON.stringify({ zarr_format: 2, shape: [2, 16384, 16384], chunks: [1, 256, 256], dtype: '<u2', compressor: { id: 'zlib', level: 1 }, fill_value: 0, order: 'C', filters: null, dimension_separator: '/' }));
    const tile = noise(3, 256 * 256, 200);
    for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) if (((y % 40) - 20) ** 2 + ((x % 40) - 20) ** 2 < 64) tile[y * 256 + x] += 2000;
    for (const c of [0, 1]) {
      mkdirSync(join(store, '0', String(c), '39'), { recursive: true });
      writeFileSync(join(store, '0', String(c), '39', '46'), deflateSync(Buffer.from(tile.buffer)));
    }
    const base = `image: ${store}\nchannel_config: {cell_channel: 0, marker_channel: 1}\ncell_model_config: {segmentation_method: otsu}\nmarker_model_config: {segmentation_method: otsu}\nruntime_config: {max_memory_gb: 2}\n`;
    writeFileSync(join(tmp, 'full.yaml'), base + `results_dir: ${join(tmp, 'out-full')}\n`);
    writeFileSync(join(tmp, 'roi.yaml'), base + `results_dir: ${join(tmp, 'out-roi')}\nrois: {shapes: [{type: rectangle, data: [[10000, 11800], [10100, 11800], [10100, 11900], [10000, 11900]]}]}\n`);
    const full = cli(['run', join(tmp, 'full.yaml'), '-q', '--no-report']);
    assert.equal(full.status, 1);
    assert.match(full.stderr, /declares T×Z×C×Y×X = 1×1×2×16384×16384 uint16; this run would need an estimated \d+\.\d+ GiB, more than the limit of 2\.00 GiB/);
    const roi = cli(['run', join(tmp, 'roi.yaml'), '-q', '--no-report']);
    assert.equal(roi.status, 0, roi.stderr);
    const manifest = JSON.parse(readFileSync(join(tmp, 'out-roi', 'huge.ome_run_manifest.json'), 'utf8'));
    assert.equal(manifest.image.read.chunksRead, 2, 'one chunk per channel');
    // the window lies inside the rectangle's candidate box (its vertices, +1 past the last: rasterize-shapes.ts)
    const [[z0, z1], [y0, y1], [x0, x1]] = manifest.image.read.window.region as number[][];
    assert.deepEqual([z0, z1], [0, 1]);
    assert.ok(y0 >= 10000 && y1 <= 10101 && x0 >= 11800 && x1 <= 11901 && y1 - y0 >= 99 && x1 - x0 >= 99, JSON.stringify(manifest.image.read.window.region));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('single-channel configs read only the window too: drawn ROIs and a z-crop give the TIFF run\'s tables and masks', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-sc-'));
  try {
    // 2D: the li/percentile fixture's channel 1 pasted into a 768 × 1024 noise field, its three ROIs shifted.
    const dir = caseDir('2d_two_channel_li_percentile_rois');
    const src = await openImageStack(join(dir, 'input.ome.tif'));
    const fixture = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const v = await src.readChannel(1, 0);
    const canvas = noise(11, H * W, 1500);
    for (let y = 0; y < 256; y++) canvas.set((v.data as Uint16Array).subarray(y * 256, (y + 1) * 256), (OFF_Y + y) * W + OFF_X);
    writeFileSync(join(tmp, 'c.tif'), encodeTiffStack({ data: canvas, shape: [1, H, W] }, { compression: 'deflate' }));
    const store = join(tmp, 'sc.ome.zarr');
    await writeV3Store(store, [canvas], [1, H, W], [1, 64, 64]);
    const shapes = (fixture.roi.shapes as { napari_shape_type: string; data_yx_px: [number, number][] }[]).map((s) => ({
      type: s.napari_shape_type,
      data: s.data_yx_px.map(([y, x]) => [y + OFF_Y, x + OFF_X]),
    }));
    const body =
      `single_channel_config: {channel_index: 0}\nmodel_config: {segmentation_method: percentile, threshold_percentile: 97, prefilter: median, postfilters: [min_size], postfilter_min_object_voxels: 20}\n` +
      `analysis_config: {min_object_voxels: 10}\nvoxel_scale_zyx: [0.5, 0.5]\nrois: ${JSON.stringify({ shapes })}\n`;
    writeFileSync(join(tmp, 'tiff.yaml'), `image: ${join(tmp, 'c.tif')}\nresults_dir: ${join(tmp, 'out-t')}\n` + body);
    writeFileSync(join(tmp, 'zarr.yaml'), `image: ${store}\nresults_dir: ${join(tmp, 'out-z')}\n` + body);
    for (const c of ['tiff', 'zarr']) {
      const r = cli(['run', join(tmp, `${c}.yaml`), '-q', '--no-report']);
      assert.equal(r.status, 0, r.stderr);
    }
    const t = csvs(join(tmp, 'out-t'), 'c');
    const z = csvs(join(tmp, 'out-z'), 'sc.ome');
    assert.ok(t.size >= 3, [...t.keys()].join(', '));
    assert.deepEqual([...z.keys()], [...t.keys()]);
    for (const [role, text] of t) assert.equal(z.get(role), text, `${role} differs`);
    for (const f of readdirSync(join(tmp, 'out-t')).filter((f) => f.endsWith('.tif'))) {
      assert.ok(readFileSync(join(tmp, 'out-z', f.replace(/^c/, 'sc.ome'))).equals(readFileSync(join(tmp, 'out-t', f))), `${f}: same bytes`);
    }
    const manifest = JSON.parse(readFileSync(join(tmp, 'out-z', 'sc.ome_run_manifest.json'), 'utf8'));
    assert.equal(manifest.image.read.chunksRead, 16, 'the ROIs\' 4 × 4 chunks of the one channel (see the two-channel test)');

    // 3D z-crop: planes 4–7 of the zstd fixture's channel 1 (one z-chunk × 4 yx-chunks) against the OME-TIFF.
    const d3 = caseDir('3d_two_channel_otsu_fullroi');
    const body3 = `single_channel_config: {channel_index: 1}\nmodel_config: {segmentation_method: otsu, z_crop: [4, 8]}\nanalysis_config: {min_object_voxels: 5}\nvoxel_scale_zyx: [2, 0.5, 0.5]\n`;
    writeFileSync(join(tmp, 't3.yaml'), `image: ${join(d3, 'input.ome.tif')}\nresults_dir: ${join(tmp, 'out-t3')}\n` + body3);
    writeFileSync(join(tmp, 'z3.yaml'), `image: ${join(FIXTURES, 'zarr', '3d_otsu_zstd.ome.zarr')}\nresults_dir: ${join(tmp, 'out-z3')}\n` + body3);
    for (const c of ['t3', 'z3']) {
      const r = cli(['run', join(tmp, `${c}.yaml`), '-q', '--no-report']);
      assert.equal(r.status, 0, r.stderr);
    }
    const t3 = csvs(join(tmp, 'out-t3'), 'input.ome');
    const z3 = csvs(join(tmp, 'out-z3'), '3d_otsu_zstd.ome');
    assert.ok(t3.size >= 3);
    for (const [role, text] of t3) assert.equal(z3.get(role), text, `3D ${role} differs`);
    for (const f of readdirSync(join(tmp, 'out-t3')).filter((f) => f.endsWith('_masks.tif'))) {
      assert.ok(readFileSync(join(tmp, 'out-z3', f.replace(/^input/, '3d_otsu_zstd'))).equals(readFileSync(join(tmp, 'out-t3', f))), `3D ${f}: same bytes`);
    }
    const m3 = JSON.parse(readFileSync(join(tmp, 'out-z3', '3d_otsu_zstd.ome_run_manifest.json'), 'utf8'));
    assert.equal(m3.image.read.chunksRead, 4, 'z-chunk 1 × 4 yx-chunks of one channel');
  } finally {
    if (!process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true }); else console.log(tmp);
  }
});
