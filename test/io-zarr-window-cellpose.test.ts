/**
 * Region reads for Cellpose channels, `refine` and `reanalyze` on OME-Zarr (issue 20.3): with drawn ROIs, each
 * command reads only the chunks of the ROIs' union box and writes the same tables and masks as the same command on
 * the same pixels given as OME-TIFF (which reads the whole image). The image is the upstream
 * `2d_two_channel_cellpose_fullroi` input (2 × 192²), stored in 32² chunks (2 × 6 × 6 = 72 chunks); the network is
 * the random-weight tiny Cellpose (fixtures/cellpose/v4net). Expected chunk counts come from the ROI rectangles
 * and the chunk grid, not from the code under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseDir, CELLPOSE_FIXTURES, REPO_ROOT, readTiffPagesReference } from './helpers/fixtures.js';
import { writeV3Store } from './helpers/zarr-store.js';
import { openImageStack } from '../src/io/image-stack.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { parseCacheEntry } from '../src/segmentation/cellpose/cache.js';

const CLI = join(REPO_ROOT, 'bin', 'cellcoloc.mjs');
const RANDOM_NET = join(CELLPOSE_FIXTURES, 'v4net', 'cpsam_tiny_random.onnx');
const STEM = 'input.ome'; // input.ome.tif and input.ome.zarr name their results alike
const MASKS = ['cell_masks', 'marker_masks', 'positive_cell_masks', 'roi_labelmask']; // a two-channel run's TIFFs

const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args, '-q'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
};
const csvs = (dir: string) =>
  new Map(readdirSync(dir).filter((f) => f.endsWith('.csv')).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, `${STEM}_run_manifest.json`), 'utf8'));

/** Same CSVs and the same mask files (every TIFF written), byte for byte. */
function assertSameResults(tiffDir: string, zarrDir: string, what: string, nMasks = MASKS.length): void {
  const t = csvs(tiffDir);
  const z = csvs(zarrDir);
  assert.ok(t.size >= 3, `${what}: tables written`);
  assert.deepEqual([...z.keys()], [...t.keys()], `${what}: same tables`);
  for (const [f, text] of t) assert.equal(z.get(f), text, `${what}: ${f} differs`);
  const tifs = readdirSync(tiffDir).filter((f) => f.endsWith('.tif')).sort();
  assert.equal(tifs.length, nMasks, `${what}: mask files`);
  assert.deepEqual(readdirSync(zarrDir).filter((f) => f.endsWith('.tif')).sort(), tifs);
  for (const f of tifs) assert.ok(readFileSync(join(zarrDir, f)).equals(readFileSync(join(tiffDir, f))), `${what}: ${f} differs`);
}

// Two rectangles: y [70, 110) × x [75, 120) and y [100, 140) × x [100, 150). Their union box y 70–140, x 75–150
// touches 32² chunk rows 2–4 and columns 2–4: 9 chunks per channel, 18 of 72.
const ROIS = {
  shapes: [
    { type: 'rectangle', data: [[70, 75], [70, 120], [110, 120], [110, 75]] },
    { type: 'rectangle', data: [[100, 100], [100, 150], [140, 150], [140, 100]] },
  ],
};
const WINDOW_CHUNKS = 18;
const ALL_CHUNKS = 72;

/** The fixture's OME-TIFF and the same pixels as `input.ome.zarr` in 32² chunks. */
async function fixtureAsZarr(tmp: string): Promise<{ tif: string; store: string }> {
  const tif = join(caseDir('2d_two_channel_cellpose_fullroi'), 'input.ome.tif');
  const src = await openImageStack(tif);
  const channels = await Promise.all([0, 1].map((c) => src.readChannel(c, 0)));
  const store = join(tmp, 'input.ome.zarr');
  await writeV3Store(store, channels.map((v) => v.data as Uint16Array), [2, 192, 192], [1, 32, 32]);
  return { tif, store };
}

