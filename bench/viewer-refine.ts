/**
 * Viewer refine timing (issue 8 item 7: "well under a second on a 1024×1024 image"): a synthetic 1024×1024
 * two-channel image, both channels segmented by Cellpose with the random-weight test network
 * (shared/fixtures/cellpose/v4net/cpsam_tiny_random.onnx, CPU) once, then `POST /api/refine` (masks rebuilt from
 * the cache + every table) timed through the viewer server. Random weights give unrealistic flows; the mask
 * stage on realistic flows is timed by bench/cellpose-dynamics.ts.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticTwoChannel } from './synthetic.js';
import { startViewerServer } from '../src/viewer/server/server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const net = resolve(root, '..', 'shared', 'fixtures', 'cellpose', 'v4net', 'cpsam_tiny_random.onnx');
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const image = join(out, 'viewer_refine_1024.ome.tif');
if (!existsSync(image)) {
  writeSyntheticTwoChannel(image, { shape: [1, 1024, 1024], nCells: 120, nMarkers: 120, cellR: [10, 16], markerR: [3, 6], cellRz: [1, 1], markerRz: [1, 1], seed: 3 });
}
if (!existsSync(net)) {
  console.log(`skipped: ${net} missing`);
  process.exit(0);
}
const cfg = join(out, 'viewer_refine_1024.yaml');
writeFileSync(
  cfg,
  [
    `image: ${image}`,
    'results_dir: viewer_refine_1024_results',
    'channel_config: {cell_channel: 0, marker_channel: 1}',
    `cell_model_config: {segmentation_method: cellpose, model_name_or_path: ${JSON.stringify(net)}, diameter: 30}`,
    `marker_model_config: {segmentation_method: cellpose, model_name_or_path: ${JSON.stringify(net)}}`,
    'colocalization_config: {min_cell_voxels: 20}',
    'rois: full',
    'runtime_config: {use_gpu: false}',
    '',
  ].join('\n'),
);
const srv = await startViewerServer(cfg);
const h = { 'X-CellColoc-Token': srv.token, 'Content-Type': 'application/json' };
const base = `http://127.0.0.1:${srv.port}`;
const state = async () => (await (await fetch(`${base}/api/state`, { headers: h })).json()) as { busy: boolean; error: string | null; cellpose: { cell: boolean } };
try {
  const t0 = performance.now();
  await fetch(`${base}/api/run`, { method: 'POST', headers: h });
  let s = await state();
  while (s.busy) {
    await new Promise((r) => setTimeout(r, 200));
    s = await state();
  }
  if (s.error) throw new Error(s.error);
  console.log(`\n== viewer refine (1024×1024, Cellpose random-weight net on CPU)\nfirst run ${((performance.now() - t0) / 1000).toFixed(1)} s; cache: ${JSON.stringify(s.cellpose)}`);
  const walls: number[] = [];
  for (const [cp, fl] of [[0, 0.4], [-1, 0.6], [1, 0.2], [0.5, 0.4], [-0.5, 0.8]]) {
    const t = performance.now();
    const r = await fetch(`${base}/api/refine`, { method: 'POST', headers: h, body: JSON.stringify({ cell: { cellprobThreshold: cp, flowThreshold: fl } }) });
    if (!r.ok) throw new Error(await r.text());
    await Promise.all(['roi_coloc_overview', 'cell_summary'].map(async (sh) => (await fetch(`${base}/api/table/${sh}`, { headers: h })).json()));
    walls.push(performance.now() - t);
  }
  const med = [...walls].sort((a, b) => a - b)[2];
  console.log(`refine → tables received: median ${(med / 1000).toFixed(3)} s (runs ${walls.map((w) => (w / 1000).toFixed(3)).join(', ')}); "well under a second": ${med < 1000 ? 'MET' : 'NOT MET'}`);
} finally {
  await srv.close();
}
