/**
 * exportAnalysisOutputs: every file written, TIFFs carry the masks exactly, CSV/TIFF bytes are reproducible,
 * failures leave earlier results untouched; the manifest records inputs with SHA-256.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { readTiffPagesReference } from './helpers/fixtures.js';
import { column, makeTable, type Table } from '../src/core/table.js';
import type { LabelVolume } from '../src/core/volume.js';
import type { AnalysisConfig } from '../src/config/types.js';
import { isCellColocError } from '../src/core/errors.js';
import { buildResultsPaths } from '../src/export/results-paths.js';
import { exportAnalysisOutputs } from '../src/export/export-outputs.js';
import { buildManifest } from '../src/export/manifest.js';

const root = mkdtempSync(join(tmpdir(), 'cellcoloc-export-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const Z = 2, Y = 4, X = 5;
function labels(seed: number): LabelVolume {
  const data = new Uint32Array(Z * Y * X);
  for (let i = 0; i < data.length; i++) data[i] = (i * seed) % 7 === 0 ? 0 : ((i * seed) % 5) + 1;
  return { data, shape: [Z, Y, X] };
}
function tables(v: number): Table[] {
  return [
    makeTable('detailed_overlaps', [
      column('roi_id', 'int', [1, 1]),
      column('cell_label', 'int', [2, 3]),
      column('marker_label', 'label', [1, NaN]),
      column('overlap_fraction_of_cell', 'float', [v, 0]),
    ]),
    makeTable('cell_summary', [column('cell_label', 'int', [2, 3]), column('marker_positive', 'bool', [1, 0])]),
    makeTable('roi_coloc_overview', [column('roi_id', 'int', [1]), column('drawn_roi_area_um2', 'float', [5])]),
  ];
}
function outputs(seed: number) {
  const roi = new Uint16Array(Y * X).fill(1);
  roi[0] = 0;
  return {
    cellMasks: labels(seed),
    markerMasks: labels(seed + 1),
    positiveCellMasks: labels(seed + 2),
    tables: tables(seed / 10),
    roiLabels: { data: roi, shape: [Y, X] as const },
  };
}
const VOXEL = [1, 0.5, 0.25] as const;

function setup(name: string) {
  const d = join(root, name);
  mkdirSync(d);
  const image = join(d, 'img.ome.tif');
  writeFileSync(image, 'abc'); // stands in for the image; SHA-256("abc") is the FIPS 180-2 test vector
  return { d, image, paths: buildResultsPaths(image) };
}

test('writes CSVs, masks, ROI TIFF, workbook and manifest; TIFFs hold the masks; manifest has input hash', async () => {
  const { image, paths } = setup('full');
  const out = outputs(3);
  const config = { rois: { kind: 'full' }, image } as unknown as AnalysisConfig;
  const manifest = await buildManifest({
    config,
    loaded: { sourcePaths: [image], voxelSizeUm: VOXEL, voxelSizeSource: 'config', warnings: ['w1'] },
    paths,
    roiIds: [1],
    segmentation: { cell: [{ roiId: 1, threshold: 246.5 }], marker: [] },
    filterSteps: [{ channel: 'cell', step: 'min_cell_voxels', nIn: 5, nOut: 4, removed: [7] }],
    timings: [{ stage: 'load', ms: 1.5 }],
    now: new Date('2026-01-02T03:04:05Z'),
  });
  const written = await exportAnalysisOutputs(out, paths, { voxelSizeUm: VOXEL, manifest });

  const files = readdirSync(paths.resultsDir).sort();
  assert.deepEqual(files, [
    'img.ome_cell_colocalization.csv',
    'img.ome_cell_colocalization.xlsx',
    'img.ome_cell_masks.tif',
    'img.ome_cell_summary.csv',
    'img.ome_marker_masks.tif',
    'img.ome_positive_cell_masks.tif',
    'img.ome_roi_coloc_overview.csv',
    'img.ome_roi_labelmask.tif',
    'img.ome_run_manifest.json',
  ]);
  assert.equal(written.length, files.length);
  assert.equal(
    readFileSync(paths.detailedCsvPath, 'utf8'),
    'roi_id,cell_label,marker_label,overlap_fraction_of_cell\n1,2,1.0,0.3\n1,3,,0.0\n',
  );
  assert.equal(readFileSync(join(paths.resultsDir, 'img.ome_cell_summary.csv'), 'utf8'), 'cell_label,marker_positive\n2,True\n3,False\n');

  for (const [p, m] of [
    [paths.cellMaskPath, out.cellMasks],
    [paths.markerMaskPath, out.markerMasks],
    [paths.positiveCellMaskPath, out.positiveCellMasks],
  ] as const) {
    const r = await readTiffPagesReference(p);
    assert.equal(r.pages, Z);
    assert.ok(r.data instanceof Uint16Array, 'labels up to 65535 are written as uint16 (Fiji opens uint32 as float)');
    assert.deepEqual(Array.from(r.data), Array.from(m.data));
  }
  const roi = await readTiffPagesReference(paths.roiMaskPath);
  assert.equal(roi.pages, 1);
  assert.ok(roi.data instanceof Uint16Array);
  assert.deepEqual(Array.from(roi.data), Array.from(out.roiLabels.data));

  const m = JSON.parse(readFileSync(paths.manifestPath, 'utf8'));
  assert.equal(m.package.name, 'cellcoloc');
  assert.equal(m.runtime.node, process.version);
  assert.equal(m.createdAt, '2026-01-02T03:04:05.000Z');
  assert.deepEqual(m.inputs, [
    { path: image, sizeBytes: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
  ]);
  assert.deepEqual(m.voxelSize, { zyxUm: [1, 0.5, 0.25], source: 'config' });
  assert.deepEqual(m.warnings, ['w1']);
  assert.deepEqual(m.thresholds, { cell: [{ roiId: 1, threshold: 246.5 }], marker: [] });
  assert.deepEqual(m.filterSteps, [{ channel: 'cell', step: 'min_cell_voxels', nIn: 5, nOut: 4, removedLabels: [7] }]);
  assert.equal(typeof m.dependencies['geotiff'], 'string');
  assert.ok(!('write-excel-file' in m.dependencies));
  assert.ok('geotiff' in m.dependencies);
  assert.deepEqual(
    m.outputs.map((o: { file: string }) => o.file).sort(),
    files,
  );
  assert.equal(readFileSync(paths.manifestPath, 'utf8').endsWith('}\n'), true);
});

test('same input → byte-identical CSV and TIFF files', async () => {
  const a = setup('repro-a');
  const b = setup('repro-b');
  await exportAnalysisOutputs(outputs(4), a.paths, { voxelSizeUm: VOXEL });
  await exportAnalysisOutputs(outputs(4), b.paths, { voxelSizeUm: VOXEL });
  const names = readdirSync(a.paths.resultsDir).filter((f) => /\.(csv|tif)$/.test(f));
  assert.equal(names.length, 7);
  for (const f of names) {
    assert.deepEqual(readFileSync(join(a.paths.resultsDir, f)), readFileSync(join(b.paths.resultsDir, f)), f);
  }
});

test('results folder blocked by a file → one ExportError naming it', async () => {
  const { d, image } = setup('blocked');
  writeFileSync(join(d, 'results'), 'not a folder');
  const paths = buildResultsPaths(image);
  await assert.rejects(
    exportAnalysisOutputs(outputs(5), paths, { voxelSizeUm: VOXEL }),
    (e) => isCellColocError(e, 'ExportError') && e.message.includes(paths.resultsDir) && !e.message.includes('\n'),
  );
});

test('a failing export leaves the previous results untouched and no temporary files', async () => {
  const { paths } = setup('keep');
  await exportAnalysisOutputs(outputs(6), paths, { voxelSizeUm: VOXEL });
  const before = new Map(readdirSync(paths.resultsDir).map((f) => [f, readFileSync(join(paths.resultsDir, f))]));
  // A directory where the last file must go: the new run fails after encoding everything.
  rmSync(paths.roiMaskPath);
  mkdirSync(paths.roiMaskPath);
  await assert.rejects(
    exportAnalysisOutputs(outputs(7), paths, { voxelSizeUm: VOXEL }),
    (e) => isCellColocError(e, 'ExportError') && e.message.includes(paths.roiMaskPath),
  );
  const after = readdirSync(paths.resultsDir);
  assert.deepEqual(after.filter((f) => f.includes('.tmp-')), []);
  for (const [f, bytes] of before) {
    if (f.endsWith('_roi_labelmask.tif')) continue;
    assert.deepEqual(readFileSync(join(paths.resultsDir, f)), bytes, `${f} unchanged`);
  }
});

/** Page-0 tags as geotiff decodes them (independent of our reader). */
async function tags(path: string) {
  const tiff = await fromFile(path);
  try {
    const img = await tiff.getImage(0);
    const fd = img.fileDirectory as unknown as Record<string, unknown>;
    const get = async (name: string) => ((fd as any).loadValue ? await (fd as any).loadValue(name) : fd[name]);
    return {
      bits: img.getBitsPerSample(),
      description: String((await get('ImageDescription')) ?? ''),
      xRes: (await get('XResolution')) as ArrayLike<number> | number,
      resUnit: (await get('ResolutionUnit')) as number,
      pages: await tiff.getImageCount(),
    };
  } finally {
    await tiff.close?.();
  }
}

