/**
 * OME-Zarr input (issue 20). The NGFF 0.4 stores under test/fixtures/zarr/ were written by Debian's
 * python3-zarr 2.13 (scripts/make_zarr_fixtures.py) from the upstream parity fixtures' images; the NGFF 0.5
 * store is written here by zarrita. The run from Zarr must give the same tables (byte-identical CSVs) as the
 * same pixels from OME-TIFF — whose tables the parity tests check against the original — and the original's
 * masks; a crop reads only the chunks it touches; bad stores give one line naming the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import { caseDir, FIXTURES, REPO_ROOT, readTiffPagesReference } from './helpers/fixtures.js';
import { configFromFixture } from './helpers/fixture-config.js';
import { runWorkflow } from '../src/pipeline/workflow.js';
import { openImageStack } from '../src/io/image-stack.js';
import { listPlateFields } from '../src/io/zarr/ngff-metadata.js';
import type { AnalysisConfig } from '../src/config/types.js';

const ZARR = join(FIXTURES, 'zarr');
const csvNames = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
/** CSV files of a results folder keyed by the part after the stem (`_cell_summary.csv`, …). */
function csvsByRole(dir: string, stem: string): Map<string, string> {
  return new Map(csvNames(dir).map((f) => [f.slice(stem.length), readFileSync(join(dir, f), 'utf8')]));
}

async function runBoth(caseName: string, zarrStore: string, zarrStem: string, patch: (c: AnalysisConfig) => AnalysisConfig = (c) => c) {
  const dir = caseDir(caseName);
  const outT = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-t-'));
  const outZ = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-z-'));
  const base = configFromFixture(dir);
  const tiff = await runWorkflow(patch({ ...base, resultsDir: outT }));
  const fromZarr = await runWorkflow(patch({ ...base, image: zarrStore, resultsDir: outZ }));
  return { dir, outT, outZ, tiff, fromZarr, zarrStem, cleanup: () => [outT, outZ].forEach((d) => rmSync(d, { recursive: true, force: true })) };
}

for (const [caseName, store, stem] of [
  ['2d_two_channel_otsu_fullroi', '2d_otsu_blosc_lz4.ome.zarr', '2d_otsu_blosc_lz4.ome'],
  ['3d_two_channel_otsu_fullroi', '3d_otsu_zstd.ome.zarr', '3d_otsu_zstd.ome'],
] as const) {
  test(`OME-Zarr ${store}: same tables as the OME-TIFF, the original's masks, voxel size from the NGFF scale`, async () => {
    const r = await runBoth(caseName, join(ZARR, store), stem);
    try {
      assert.deepEqual([...r.fromZarr.loaded.voxelSizeUm], [...r.tiff.loaded.voxelSizeUm]);
      assert.equal(r.fromZarr.loaded.voxelSizeSource, 'metadata');
      const t = csvsByRole(r.outT, 'input.ome');
      const z = csvsByRole(r.outZ, stem);
      assert.deepEqual([...z.keys()], [...t.keys()]);
      for (const [role, text] of t) assert.equal(z.get(role), text, `${role} differs`);
      for (const m of ['cell_masks', 'marker_masks', 'positive_cell_masks']) {
        const ours = await readTiffPagesReference(join(r.outZ, `${stem}_${m}.tif`));
        const exp = await readTiffPagesReference(join(r.dir, 'expected', `${m}.tif`));
        assert.equal(ours.data.length, exp.data.length);
        let diff = 0;
        for (let i = 0; i < exp.data.length; i++) if (ours.data[i] !== exp.data[i]) diff++;
        assert.equal(diff, 0, `${m}: ${diff} voxels differ from the original`);
      }
      const manifest = JSON.parse(readFileSync(join(r.outZ, `${stem}_run_manifest.json`), 'utf8'));
      assert.equal(manifest.image.read.format, 'ome-zarr');
      assert.equal(manifest.image.read.resolutionLevel, 0);
      assert.ok(manifest.image.read.chunksRead > 0 && manifest.image.read.bytesRead > 0);
      assert.match(manifest.inputs[0].sha256, /^[0-9a-f]{64}$/, 'a store hashes as a tree');
    } finally {
      r.cleanup();
    }
  });
}