test('OME-Zarr: Cellpose run, refine and reanalyze read only the ROIs\' window and give the OME-TIFF results', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-cp-'));
  try {
    const { tif, store } = await fixtureAsZarr(tmp);
    const body =
      `channel_config: {cell_channel: 0, marker_channel: 1}\nvoxel_scale_zyx: [0.5, 0.5]\n` +
      `cell_model_config: {segmentation_method: cellpose, model_name_or_path: ${JSON.stringify(RANDOM_NET)}, diameter: 30}\n` +
      `marker_model_config: {segmentation_method: cellpose, model_name_or_path: ${JSON.stringify(RANDOM_NET)}, diameter: 30}\n` +
      `colocalization_config: {min_cell_voxels: 20}\nruntime_config: {use_gpu: false}\nrois: ${JSON.stringify(ROIS)}\n`;
    const out = { tiff: join(tmp, 'out-t'), zarr: join(tmp, 'out-z') };
    writeFileSync(join(tmp, 'tiff.yaml'), `image: ${tif}\nresults_dir: ${out.tiff}\n` + body);
    writeFileSync(join(tmp, 'zarr.yaml'), `image: ${store}\nresults_dir: ${out.zarr}\n` + body);
    const both = (args: (c: 'tiff' | 'zarr') => string[]) => {
      for (const c of ['tiff', 'zarr'] as const) cli(args(c));
    };

    // run: the network sees the same crops; the cache entries are keyed and placed in image coordinates
    both((c) => ['run', join(tmp, `${c}.yaml`), '--no-report']);
    assertSameResults(out.tiff, out.zarr, 'run');
    assert.equal(manifest(out.zarr).image.read.chunksRead, WINDOW_CHUNKS);
    const cacheDir = (d: string) => join(d, `${STEM}_cellpose_cache`);
    const files = readdirSync(cacheDir(out.tiff)).sort();
    assert.deepEqual(files, ['cell_roi1.cpcache', 'cell_roi2.cpcache', 'marker_roi1.cpcache', 'marker_roi2.cpcache']);
    assert.deepEqual(readdirSync(cacheDir(out.zarr)).sort(), files);
    for (const f of files) {
      const a = parseCacheEntry(readFileSync(join(cacheDir(out.tiff), f)), f).header;
      const b = parseCacheEntry(readFileSync(join(cacheDir(out.zarr), f)), f).header;
      assert.deepEqual([b.key, b.bbox, b.z0], [a.key, a.bbox, a.z0], `${f}: same key and image-coordinate box`);
    }

    // refine with other thresholds: masks rebuilt from those cache entries inside the window
    both((c) => ['refine', join(tmp, `${c}.yaml`), '--cell-cellprob-threshold', '-1', '--marker-flow-threshold', '0.8']);
    assertSameResults(out.tiff, out.zarr, 'refine');
    assert.equal(manifest(out.zarr).image.read.chunksRead, WINDOW_CHUNKS);
    assert.ok(manifest(out.zarr).refinement, 'a refinement manifest');

    // reanalyze the refined masks (as a user would after editing them)
    const masks = (d: string) => ['--cell-masks', join(d, `${STEM}_cell_masks.tif`), '--marker-masks', join(d, `${STEM}_marker_masks.tif`)];
    const reT = join(tmp, 're-t'), reZ = join(tmp, 're-z');
    cli(['reanalyze', join(tmp, 'tiff.yaml'), ...masks(out.tiff), '--results-dir', reT]);
    cli(['reanalyze', join(tmp, 'zarr.yaml'), ...masks(out.tiff), '--results-dir', reZ]);
    assertSameResults(reT, reZ, 'reanalyze');
    assert.equal(manifest(reZ).image.read.chunksRead, WINDOW_CHUNKS);

    // a label painted outside the ROIs (y 10–20, x 10–20): the window would lose it, so the whole image is read
    const cells = await readTiffPagesReference(join(out.tiff, `${STEM}_cell_masks.tif`));
    const edited = new Uint16Array(cells.data);
    for (let y = 10; y < 20; y++) edited.fill(999, y * 192 + 10, y * 192 + 20);
    const editedPath = join(tmp, 'edited_cells.tif');
    writeFileSync(editedPath, encodeTiffStack({ data: edited, shape: [1, 192, 192] }, { compression: 'deflate' }));
    const marker = ['--marker-masks', join(out.tiff, `${STEM}_marker_masks.tif`)];
    const edT = join(tmp, 'ed-t'), edZ = join(tmp, 'ed-z');
    cli(['reanalyze', join(tmp, 'tiff.yaml'), '--cell-masks', editedPath, ...marker, '--results-dir', edT]);
    cli(['reanalyze', join(tmp, 'zarr.yaml'), '--cell-masks', editedPath, ...marker, '--results-dir', edZ]);
    assert.equal(manifest(edZ).image.read.chunksRead, ALL_CHUNKS);
    assertSameResults(edT, edZ, 'edited reanalyze');
    const kept = await readTiffPagesReference(join(edZ, `${STEM}_cell_masks.tif`));
    assert.equal(kept.data[15 * 192 + 15], 999, 'the painted label is kept');
  } finally {
    if (!process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
    else console.log(tmp);
  }
});

