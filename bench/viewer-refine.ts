/**
 * Viewer refine timing (issue 8 item 7: sliders rebuild masks from the Cellpose cache and update layers and tables
 * "in well under a second on a 1024×1024 image"), through the viewer server's `POST /api/refine` + the two tables.
 *
 * 1. Realistic flows: a 1024×1024 two-channel image segmented once by Cellpose (random-weight test network, CPU,
 *    to create a genuine cache and results folder); then the cell channel's cache entry is replaced by Cellpose-like
 *    flows of ~500 disk cells with a smooth cell probability (bench/synthetic.ts `syntheticCellposeFlows`), and
 *    the viewer is started on that folder. Timed: cellprob slider moves (dynamics needed) and flow slider moves
 *    (same cellprob: only the flow-error QC threshold changes).
 *    Then the same moves in headless Chromium (Debian's /usr/bin/chromium; skipped without it or without
 *    dist/viewer — `npm run bench` builds it): slider "change" → refined layers and tables on screen
 *    (the app's status line, then one animation frame).
 * 2. Stress: the random network's own flows (10–18 k tiny objects per channel, far more than a real image).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticCellposeFlows, writeSyntheticTwoChannel } from './synthetic.js';
import { startViewerServer } from '../src/viewer/server/server.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { runWorkflow } from '../src/pipeline/workflow.js';
import { cellposeCacheDir, listCacheEntries, readCacheEntry, writeCacheEntry } from '../src/segmentation/cellpose/cache.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const net = resolve(root, 'test', 'fixtures', 'cellpose', 'v4net', 'cpsam_tiny_random.onnx');
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

function writeConfig(name: string): string {
  const cfg = join(out, `${name}.yaml`);
  writeFileSync(
    cfg,
    [
      `image: ${image}`,
      `results_dir: ${name}_results`,
      'channel_config: {cell_channel: 0, marker_channel: 1}',
      `cell_model_config: {segmentation_method: cellpose, model_name_or_path: ${JSON.stringify(net)}, diameter: 30}`,
      `marker_model_config: {segmentation_method: cellpose, model_name_or_path: ${JSON.stringify(net)}}`,
      'colocalization_config: {min_cell_voxels: 20}',
      'rois: full',
      'runtime_config: {use_gpu: false}',
      '',
    ].join('\n'),
  );
  return cfg;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmt = (a: number[]) => a.map((w) => (w / 1000).toFixed(3)).join(', ');

async function timeRefines(cfg: string, moves: [number, number][]): Promise<{ walls: number[]; nCells: number[] }> {
  const srv = await startViewerServer(cfg);
  // The timed requests follow a 3 s pause: on a loaded machine that outlasted Node's 5 s keep-alive, and the
  // server closed the idle socket as fetch reused it (ECONNRESET / "other side closed"). Keep it open.
  srv.server.keepAliveTimeout = 60_000;
  const h = { 'X-CellColoc-Token': srv.token, 'Content-Type': 'application/json' };
  const base = `http://127.0.0.1:${srv.port}`;
  const walls: number[] = [];
  const nCells: number[] = [];
  try {
    // The last results load in the background once the first image is served (or after 1.5 s).
    for (;;) {
      const st = (await (await fetch(`${base}/api/state`, { headers: h })).json()) as { busy: boolean; error: string | null };
      if (st.error) throw new Error(st.error);
      if (!st.busy) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    // Then the server computes the mask stage once in the background (the memo's prewarm, session.ts); a user
    // moves a slider seconds after the view appears, so the timed moves start after it.
    await new Promise((res) => setTimeout(res, 3000));
    for (const [cp, fl] of moves) {
      const t = performance.now();
      const r = await fetch(`${base}/api/refine`, { method: 'POST', headers: h, body: JSON.stringify({ cell: { cellprobThreshold: cp, flowThreshold: fl } }) });
      if (!r.ok) throw new Error(await r.text());
      const [ov] = await Promise.all(['roi_coloc_overview', 'cell_summary'].map(async (sh) => (await fetch(`${base}/api/table/${sh}`, { headers: h })).json()));
      walls.push(performance.now() - t);
      const o = ov as { columns: { name: string }[]; rows: unknown[][] };
      nCells.push(Number(o.rows[0][o.columns.findIndex((c) => c.name === 'n_cells')]));
    }
  } finally {
    await srv.close();
  }
  return { walls, nCells };
}

/** Slider moves in the real app; null when Chromium or the built app is missing. */
async function timeRefinesInChromium(cfg: string, moves: [number, number][]): Promise<number[] | null> {
  const CHROMIUM = '/usr/bin/chromium';
  if (!existsSync(CHROMIUM) || !existsSync(join(root, 'dist', 'viewer', 'app.js'))) {
    console.log('in Chromium: skipped (needs /usr/bin/chromium and dist/viewer from `npm run build`)');
    return null;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  const srv = await startViewerServer(cfg);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(srv.url);
    await page.waitForFunction(() => !(document.getElementById('refine-cell-cellprob') as HTMLInputElement | null)?.disabled, null, { timeout: 60000 });
    await new Promise((r) => setTimeout(r, 3000)); // the server's prewarm of the mask memo (see session.ts)
    const out: number[] = [];
    // Two untimed moves first (0.1, then back to 0): the page's first refreshes compile its decode, composite and
    // table code; the timed moves then start from the same thresholds as the server's.
    for (const [cp, fl, timed] of [[0.1, 0.4, false], [0, 0.4, false], ...moves.map(([a, b]) => [a, b, true])] as [number, number, boolean][]) {
      // A string, not a function: tsx's name-keeping helper (__name) does not exist in the page.
      const ms = await page.evaluate(`(async () => {
        const status = document.getElementById('status');
        status.textContent = '';
        const c = document.getElementById('refine-cell-cellprob');
        const f = document.getElementById('refine-cell-flow');
        const t0 = performance.now();
        c.value = '${cp}';
        f.value = '${fl}';
        f.dispatchEvent(new Event('change'));
        for (;;) {
          const s = status.textContent || '';
          if (/masks rebuilt from the Cellpose cache/.test(s)) break;
          if (/error/i.test(s)) throw new Error(s);
          await new Promise((r) => setTimeout(r, 2));
        }
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        return performance.now() - t0;
      })()`);
      if (timed) out.push(ms as number);
    }
    return out;
  } finally {
    await srv.close();
    await browser.close();
  }
}

