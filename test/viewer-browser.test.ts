/**
 * End-to-end tests of the browser viewer (issue 8) in Debian's Chromium through playwright-core:
 * load the demo, toggle a layer, draw and save a polygon ROI (TIFF checked), run, click a table row and a
 * cell, paint / erase / undo a label and re-analyse (tables checked against hand-computed numbers), export,
 * and save the view as PNG (checked for real image content).
 *
 * Skipped (not failed) when /usr/bin/chromium is missing; `.ci/run` installs it from Debian's packages.
 * The app bundle is built fresh into a temp folder with esbuild so the test never serves a stale dist/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, copyFileSync, writeFileSync, readFileSync, rmSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startViewerServer, type ViewerServer } from '../src/viewer/server/server.js';
import { readTiffPagesReference } from './helpers/fixtures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : 'Debian chromium is not installed (/usr/bin/chromium)';

let dir = '';
let server: ViewerServer;
let browser: Browser;
let page: Page;
let Y = 0;
let X = 0;
const resultsDir = () => join(dir, 'results');

interface Table {
  columns: { name: string; kind: string }[];
  rows: (number | boolean | null)[][];
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { 'X-CellColoc-Token': server.token } });
  assert.equal(res.status, 200, `${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function cellPlane(): Promise<Uint32Array> {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/labels/cell?z=0`, { headers: { 'X-CellColoc-Token': server.token } });
  assert.equal(res.status, 200);
  return new Uint32Array(await res.arrayBuffer());
}

const col = (t: Table, name: string): (number | boolean | null)[] => {
  const i = t.columns.findIndex((c) => c.name === name);
  assert.ok(i >= 0, `column ${name} missing`);
  return t.rows.map((r) => r[i]);
};

/** Client coordinates of the centre of image pixel (y, x) (the test fixes the view to 2 screen px per pixel). */
async function client(y: number, x: number): Promise<[number, number]> {
  return page.evaluate(([yy, xx]) => (window as any).__viewer.imageToClient(yy, xx), [y, x] as const);
}

async function tool(name: string): Promise<void> {
  await page.click(`#tools button[data-tool="${name}"]`);
}

async function clickPixel(y: number, x: number): Promise<void> {
  const [cx, cy] = await client(y, x);
  await page.mouse.click(cx, cy);
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'cellcoloc-viewer-'));
  const stat = join(dir, 'static');
  mkdirSync(stat);
  await build({
    entryPoints: [join(ROOT, 'src/viewer/app/main.ts')],
    outfile: join(stat, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'app.css']) copyFileSync(join(ROOT, 'src/viewer/app', f), join(stat, f));
  copyFileSync(join(ROOT, 'data/demo/ht29_dna_ph3.ome.tif'), join(dir, 'ht29_dna_ph3.ome.tif'));
  // The demo config, with a comment that must survive "Save ROIs" (yaml Document API on the server side).
  writeFileSync(
    join(dir, 'demo.yaml'),
    readFileSync(join(ROOT, 'data/demo/ht29_demo.yaml'), 'utf8') + 'results_dir: results # keep me\n',
  );
  server = await startViewerServer(join(dir, 'demo.yaml'), { staticDir: stat });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  page = await browser.newPage({ viewport: { width: 1900, height: 1200 }, acceptDownloads: true });
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the page needs the token; with it the demo loads with both channels as layers', { skip }, async () => {
  const bare = await fetch(`http://127.0.0.1:${server.port}/app.js`);
  assert.equal(bare.status, 403);
  await page.goto(server.url);
  await page.waitForFunction(() => (window as any).__viewer?.ready === true, null, { timeout: 20000 });
  const st = await api<{ image: { shapeZyx: number[] } }>('/api/state');
  [, Y, X] = st.image.shapeZyx;
  assert.ok(Y >= 64 && X >= 64, `demo image ${Y}×${X}`);
  // Both channels are listed with their display names (demo config) and the status names the image size.
  const names = await page.$$eval('#layers .layer .name', (els) => els.map((e) => e.textContent!.trim()));
  assert.ok(names.includes('DNA (nuclei)') && names.includes('pH3'), names.join('|'));
  assert.match((await page.textContent('#status'))!, new RegExp(`${X}×${Y} px`));
  // Fix the view to exactly 2 screen px per image pixel at the canvas origin, so clicks hit known pixels.
  await page.evaluate(() => {
    const v = (window as any).__viewer.view;
    v.scale = 2;
    v.tx = 0;
    v.ty = 0;
  });
  // Hover readout shows (z, y, x) and the raw values.
  const [hx, hy] = await client(10, 20);
  await page.mouse.move(hx, hy);
  assert.match((await page.textContent('#hover'))!, /\(z, y, x\) = \(0, 10, 20\)\s+DNA \(nuclei\): \d+/);
});

test('toggling an image layer recomposites the view', { skip }, async () => {
  const centre = async (): Promise<number> =>
    page.evaluate(() => {
      const c = document.getElementById('view') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, Math.min(400, c.width), Math.min(400, c.height)).data;
      let s = 0;
      for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
      return s;
    });
  await page.waitForTimeout(100);
  const before = await centre();
  assert.ok(before > 0, 'the view shows the image');
  await page.click('#layers input[data-layer="cell"]');
  await page.waitForTimeout(100);
  const hidden = await centre();
  assert.ok(hidden < before, `hiding the DNA layer darkens the view (${hidden} < ${before})`);
  await page.click('#layers input[data-layer="cell"]');
  await page.waitForTimeout(100);
  assert.equal(await centre(), before);
});

test('draw a polygon ROI and save it: ROI mask TIFF and config are written', { skip }, async () => {
  await tool('polygon');
  // A rectangle as a polygon through pixel centres (y, x) = (20..Y-21, 20..X-21); close with Enter.
  const y0 = 20;
  const x0 = 20;
  const y1 = Y - 21;
  const x1 = X - 21;
  for (const [y, x] of [[y0, x0], [y0, x1], [y1, x1], [y1, x0]]) await clickPixel(y, x);
  await page.keyboard.press('Enter');
  const shapes = await page.evaluate(() => (window as any).__viewer.shapes);
  assert.equal(shapes.length, 1);
  assert.deepEqual(shapes[0].data.map((p: number[]) => p.map((v) => v - 0.5)), [[y0, x0], [y0, x1], [y1, x1], [y1, x0]]);
  await page.click('#saveRois');
  await page.waitForFunction(() => /saved 1 shape/.test(document.getElementById('roiInfo')!.textContent!));
  const tif = await readTiffPagesReference(join(resultsDir(), 'ht29_dna_ph3.ome_roi_labelmask.tif'));
  const px = tif.data;
  assert.deepEqual([tif.pages, tif.height, tif.width], [1, Y, X]);
  // Vertices at pixel centres + 0.5 → matplotlib contains_points: pixels y in [y0+1, y1], x in [x0+1, x1] inside.
  let n = 0;
  for (let i = 0; i < px.length; i++) if (px[i] === 1) n++;
  assert.equal(n, (y1 - y0) * (x1 - x0));
  assert.equal(px[(y0 + 5) * X + x0 + 5], 1);
  assert.equal(px[5 * X + 5], 0);
  const cfg = readFileSync(join(dir, 'demo.yaml'), 'utf8');
  assert.match(cfg, /label_image/);
  assert.match(cfg, /# keep me/);
});