test('OME-Zarr: channel labels from omero, TCZYX axes with t, gzip, nanometre units', async () => {
  const s = await openImageStack(join(ZARR, '3d_otsu_tczyx_gzip.ome.zarr'));
  assert.deepEqual(s.rawShapeTzcyx, [2, 12, 2, 128, 128]);
  assert.deepEqual(s.channelNames, ['nuclei', 'marker']);
  // 2000 nm, 500 nm → 2 µm, 0.5 µm
  assert.deepEqual(s.physicalSize.zyxUm, [2, 0.5, 0.5]);
  const ref = await openImageStack(join(caseDir('3d_two_channel_otsu_fullroi'), 'input.ome.tif'));
  const a = await ref.readChannel(1, 0);
  const b0 = await s.readChannel(1, 0);
  const b1 = await s.readChannel(1, 1);
  assert.deepEqual(b0.shape, a.shape);
  for (let i = 0; i < a.data.length; i += 97) {
    assert.equal(b0.data[i], a.data[i]);
    assert.equal(b1.data[i], a.data[i] + 1000, 'time point 1 is the image + 1000 (generator)');
  }
});

test('OME-Zarr: resolution_level picks a coarser level with its voxel size; out of range is one clear error', async () => {
  const s1 = await openImageStack(join(ZARR, '2d_otsu_blosc_lz4.ome.zarr'), { resolutionLevel: 1 });
  assert.deepEqual(s1.rawShapeTzcyx, [1, 1, 2, 128, 128]);
  assert.deepEqual(s1.physicalSize.zyxUm.slice(1), [1, 1]);
  const full = await (await openImageStack(join(caseDir('2d_two_channel_otsu_fullroi'), 'input.ome.tif'))).readChannel(0, 0);
  const lv1 = await s1.readChannel(0, 0);
  // level 1 = image[:, ::2, ::2] (generator)
  for (const [y, x] of [[0, 0], [10, 17], [127, 127], [64, 3]]) assert.equal(lv1.data[y * 128 + x], full.data[2 * y * 256 + 2 * x]);
  await assert.rejects(openImageStack(join(ZARR, '3d_otsu_zstd.ome.zarr'), { resolutionLevel: 1 }), /3d_otsu_zstd\.ome\.zarr: resolution_level: expected 0\.\.0 \(the image has 1 level\), got 1/);
});

test('OME-Zarr: a crop_for_testing reads only the chunks it touches and gives the OME-TIFF crop run', async () => {
  const crop: [[number, number], [number, number], [number, number]] = [[0, 1], [10, 70], [130, 190]];
  const r = await runBoth('2d_two_channel_otsu_fullroi', join(ZARR, '2d_otsu_blosc_lz4.ome.zarr'), '2d_otsu_blosc_lz4.ome', (c) => ({
    ...c,
    runtimeConfig: { ...c.runtimeConfig, cropForTesting: crop },
  }));
  try {
    const sub = 'crop_z0-1_y10-70_x130-190';
    const t = csvsByRole(join(r.outT, sub), 'input.ome');
    const z = csvsByRole(join(r.outZ, sub), '2d_otsu_blosc_lz4.ome');
    for (const [role, text] of t) assert.equal(z.get(role), text, `${role} differs`);
    const manifest = JSON.parse(readFileSync(join(r.outZ, sub, '2d_otsu_blosc_lz4.ome_run_manifest.json'), 'utf8'));
    // 64² chunks: y 10–70 touches chunk rows 0–1, x 130–190 chunk columns 2; two channels → 2 × 2 × 1 = 4 of 32.
    assert.equal(manifest.image.read.chunksRead, 4);
  } finally {
    r.cleanup();
  }
});