// 1. Realistic flows in the cell channel's cache.
{
  const cfg = writeConfig('viewer_refine_1024_real');
  const config = await loadConfigFile(cfg);
  const run = await runWorkflow(config);
  const cacheDir = cellposeCacheDir(run.paths.resultsDir, run.paths.stem);
  const [path] = await listCacheEntries(cacheDir, 'cell');
  const e = (await readCacheEntry(path))!;
  const [, h, w] = e.header.shape;
  if (h !== 1024 || w !== 1024) throw new Error(`unexpected cache shape ${e.header.shape}`);
  const f = syntheticCellposeFlows(1024, 500, 7, 'smooth');
  await writeCacheEntry(cacheDir, {
    key: e.header.key,
    channel: 'cell',
    roiId: e.header.roiId,
    box: e.header.bbox,
    z0: e.header.z0,
    net: { shape: e.header.shape, do3d: false, dP: f.dP, cellprob: f.cellprob },
    roiMask: e.roiMask,
    model: e.header.model,
    network: e.header.network,
    mask: e.header.mask,
  });
  // Every cellprob move changes the threshold (from 0, the config's); the flow moves then keep cellprob 0.25.
  const cpMoves: [number, number][] = [[-0.5, 0.4], [0.5, 0.4], [-1, 0.4], [1, 0.4], [0.25, 0.4]];
  const flMoves: [number, number][] = [[0.25, 0.2], [0.25, 0.6], [0.25, 0.8], [0.25, 0.3], [0.25, 0.5]];
  const { walls, nCells } = await timeRefines(cfg, [...cpMoves, ...flMoves]);
  const cpW = walls.slice(0, 5);
  const flW = walls.slice(5);
  console.log(`\n== viewer refine, 1024×1024, Cellpose-like flows (${f.nCells} synthetic cells in the cache), cell channel`);
  console.log(`cellprob slider (dynamics): median ${(median(cpW) / 1000).toFixed(3)} s (runs ${fmt(cpW)}; n_cells ${nCells.slice(0, 5).join(', ')})`);
  console.log(`flow slider (QC only):      median ${(median(flW) / 1000).toFixed(3)} s (runs ${fmt(flW)}; n_cells ${nCells.slice(5).join(', ')})`);
  const worst = Math.max(median(cpW), median(flW));
  console.log(`server (refine + tables received): "well under a second" (≤ 0.5 s taken as the bar): ${worst <= 500 ? 'MET' : 'NOT MET'}`);
  const inBrowser = await timeRefinesInChromium(cfg, [...cpMoves, ...flMoves]);
  if (inBrowser) {
    const bc = inBrowser.slice(0, 5);
    const bf = inBrowser.slice(5);
    console.log(`in Chromium, slider change → layers + tables shown: cellprob median ${(median(bc) / 1000).toFixed(3)} s (runs ${fmt(bc)}); flow median ${(median(bf) / 1000).toFixed(3)} s (runs ${fmt(bf)})`);
    console.log(`"well under a second" in the browser (≤ 0.5 s): ${Math.max(median(bc), median(bf)) <= 500 ? 'MET' : 'NOT MET'}`);
  }
}

// 2. Stress: the random network's flows.
{
  const cfg = writeConfig('viewer_refine_1024');
  const config = await loadConfigFile(cfg);
  const t0 = performance.now();
  await runWorkflow(config);
  const first = performance.now() - t0;
  const { walls, nCells } = await timeRefines(cfg, [[0, 0.4], [-1, 0.6], [1, 0.2], [0.5, 0.4], [-0.5, 0.8]]);
  console.log(`\n== viewer refine stress, 1024×1024, random-weight network's flows (first run ${(first / 1000).toFixed(1)} s)`);
  console.log(`refine → tables received: median ${(median(walls) / 1000).toFixed(3)} s (runs ${fmt(walls)}; n_cells ${nCells.join(', ')})`);
}
