/**
 * Issue 15.5: the Cellpose slider's mask stage and its background prewarm do not block other requests. Both run
 * in the session's analysis worker (analysis-worker-jobs.ts), which reports the step it is in; `GET /api/state`
 * shows it (`step` of the refinement, `background` of the prewarm). The worker reports the step just before a
 * mask computation and clears it just after, so an answer carrying it was given while the mask stage ran: with
 * the mask stage on the server's thread (where it was), no answer could carry it (the whole computation ran
 * within one turn of the event loop). No timing is asserted (the machine may be loaded).
 *
 * The cache is synthetic and large: a 2048² cell channel whose Cellpose-like flows (the heat-diffusion flows of
 * disk masks, as Cellpose trains on, with a probability falling from the disk centres) make one mask computation
 * take ~1 s. The refined masks are checked against the same refinement run here with the plain mask stage (no
 * memo, this thread): identical labels and counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { http, type TimedResponse as Resp } from './helpers/http.js';
import { startViewerServer } from '../src/viewer/server/server.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { buildResultsPaths } from '../src/export/results-paths.js';
import { cellposeCacheDir, networkSettings, writeCacheEntry } from '../src/segmentation/cellpose/cache.js';
import { CELLPOSE_MAX_SIZE_FRACTION, CELLPOSE_MIN_SIZE, CELLPOSE_STITCH_THRESHOLD, resolveCellposeEval } from '../src/segmentation/cellpose/backend.js';
import { masksToFlows } from '../src/segmentation/cellpose/dynamics/masks-to-flows.js';
import { refineRunResultFromCellposeCache } from '../src/pipeline/refine.js';
import { getColumn } from '../src/core/table.js';
import { writeTwoChannelStudy } from './helpers/two-channel-study.js';

const MODEL = resolve(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'cellpose', 'v4net', 'cpsam_tiny_random.onnx');



interface State {
  busy: boolean;
  working: string | null;
  step: string | null;
  background: string | null;
  error: string | null;
}

const N = 2048;
const R = 9;
const PITCH = 24;

/** Disks of radius R on a PITCH grid (ids row by row), the images (cells bright; marker on every other cell). */
function disks(): { masks: Uint32Array; centres: { y: number; x: number }[] } {
  const masks = new Uint32Array(N * N);
  const centres: { y: number; x: number }[] = [];
  for (let cy = PITCH / 2; cy + R < N; cy += PITCH) {
    for (let cx = PITCH / 2; cx + R < N; cx += PITCH) {
      centres.push({ y: cy, x: cx });
      const id = centres.length;
      for (let y = cy - R; y <= cy + R; y++) for (let x = cx - R; x <= cx + R; x++) if ((y - cy) ** 2 + (x - cx) ** 2 <= R * R) masks[y * N + x] = id;
    }
  }
  return { masks, centres };
}

async function setup(): Promise<{ dir: string; cfg: string; nCells: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-worker-cp-'));
  const { masks, centres } = disks();
  const planes = [0, 1].map((c) => {
    const d = new Uint16Array(N * N).fill(100);
    for (let i = 0; i < N * N; i++) if (masks[i] && (c === 0 || masks[i] % 2 === 0)) d[i] = 2000;
    return d;
  });
  const { cfg, images } = writeTwoChannelStudy(dir, planes, N, [
    'channel_config: {cell_channel: 0, marker_channel: 1}',
    `cell_model_config: {segmentation_method: cellpose, model_name_or_path: ${JSON.stringify(MODEL)}}`,
    'marker_model_config: {segmentation_method: otsu, threshold_min_object_voxels: 0}',
    'colocalization_config: {min_cell_voxels: 1, overlap_fraction_threshold: 0.01, min_overlap_voxels: 1}',
    'rois: full',
  ]);
  // The last run's results: the disks as cell masks, the marker's disks as marker masks.
  const config = await loadConfigFile(cfg);
  const paths = buildResultsPaths(images[0], { resultsDir: config.resultsDir });
  const marker = masks.map((v) => (v % 2 === 0 ? v : 0));
  mkdirSync(paths.resultsDir, { recursive: true });
  writeFileSync(paths.cellMaskPath, encodeTiffStack({ data: masks, shape: [1, N, N] }, { compression: 'deflate' }));
  writeFileSync(paths.markerMaskPath, encodeTiffStack({ data: marker, shape: [1, N, N] }, { compression: 'deflate' }));
  // Its Cellpose cache for the cell channel: flows of the disks (×5, as the network's), probability 7 at a
  // centre falling to -1 at the rim, -4 outside.
  const mu = masksToFlows(masks, N, N, 4);
  const dP = new Float32Array(2 * N * N);
  const cellprob = new Float32Array(N * N).fill(-4);
  for (let q = 0; q < N * N; q++) {
    dP[q] = 5 * mu[q];
    dP[N * N + q] = 5 * mu[N * N + q];
    const id = masks[q];
    if (id) {
      const c = centres[id - 1];
      cellprob[q] = 8 * (1 - Math.hypot(Math.floor(q / N) - c.y, (q % N) - c.x) / R) - 1;
    }
  }
  const mc = config.cellModelConfig;
  const ev = resolveCellposeEval(mc, [1, N, N], [1, 1, 1], 'cell_model_config');
  await writeCacheEntry(cellposeCacheDir(paths.resultsDir, paths.stem), {
    key: 'synthetic',
    channel: 'cell',
    roiId: 1,
    box: { yMin: 0, yMax: N, xMin: 0, xMax: N },
    z0: 0,
    net: { shape: [1, N, N], do3d: false, dP, cellprob },
    roiMask: new Uint8Array(N * N).fill(1),
    model: { path: MODEL, sha256: 'synthetic', cellposeVersion: 4, architecture: 'cpsam' },
    network: networkSettings(mc, { modelSha256: 'synthetic', do3d: ev.do3d, anisotropy: ev.anisotropy }),
    mask: {
      cellprobThreshold: mc.cellprobThreshold,
      flowThreshold: mc.flowThreshold,
      minSize: CELLPOSE_MIN_SIZE,
      maxSizeFraction: CELLPOSE_MAX_SIZE_FRACTION,
      niter: ev.niter,
      do3d: false,
      stitchThreshold: CELLPOSE_STITCH_THRESHOLD,
      cellposeVersion: 4,
    },
  });
  return { dir, cfg, nCells: centres.length };
}