test('OME-Zarr: an NGFF 0.5 (Zarr v3) store written by zarrita gives the same tables', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-v3-'));
  try {
    const src = await openImageStack(join(caseDir('2d_two_channel_otsu_fullroi'), 'input.ome.tif'));
    const c0 = await src.readChannel(0, 0);
    const c1 = await src.readChannel(1, 0);
    const storePath = join(tmp, 'v3.ome.zarr');
    mkdirSync(storePath);
    const store = new FileSystemStore(storePath);
    const root = zarr.root(store);
    await zarr.create(root, {
      attributes: {
        ome: {
          version: '0.5',
          multiscales: [
            {
              axes: [
                { name: 'c', type: 'channel' },
                { name: 'y', type: 'space', unit: 'micrometer' },
                { name: 'x', type: 'space', unit: 'micrometer' },
              ],
              datasets: [{ path: '0', coordinateTransformations: [{ type: 'scale', scale: [1, 0.5, 0.5] }] }],
            },
          ],
          omero: { channels: [{ label: 'cells' }, { label: 'marker' }] },
        },
      },
    });
    const arr = await zarr.create(root.resolve('0'), { shape: [2, 256, 256], chunkShape: [1, 100, 100], dtype: 'uint16', codecs: [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'zstd', configuration: { level: 3, checksum: false } }] });
    const both = new Uint16Array(2 * 256 * 256);
    both.set(c0.data as Uint16Array, 0);
    both.set(c1.data as Uint16Array, 256 * 256);
    await zarr.set(arr, null, { data: both, shape: [2, 256, 256], stride: [256 * 256, 256, 1] });
    const meta = JSON.parse(readFileSync(join(storePath, 'zarr.json'), 'utf8'));
    assert.equal(meta.zarr_format, 3);
    const r = await runBoth('2d_two_channel_otsu_fullroi', storePath, 'v3.ome');
    try {
      const t = csvsByRole(r.outT, 'input.ome');
      const z = csvsByRole(r.outZ, 'v3.ome');
      for (const [role, text] of t) assert.equal(z.get(role), text, `${role} differs`);
    } finally {
      r.cleanup();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('OME-Zarr plate: wells and fields listed in plate order with row/column/well names', async () => {
  const p = await listPlateFields(join(ZARR, 'plate_2wells.ome.zarr'));
  assert.deepEqual(
    p.fields.map((f) => [f.row, f.column, f.well, f.field]),
    [
      ['A', '1', 'A01', 0],
      ['A', '2', 'A02', 0],
    ],
  );
  const s = await openImageStack(p.fields[1].path);
  assert.deepEqual(s.rawShapeTzcyx, [1, 1, 2, 256, 128]);
});

test('bad OME-Zarr stores: one line naming the store, the array and what is wrong; nothing written', async () => {
  const cases: [string, RegExp][] = [
    ['missing_zattrs.ome.zarr', /missing_zattrs\.ome\.zarr: .*\.zattrs is missing \(expected OME-NGFF metadata/],
    ['missing_chunk.ome.zarr', /missing_chunk\.ome\.zarr: 0: chunk 0\/1\/1\/1 is missing/],
    ['truncated_chunk.ome.zarr', /truncated_chunk\.ome\.zarr: 0: chunk 0\/0\/2\/2 is truncated or corrupt/],
    ['bad_axes.ome.zarr', /bad_axes\.ome\.zarr: .*\.zattrs: multiscales\[0\]\.axes: axis "y" appears twice/],
  ];
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-bad-'));
  try {
    for (const [store, re] of cases) {
      const cfg = join(tmp, `${store}.yaml`);
      const out = join(tmp, `out-${store}`);
      writeFileSync(cfg, `image: ${join(ZARR, store)}\nresults_dir: ${out}\nchannel_config: {cell_channel: 0, marker_channel: 1}\ncell_model_config: {segmentation_method: otsu}\nmarker_model_config: {segmentation_method: otsu}\n`);
      const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'cellcoloc.mjs'), 'run', cfg, '-q', '--no-report'], { encoding: 'utf8' });
      assert.equal(r.status, 1, `${store}: exit ${r.status}; ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${store}: one line, got ${r.stderr}`);
      assert.match(lines[0], /^cellcoloc: error: /);
      assert.match(lines[0], re);
      assert.throws(() => readdirSync(out).filter((f) => !f.startsWith('.')).length && assert.fail('results written'), /ENOENT|results written/);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  void cpSync;
});

test('OME-Zarr plate as an experiment: `cellcoloc sheet plate` writes the sheet, `cellcoloc batch plate` runs one sample per well field', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-plate-'));
  try {
    const plate = join(ZARR, 'plate_2wells.ome.zarr');
    const base = join(tmp, 'base.yaml');
    writeFileSync(
      base,
      'channel_config: {cell_channel: 0, marker_channel: 1}\ncell_model_config: {segmentation_method: otsu}\nmarker_model_config: {segmentation_method: otsu}\ncolocalization_config: {min_cell_voxels: 20}\n',
    );
    const cli = (args: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'cellcoloc.mjs'), ...args], { encoding: 'utf8' });
    const sheetPath = join(tmp, 'plate.csv');
    const s = cli(['sheet', plate, '-o', sheetPath]);
    assert.equal(s.status, 0, s.stderr);
    const sheet = readFileSync(sheetPath, 'utf8').trim().split('\n');
    assert.equal(sheet[0], 'sample,image,plate,row,column,well,field');
    assert.equal(sheet.length, 3);
    assert.match(sheet[1], /^A01_f0,.*plate_2wells\.ome\.zarr\/A\/1\/0,fixture plate,A,1,A01,0$/);
    const out = join(tmp, 'exp');
    const b = cli(['batch', plate, '--config', base, '--results-dir', out, '--jobs', '1', '-q', '--no-report']);
    assert.equal(b.status, 0, b.stderr);
    const summary = readFileSync(join(out, 'experiment_summary.csv'), 'utf8').trim().split('\n');
    assert.match(summary[0], /^sample,plate,row,column,well,field,roi_id,n_cells,/);
    assert.deepEqual(summary.slice(1).map((l) => l.split(',').slice(0, 7).join(',')), ['A01_f0,fixture plate,A,1,A01,0,1', 'A02_f0,fixture plate,A,2,A02,0,1']);
    // Each field's results equal a single run on that field's image (here: the two halves of the 2D fixture).
    for (const [sample, field] of [['A01_f0', 'A/1/0'], ['A02_f0', 'A/2/0']]) {
      const single = join(tmp, `single-${sample}`);
      const cfg = join(tmp, `${sample}.yaml`);
      writeFileSync(cfg, `image: ${join(plate, field)}\n` + readFileSync(base, 'utf8'));
      const r = cli(['run', cfg, '--results-dir', single, '-q', '--no-report']);
      assert.equal(r.status, 0, r.stderr);
      const a = csvsByRole(single, '0');
      const z = csvsByRole(join(out, 'samples', sample), '0');
      assert.ok(a.size > 0);
      for (const [role, text] of a) assert.equal(z.get(role), text, `${sample} ${role}`);
    }
    // The Snakemake route: the emitted jobs run `batch` on the plate itself (there is no sheet file to point at).
    const sm = cli(['batch', plate, '--config', base, '--results-dir', join(tmp, 'sm'), '--emit-snakemake', '-q']);
    assert.equal(sm.status, 0, sm.stderr);
    assert.ok(readFileSync(join(tmp, 'sm', 'workflow', 'scripts', 'run_chunk.sh'), 'utf8').includes(` batch '${plate}' --config`), 'run_chunk.sh calls batch on the plate');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the viewer session opens an OME-Zarr image: `cellcoloc snapshot` renders its composite', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-view-'));
  try {
    const cfg = join(tmp, 'c.yaml');
    writeFileSync(cfg, `image: ${join(ZARR, '2d_otsu_blosc_lz4.ome.zarr')}\nresults_dir: ${join(tmp, 'res')}\nchannel_config: {cell_channel: 0, marker_channel: 1}\ncell_model_config: {segmentation_method: otsu}\nmarker_model_config: {segmentation_method: otsu}\n`);
    const png = join(tmp, 'v.png');
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'cellcoloc.mjs'), 'snapshot', cfg, '--out', png, '--layers', 'cell,marker'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const b = readFileSync(png);
    assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG');
    assert.deepEqual([b.readUInt32BE(16), b.readUInt32BE(20)], [256, 256], 'width × height of level 0');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