test('label masks: uint16 up to label 65535, uint32 above; z stacks carry ImageJ unit=micron and spacing=', async () => {
  const { paths } = setup('dtypes');
  const out = outputs(5);
  const big = new Uint32Array(Z * Y * X);
  big[3] = 65536; // one label beyond uint16
  big[7] = 2;
  out.markerMasks = { data: big, shape: [Z, Y, X] };
  const edge = new Uint32Array(Z * Y * X);
  edge[1] = 65535; // the largest label that still fits
  out.positiveCellMasks = { data: edge, shape: [Z, Y, X] };
  await exportAnalysisOutputs(out, paths, { voxelSizeUm: VOXEL });

  const cell = await readTiffPagesReference(paths.cellMaskPath);
  assert.ok(cell.data instanceof Uint16Array);
  const marker = await readTiffPagesReference(paths.markerMaskPath);
  assert.ok(marker.data instanceof Uint32Array, 'a label > 65535 keeps uint32');
  assert.deepEqual(Array.from(marker.data), Array.from(big));
  const pos = await readTiffPagesReference(paths.positiveCellMaskPath);
  assert.ok(pos.data instanceof Uint16Array);
  assert.equal(pos.data[1], 65535);

  // ImageJ's own calibrated-stack layout: description starting with ImageJ=, z step in spacing=, unit=micron,
  // X/YResolution in pixels per micron with ResolutionUnit 1 (none) — VOXEL = [1, 0.5, 0.25] µm.
  for (const p of [paths.cellMaskPath, paths.markerMaskPath]) {
    const t = await tags(p);
    assert.equal(t.pages, Z);
    assert.match(t.description, /^ImageJ=/);
    assert.match(t.description, /\nimages=2\n/);
    assert.match(t.description, /\nslices=2\n/);
    assert.match(t.description, /\nunit=micron\n/);
    assert.match(t.description, /\nspacing=1\n/);
    const xr = typeof t.xRes === 'number' ? t.xRes : t.xRes[0] / t.xRes[1];
    assert.equal(xr, 4); // 1 / 0.25 µm
    assert.equal(t.resUnit, 1);
  }
  assert.equal((await tags(paths.cellMaskPath)).bits, 16);
  assert.equal((await tags(paths.markerMaskPath)).bits, 32);
});

test('single-plane masks keep the OME-XML description with the physical size', async () => {
  const { paths } = setup('plane');
  const one = (seed: number): LabelVolume => {
    const data = new Uint32Array(Y * X);
    for (let i = 0; i < data.length; i++) data[i] = (i * seed) % 3;
    return { data, shape: [1, Y, X] };
  };
  const out = { ...outputs(2), cellMasks: one(1), markerMasks: one(2), positiveCellMasks: one(3) };
  await exportAnalysisOutputs(out, paths, { voxelSizeUm: VOXEL });
  const t = await tags(paths.cellMaskPath);
  assert.match(t.description, /<OME /);
  assert.match(t.description, /Type="uint16"/);
  assert.match(t.description, /PhysicalSizeX="0.25" PhysicalSizeXUnit="µm"/);
  assert.equal(t.resUnit, 3);
});