test('OME-Zarr, single-channel Cellpose: run, refine and reanalyze read only the ROIs\' window and give the OME-TIFF results', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cellcoloc-zarr-cp1-'));
  try {
    const { tif, store } = await fixtureAsZarr(tmp);
    const body =
      `single_channel_config: {channel_index: 1}\nanalysis_config: {min_object_voxels: 10}\nvoxel_scale_zyx: [0.5, 0.5]\n` +
      `model_config: {segmentation_method: cellpose, model_name_or_path: ${JSON.stringify(RANDOM_NET)}, diameter: 30}\n` +
      `runtime_config: {use_gpu: false}\nrois: ${JSON.stringify(ROIS)}\n`;
    const out = { tiff: join(tmp, 'out-t'), zarr: join(tmp, 'out-z') };
    writeFileSync(join(tmp, 'tiff.yaml'), `image: ${tif}\nresults_dir: ${out.tiff}\n` + body);
    writeFileSync(join(tmp, 'zarr.yaml'), `image: ${store}\nresults_dir: ${out.zarr}\n` + body);
    const nTifs = 2; // the object masks and the ROI raster
    for (const c of ['tiff', 'zarr']) cli(['run', join(tmp, `${c}.yaml`), '--no-report']);
    assertSameResults(out.tiff, out.zarr, 'single-channel run', nTifs);
    // one channel of the store: 9 chunks
    assert.equal(manifest(out.zarr).image.read.chunksRead, WINDOW_CHUNKS / 2);
    for (const c of ['tiff', 'zarr']) cli(['refine', join(tmp, `${c}.yaml`), '--cellprob-threshold', '-1']);
    assertSameResults(out.tiff, out.zarr, 'single-channel refine', nTifs);
    assert.equal(manifest(out.zarr).image.read.chunksRead, WINDOW_CHUNKS / 2);
    const objects = readdirSync(out.tiff).find((f) => f.endsWith('.tif') && !f.includes('roi'))!;
    for (const c of ['tiff', 'zarr']) {
      cli(['reanalyze', join(tmp, `${c}.yaml`), '--masks', join(out.tiff, objects), '--results-dir', join(tmp, `re-${c}`)]);
    }
    assertSameResults(join(tmp, 're-tiff'), join(tmp, 're-zarr'), 'single-channel reanalyze', nTifs);
    assert.equal(manifest(join(tmp, 're-zarr')).image.read.chunksRead, WINDOW_CHUNKS / 2);
  } finally {
    if (!process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
    else console.log(tmp);
  }
});
