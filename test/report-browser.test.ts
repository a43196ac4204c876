/**
 * Reports in Debian's Chromium (issue 17.6): a single-run report and an experiment report opened from
 * `file://` with no server — plots and thumbnails are on screen (screenshot pixels: the highlight colour of the
 * positive cells in the overlay, the red threshold rule in the overlap plot), no console error, no request
 * leaving `file://`/`data:`, hover titles carry the sample, and a gallery link opens the sample's report.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { decodePng, launchChromium, skipBrowser, type Raster } from './helpers/viewer-page.js';
import { buildDemoExperiment, cli } from './helpers/report-experiment.js';

let dir = '';
let expDir = '';
let browser: Browser;

before(async () => {
  if (skipBrowser) return;
  dir = mkdtempSync(join(tmpdir(), 'cellcoloc-report-browser-'));
  const r = await cli(['demo', '--results-dir', join(dir, 'demo'), '-q']);
  assert.equal(r.code, 0, r.err);
  const built = buildDemoExperiment(join(dir, 'exp'));
  assert.ok(built.code === 1 && /1 sample failed/.test(built.err), built.err);
  expDir = built.out;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Watch {
  errors: string[];
  foreign: string[];
}

async function open(path: string): Promise<{ page: Page; watch: Watch }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const watch: Watch = { errors: [], foreign: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') watch.errors.push(m.text());
  });
  page.on('pageerror', (e) => watch.errors.push(String(e)));
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith('file:') && !u.startsWith('data:')) watch.foreign.push(u);
  });
  await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
  return { page, watch };
}

/** Pixels of `img` within `tol` per channel of `rgb`. */
function countNear(img: Raster, rgb: readonly [number, number, number], tol = 30): number {
  let n = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const [r, g, b] = img.at(x, y);
      if (Math.abs(r - rgb[0]) <= tol && Math.abs(g - rgb[1]) <= tol && Math.abs(b - rgb[2]) <= tol) n++;
    }
  }
  return n;
}

test('single-run report from file://: plots and the overlay on screen, no console error, no request out', { skip: skipBrowser }, async () => {
  const { page, watch } = await open(join(dir, 'demo', 'report.html'));
  const plots = await page.$$eval('figure.plot svg', (els) => els.filter((e) => e.getBoundingClientRect().width > 100).length);
  assert.ok(plots >= 4, `${plots} plots rendered`);
  const imgs = await page.$$eval('figure.thumb img', (els) => els.map((e) => [(e as HTMLImageElement).complete, (e as HTMLImageElement).naturalWidth]));
  assert.deepEqual(imgs, [[true, 512]]);
  // the overlay on screen: positive cells filled in the highlight colour, cell outlines, dark background
  const thumb = decodePng(await page.locator('figure.thumb img').screenshot());
  assert.ok(thumb.width >= 500, `overlay ${thumb.width} px wide`);
  assert.ok(countNear(thumb, [255, 214, 0], 60) > 50, 'highlight-coloured (positive) pixels');
  assert.ok(countNear(thumb, [0, 0, 0], 20) > thumb.width * thumb.height * 0.2, 'dark background');
  // the overlap plot on screen: its red dashed threshold rule is drawn
  const fig = page.locator('#plot-overlap-fraction .plot-svg');
  await fig.scrollIntoViewIfNeeded();
  const plot = decodePng(await fig.screenshot());
  assert.ok(countNear(plot, [214, 39, 40], 40) > 30, 'red threshold rule pixels');
  // the spec of each plot is in the page
  const specs = await page.$$eval('script.plot-spec', (els) => els.map((e) => JSON.parse(e.textContent!).id));
  assert.deepEqual(specs, ['cell-size', 'overlap-fraction', 'overlap-rule', 'marker-intensity']);
  assert.deepEqual(watch.errors, []);
  assert.deepEqual(watch.foreign, []);
  await page.close();
});

test('experiment report from file://: plots, plate, QC flag, gallery; hover names the sample; a gallery link opens the sample report', { skip: skipBrowser }, async () => {
  const { page, watch } = await open(join(expDir, 'report.html'));
  const plots = await page.$$eval('figure.plot svg', (els) => els.filter((e) => e.getBoundingClientRect().width > 100).length);
  assert.ok(plots >= 3, `${plots} plots rendered`);
  const titles = await page.$$eval('#plot-positive-by-condition circle title', (els) => els.map((e) => e.textContent ?? ''));
  assert.equal(titles.length, 5);
  assert.ok(titles.some((t) => t.startsWith('sample: s05')), titles.join(' | '));
  const gallery = await page.$$eval('.gallery img', (els) => els.map((e) => (e as HTMLImageElement).naturalWidth));
  assert.deepEqual(gallery, [180, 180, 180, 180, 180]);
  const flagged = await page.$$eval('table.qc tr', (rows) => rows.filter((r) => r.querySelector('td.qc-flag')).map((r) => r.querySelector('td')!.textContent));
  assert.deepEqual(flagged, ['s05']);
  // the flagged row is highlighted on screen
  const row = page.locator('table.qc tr', { hasText: 's05' }).locator('td').first();
  await row.scrollIntoViewIfNeeded();
  const shot = decodePng(await row.screenshot());
  assert.ok(countNear(shot, [0xfd, 0xe7, 0xe9], 6) > shot.width * shot.height * 0.3, 'flag background');
  // gallery overlay pixels on screen (positive highlight present)
  const g = page.locator('.gallery img').first();
  await g.scrollIntoViewIfNeeded();
  assert.ok(countNear(decodePng(await g.screenshot()), [255, 214, 0], 70) > 5, 'positive cells in the gallery overlay');
  assert.deepEqual(watch.errors, []);
  assert.deepEqual(watch.foreign, []);
  // offline navigation to the sample's own report
  await Promise.all([page.waitForURL(/samples\/s01\/report\.html$/), page.locator('.gallery a[data-sample="s01"]').click()]);
  assert.ok((await page.$$('figure.plot svg')).length >= 4);
  assert.deepEqual(watch.errors, []);
  assert.deepEqual(watch.foreign, []);
  await page.close();
});
