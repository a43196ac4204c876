/**
 * The browser viewer opens an OME-Zarr image (issue 20.5): the page loads level 0 of an NGFF 0.4 store
 * (blosc-lz4, 64² chunks) and shows its pixels. Checked on screen: at the 40 brightest and 40 darkest pixels of the
 * cell channel — taken from the same image read as OME-TIFF, an independent reader — the screenshot is bright and
 * dark respectively. Skipped without Debian's Chromium (failed with CI set), like the other browser tests.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startViewerServer, type ViewerServer } from '../src/viewer/server/server.js';
import { openImageStack } from '../src/io/image-stack.js';
import { caseDir, FIXTURES } from './helpers/fixtures.js';
import { skipBrowser, buildApp, launchChromium, screen } from './helpers/viewer-page.js';

const skip = skipBrowser;
let dir = '';
let server: ViewerServer;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-zarr-'));
  const stat = await buildApp(dir);
  writeFileSync(
    join(dir, 'zarr.yaml'),
    `image: ${join(FIXTURES, 'zarr', '2d_otsu_blosc_lz4.ome.zarr')}\nresults_dir: ${join(dir, 'results')}\n` +
      'channel_config: {cell_channel: 0, marker_channel: 1}\ncell_model_config: {segmentation_method: otsu}\nmarker_model_config: {segmentation_method: otsu}\n',
  );
  server = await startViewerServer(join(dir, 'zarr.yaml'), { staticDir: stat });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the viewer shows an OME-Zarr image: bright and dark pixels of the cell channel where the OME-TIFF has them', { skip }, async () => {
  await page.goto(server.url);
  await page.waitForFunction(() => (window as any).__viewer?.ready === true, null, { timeout: 30000 });
  const st = (await (await fetch(`http://127.0.0.1:${server.port}/api/state`, { headers: { 'X-CellColoc-Token': server.token } })).json()) as {
    image: { shapeZyx: number[] };
  };
  assert.deepEqual(st.image.shapeZyx, [1, 256, 256], 'level 0 of the store');
  // 2 screen px per image pixel at the canvas origin; then only the cell channel (the toggle redraws the view).
  await page.evaluate(() => {
    const v = (window as any).__viewer.view;
    v.scale = 2;
    v.tx = 0;
    v.ty = 0;
  });
  await page.click('#layers input[data-layer="marker"]');
  await page.waitForTimeout(300);
  const ref = await (await openImageStack(join(caseDir('2d_two_channel_otsu_fullroi'), 'input.ome.tif'))).readChannel(0, 0);
  const order = Array.from(ref.data.keys()).sort((a, b) => ref.data[a] - ref.data[b]);
  const shot = await screen(page);
  const lum = async (i: number) => {
    const [cx, cy] = await page.evaluate(([y, x]) => (window as any).__viewer.imageToClient(y, x), [Math.floor(i / 256), i % 256] as const);
    const [r, g, b] = shot.at(Math.round(cx), Math.round(cy));
    return r + g + b;
  };
  const dark: number[] = [];
  const bright: number[] = [];
  for (const i of order.slice(0, 40)) dark.push(await lum(i));
  for (const i of order.slice(-40)) bright.push(await lum(i));
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(mean(bright) > 200, `bright pixels are bright on screen (mean r+g+b ${mean(bright)})`);
  assert.ok(mean(bright) > mean(dark) + 150, `bright ${mean(bright)} vs dark ${mean(dark)}`);
  assert.ok(Math.min(...bright) > Math.max(...dark), 'every bright pixel is brighter than every dark one');
});