test('viewer: GET /api/state is answered during the Cellpose prewarm and a slider move’s mask stage (worker thread); same masks as the plain mask stage', { timeout: 600_000 }, async (t) => {
  const ts = performance.now();
  const { dir, cfg, nCells } = await setup();
  t.diagnostic(`setup (images, masks, flows, cache) ${(performance.now() - ts).toFixed(0)} ms`);
  const srv = await startViewerServer(cfg, { port: 0 });
  try {
    const { port, token } = srv;
    const get = async (): Promise<State> => {
      const r = await http(port, 'GET', `/api/state?token=${token}`);
      assert.equal(r.status, 200, r.body);
      return JSON.parse(r.body) as State;
    };
    // The last results load in the background, then (1 s later) the prewarm starts in the worker.
    srv.session.startDeferredResultLoad();
    let s = await get();
    while (s.busy) s = await get();
    assert.equal(s.error, null);
    let duringPrewarm = 0;
    let polls = 0;
    const t0 = performance.now();
    // Until the prewarm's first mask computation (a full one) has been seen and has ended, or a generous limit on a
    // loaded machine; the slider move below then makes the rest of the prewarm give way.
    while (performance.now() - t0 < 120_000) {
      s = await get();
      polls++;
      if (s.background === 'cellpose prewarm') duringPrewarm++;
      else if (duringPrewarm >= 3) break;
    }
    t.diagnostic(`prewarm: ${duringPrewarm} of ${polls} state answers given while it computed masks`);
    assert.ok(duringPrewarm >= 3, `GET /api/state was answered only ${duringPrewarm} times during the prewarm's mask computations`);

    // A slider move far from the cached threshold: most trajectories integrate again (a full mask stage).
    const write = { 'X-CellColoc-Token': token, Origin: `http://127.0.0.1:${port}`, 'Content-Type': 'application/json' };
    let settled: number | null = null;
    const move = http(port, 'POST', '/api/refine', write, JSON.stringify({ cell: { cellprobThreshold: 4.5 } }));
    void move.then((r) => (settled = r.at));
    const seen: { step: string | null; working: string | null; before: boolean }[] = [];
    while (settled === null) {
      const st = await get();
      seen.push({ step: st.step, working: st.working, before: settled === null });
    }
    const mv = await move;
    assert.equal(mv.status, 200, mv.body);
    const inMasks = seen.filter((x) => x.before && x.working === 'refinement' && x.step === 'cellpose masks').length;
    t.diagnostic(`slider move ${JSON.parse(mv.body).ms} ms: ${seen.length} state answers meanwhile, ${inMasks} during its mask stage`);
    assert.ok(inMasks >= 3, `GET /api/state was answered only ${inMasks} times during the slider's mask stage: ${JSON.stringify(seen.slice(0, 50))}`);
    assert.equal((await get()).step, null, 'the step is cleared with the refinement');

    // The same refinement with the plain mask stage (no memo, on this thread): identical labels and tables.
    const tp = performance.now();
    const plain = await refineRunResultFromCellposeCache({
      loaded: srv.session.loaded,
      roiLabels: srv.session.roiLabels,
      colocalizationConfig: srv.session.config.colocalizationConfig,
      cellModelConfig: srv.session.config.cellModelConfig,
      markerModelConfig: null,
      cacheDir: cellposeCacheDir(srv.session.paths.resultsDir, srv.session.paths.stem),
      thresholds: { cellCellprobThreshold: 4.5 },
      runResult: srv.session.result,
      keepChannels: ['marker', 'optional_region'],
    });
    t.diagnostic(`plain refinement here ${(performance.now() - tp).toFixed(0)} ms`);
    const ours = srv.session.labelVolume('cell')!.data;
    let diff = 0;
    for (let i = 0; i < ours.length; i++) if (ours[i] !== plain.cellMasks.data[i]) diff++;
    assert.equal(diff, 0, `${diff} pixels of the refined cell masks differ from the plain mask stage's`);
    const count = (tables: typeof plain.tables) => getColumn(tables.overview, 'n_cells').values[0];
    const nRefined = count(srv.session.result!.tables);
    assert.equal(nRefined, count(plain.tables));
    assert.ok(nRefined > nCells * 0.9 && nRefined <= nCells, `n_cells ${nRefined} of ${nCells} disks`);
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
