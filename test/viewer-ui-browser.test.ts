/**
 * Issue 16.2–16.5 in the browser, checked on screen: which cells are positive is readable at a glance (fixed
 * colours, legend in the config's display names, per-layer outline/fill and colour mode), contrast by
 * histogram limits / auto / reset / gamma, napari's shortcuts with a help panel, "preserve labels", "delete
 * label 0" is no edit, and the tables (every column reachable, sticky header and first column, formatting,
 * positive filter, CSV download, stale notice cleared by re-analysis).
 *
 * Expected values come from the server's label planes and tables (the run's output, not the page), from a
 * percentile written out here (numpy.percentile's linear interpolation), and from the fixed colours of the
 * issue's design (src/viewer/layer-style.ts states them: positive orange, marker green, cell outline grey).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, copyFileSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startViewerServer, type ViewerServer } from '../src/viewer/server/server.js';
import { ROOT, skipBrowser as skip, buildApp, launchChromium, screen, type Raster } from './helpers/viewer-page.js';
import { caseDir, readCsv, csvColumn } from './helpers/fixtures.js';
import { fixtureConfigObject } from './helpers/fixture-config.js';

let dir = '';
let server: ViewerServer;
let browser: Browser;
let page: Page;
let Y = 0;
let X = 0;
let origin = { x: 0, y: 0 };

interface Table {
  columns: { name: string; kind: string }[];
  rows: (number | boolean | null)[][];
}

async function get(path: string): Promise<Response> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { 'X-CellColoc-Token': server.token } });
  assert.equal(res.status, 200, `${path}: HTTP ${res.status}`);
  return res;
}
const table = async (sheet: string): Promise<Table> => (await (await get(`/api/table/${sheet}`)).json()) as Table;
const plane = async (layer: string): Promise<Uint32Array> => new Uint32Array(await (await get(`/api/labels/${layer}?z=0`)).arrayBuffer());
const col = (t: Table, name: string) => t.rows.map((r) => r[t.columns.findIndex((c) => c.name === name)]);

async function setView(scale: number, tx = 0, ty = 0): Promise<void> {
  await page.evaluate(([s, x, y]) => {
    const v = (window as any).__viewer.view;
    v.scale = s;
    v.tx = x;
    v.ty = y;
    (window as any).__viewer.requestDraw();
  }, [scale, tx, ty] as const);
}

/** Screen colour at the centre of image pixel (y, x) (view: 4 screen px per pixel at the canvas origin). */
const pixel = (img: Raster, y: number, x: number) => img.at(origin.x + (x + 0.5) * 4, origin.y + (y + 0.5) * 4);

/** Pixels of label `id` whose 8 neighbours (distance 2) are the same label: interior, away from any outline. */
function interior(p: Uint32Array, id: number): [number, number] | null {
  for (let y = 2; y < Y - 2; y++) {
    for (let x = 2; x < X - 2; x++) {
      if (p[y * X + x] !== id) continue;
      let ok = true;
      for (let dy = -2; dy <= 2 && ok; dy++) for (let dx = -2; dx <= 2 && ok; dx++) if (p[(y + dy) * X + x + dx] !== id) ok = false;
      if (ok && y * 4 < 800 && x * 4 < 800) return [y, x];
    }
  }
  return null;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'cellcoloc-ui-'));
  const stat = await buildApp(dir);
  copyFileSync(join(ROOT, 'data/demo/ht29_dna_ph3.ome.tif'), join(dir, 'ht29_dna_ph3.ome.tif'));
  writeFileSync(join(dir, 'demo.yaml'), readFileSync(join(ROOT, 'data/demo/ht29_demo.yaml'), 'utf8') + 'results_dir: results\n');
  server = await startViewerServer(join(dir, 'demo.yaml'), { staticDir: stat });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1700, height: 1000 }, deviceScaleFactor: 1, acceptDownloads: true });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => (window as any).__viewer?.ready === true, null, { timeout: 30000 });
  [, Y, X] = ((await (await get('/api/state')).json()) as { image: { shapeZyx: number[] } }).image.shapeZyx;
  origin = await page.evaluate(() => {
    const b = document.getElementById('view')!.getBoundingClientRect();
    return { x: b.left, y: b.top };
  });
  await page.click('#run');
  await page.waitForFunction(() => /analysis finished/.test(document.getElementById('runInfo')!.textContent!), null, { timeout: 90000 });
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Leaves a text field (keys typed into one are not shortcuts, as in napari). */
const blur = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

const shots = process.env.CELLCOLOC_TEST_SHOTS;
async function keep(name: string): Promise<void> {
  if (shots) writeFileSync(join(shots, `ui-${name}.png`), await page.screenshot());
}

test('after Run, positive cells are filled in one fixed colour, other cells outlined, marker objects green; the legend says so', { skip, timeout: 240_000 }, async () => {
  await setView(4);
  await keep('after-run');
  // Signal off: what remains on screen is the label layers alone.
  await page.click('#layers input[data-layer="cell"]');
  await page.click('#layers input[data-layer="marker"]');
  const cells = await plane('cell');
  const pos = await plane('positive');
  const marker = await plane('marker');
  const summary = await table('cell_summary');
  const labels = col(summary, 'cell_label').map(Number);
  const positive = col(summary, 'marker_positive');
  const posIds = labels.filter((_, i) => positive[i] === true);
  const negIds = labels.filter((_, i) => positive[i] === false);
  assert.ok(posIds.length > 0 && negIds.length > 0);
  // A positive and a non-positive cell and a marker object with an interior pixel in the visible area.
  const pIn = posIds.map((id) => interior(pos, id)).find((p) => p);
  const nIn = negIds.map((id) => interior(cells, id)).find((p) => p);
  assert.ok(pIn && nIn, 'cells with interior pixels on screen');
  let mEdge: [number, number] | null = null;
  for (let i = 0; i < marker.length && !mEdge; i++) {
    const y = Math.floor(i / X), x = i % X;
    if (!marker[i] || y * 4 >= 800 || x * 4 >= 800 || x === 0 || pos[i] || cells[i]) continue;
    if (marker[i - 1] === 0) mEdge = [y, x];
  }
  const img = await screen(page);
  const [pr, pg, pb] = pixel(img, ...pIn);
  // Orange (255, 146, 43) at 55 % over black: red high, blue low.
  assert.ok(pr > 110 && pr > pg + 40 && pg > pb + 30, `positive interior shows the highlight: ${pr},${pg},${pb}`);
  assert.deepEqual(pixel(img, ...nIn), [0, 0, 0], 'a non-positive cell is only outlined (its interior shows the signal, here off)');
  if (mEdge) {
    const [mr, mg, mb] = pixel(img, ...mEdge);
    assert.ok(mg > 120 && mg > mr + 50 && mg > mb + 30, `marker outline green: ${mr},${mg},${mb}`);
  }
  // The legend names each colour with the config's display names.
  const legend = await page.$$eval('#legend .legend-item', (els) => els.map((e) => e.textContent!.trim()));
  assert.ok(legend.includes('pH3-positive DNA (nuclei)'), legend.join('|'));
  assert.ok(legend.includes('DNA (nuclei) masks'), legend.join('|'));
  assert.ok(legend.includes('pH3 objects'), legend.join('|'));
  const sw = await page.$eval('#legend .legend-item[data-layer="positive"] .swatch', (e) => getComputedStyle(e).backgroundColor);
  assert.equal(sw, 'rgb(255, 146, 43)');

  // Per layer: the cell layer filled, colour per label → the non-positive cell's interior is coloured now.
  await page.selectOption('.layer[data-labels="cell"] select[data-style="mode"]', 'fill');
  await page.selectOption('.layer[data-labels="cell"] select[data-style="colorMode"]', 'label');
  const img2 = await screen(page);
  const [r2, g2, b2] = pixel(img2, ...nIn);
  assert.ok(r2 + g2 + b2 > 60, `filled per-label cell interior is coloured: ${r2},${g2},${b2}`);
  assert.match((await page.textContent('#legend'))!, /colour per label/);
  await page.selectOption('.layer[data-labels="cell"] select[data-style="mode"]', 'outline');
  await page.selectOption('.layer[data-labels="cell"] select[data-style="colorMode"]', 'single');
  await page.click('#layers input[data-layer="cell"]');
  await page.click('#layers input[data-layer="marker"]');
});

/** numpy.percentile (linear) of a typed plane, written out independently of the app. */
function percentile(data: ArrayLike<number>, p: number): number {
  const s = Float64Array.from(data as ArrayLike<number>).sort();
  const pos = (p / 100) * (s.length - 1);
  const i = Math.floor(pos);
  return s[i] + (s[Math.min(s.length - 1, i + 1)] - s[i]) * (pos - i);
}

test('contrast: dragging the histogram limit, auto (percentiles), reset (full range) and gamma change what is on screen', { skip, timeout: 240_000 }, async () => {
  await setView(4);
  const limits = async () => page.$$eval('.layer[data-image="marker"] input[type=number]', (els) => els.map((e) => (e as HTMLInputElement).value));
  const bright = async () => {
    const img = await screen(page);
    let s = 0;
    for (let y = 20; y < 600; y += 7) for (let x = 20; x < 600; x += 7) { const [r, g, b] = img.at(origin.x + x, origin.y + y); s += r + g + b; }
    return s;
  };
  // Only the marker channel, no labels: its brightness follows its limits.
  await page.click('#layers input[data-layer="cell"]');
  for (const l of ['rois', 'cell', 'marker', 'positive']) await page.click(`#layers .layer[data-labels="${l}"] input[type=checkbox]`);
  const b0 = await bright();
  const [lo0, hi0] = (await limits()).map(Number);
  // Drag the white point (right handle) to a quarter of its position on the histogram.
  await page.locator('.layer[data-image="marker"] canvas.hist').scrollIntoViewIfNeeded();
  const box = (await page.locator('.layer[data-image="marker"] canvas.hist').boundingBox())!;
  const chRes = await get('/api/channel/marker?z=0');
  const dtype = chRes.headers.get('X-Dtype');
  const buf = await chRes.arrayBuffer();
  const raw = dtype === 'uint8' ? new Uint8Array(buf) : dtype === 'uint16' ? new Uint16Array(buf) : new Float32Array(buf);
  let mn = Infinity, mx = -Infinity;
  for (const v of raw) { if (v < mn) mn = v; if (v > mx) mx = v; }
  const xOf = (v: number) => box.x + ((v - mn) / (mx - mn)) * box.width;
  await page.mouse.move(xOf(hi0), box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(xOf(lo0 + (hi0 - lo0) / 4), box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  const [lo1, hi1] = (await limits()).map(Number);
  assert.equal(lo1, lo0);
  assert.ok(hi1 < hi0 && Math.abs(hi1 - (lo0 + (hi0 - lo0) / 4)) <= (mx - mn) / 100 + 1, `white point dragged: ${hi0} → ${hi1}`);
  const b1 = await bright();
  assert.ok(b1 > b0 * 1.2, `a lower white point brightens the view (${b0} → ${b1})`);
  // Reset = the plane's full range; auto = the 0.5 / 99.5 percentiles (numpy's definition, computed here).
  await page.click('.layer[data-image="marker"] button[data-action="reset"]');
  assert.deepEqual((await limits()).map(Number), [mn, mx]);
  await page.click('.layer[data-image="marker"] button[data-action="auto"]');
  const [alo, ahi] = (await limits()).map(Number);
  assert.equal(alo, Math.round(percentile(raw, 0.5)));
  assert.equal(ahi, Math.round(percentile(raw, 99.5)));
  // Gamma < 1 lifts the mid-tones.
  const bAuto = await bright();
  await page.$eval('.layer[data-image="marker"] input[type=range][title=gamma]', (e) => { (e as HTMLInputElement).value = '0.5'; e.dispatchEvent(new Event('input')); });
  assert.ok((await bright()) > bAuto, 'gamma 0.5 brightens');
  await keep('contrast');
  await page.click('#layers input[data-layer="cell"]');
  for (const l of ['rois', 'cell', 'marker', 'positive']) await page.click(`#layers .layer[data-labels="${l}"] input[type=checkbox]`);
});

test("napari's shortcuts, the help panel, preserve labels, and delete label 0 is not an edit", { skip, timeout: 240_000 }, async () => {
  await setView(4);
  await page.mouse.move(origin.x + 300, origin.y + 300);
  await page.keyboard.press('?');
  assert.equal(await page.isVisible('#help'), true);
  const help = (await page.textContent('#help'))!;
  for (const k of ['P', 'E', 'F', 'L', 'M or N', 'Ctrl+Z', 'Ctrl+Shift+Z', '[ / ]', 'Space']) assert.ok(help.includes(k), `help lists ${k}`);
  await keep('help');
  await page.keyboard.press('Escape');
  assert.equal(await page.isVisible('#help'), false);
  const active = () => page.getAttribute('#tools button.active', 'data-tool');
  for (const [k, t] of [['p', 'paint'], ['e', 'erase'], ['f', 'fill'], ['l', 'pick'], ['p', 'paint']]) {
    await page.keyboard.press(k);
    assert.equal(await active(), t, `${k} → ${t}`);
  }
  await page.fill('#brush', '10');
  await blur();
  await page.mouse.move(origin.x + 300, origin.y + 300);
  await page.keyboard.press(']');
  assert.ok(Number(await page.inputValue('#brush')) > 10);
  await page.keyboard.press('[');
  await page.keyboard.press('[');
  assert.ok(Number(await page.inputValue('#brush')) < 10);
  // M: the next unused label of the cell layer.
  const cells = await plane('cell');
  let maxL = 0;
  for (const v of cells) if (v > maxL) maxL = v;
  await page.keyboard.press('m');
  assert.equal(await page.inputValue('#label'), String(maxL + 1));

  // Preserve labels: a big dab over a cell and its background changes only background pixels.
  const id = cells[cells.findIndex((v, i) => v > 0 && Math.floor(i / X) * 4 < 700 && (i % X) * 4 < 700 && Math.floor(i / X) > 10 && i % X > 10)];
  let cy = 0, cx = 0, n = 0;
  for (let i = 0; i < cells.length; i++) if (cells[i] === id) { cy += Math.floor(i / X); cx += i % X; n++; }
  cy = Math.round(cy / n); cx = Math.round(cx / n);
  await page.check('#preserveLabels');
  await page.fill('#brush', '31');
  await blur();
  await page.keyboard.press('p');
  const at = (y: number, x: number) => page.evaluate(([yy, xx]) => (window as any).__viewer.labelAt('cell', yy, xx) as number, [y, x]);
  /** The page's cell plane in the 31×31 window around (cy, cx), read in one call. */
  const windowLabels = () =>
    page.evaluate(([y0, x0, Yn, Xn]) => {
      const out: number[] = [];
      for (let y = Math.max(0, y0 - 15); y <= Math.min(Yn - 1, y0 + 15); y++) for (let x = Math.max(0, x0 - 15); x <= Math.min(Xn - 1, x0 + 15); x++) out.push(y * Xn + x, (window as any).__viewer.labelAt('cell', y, x));
      return out;
    }, [cy, cx, Y, X]);
  const [px, py] = await page.evaluate(([y, x]) => (window as any).__viewer.imageToClient(y, x), [cy, cx]);
  await page.mouse.click(px, py);
  const L = maxL + 1;
  // Every pixel of cell `id` keeps its label; some background within the dab became L.
  let kept = 0, painted = 0;
  const win = await windowLabels();
  for (let k = 0; k < win.length; k += 2) {
    const [i, v] = [win[k], win[k + 1]];
    if (cells[i] === id) { assert.equal(v, id, `cell pixel ${i} kept`); kept++; }
    else if (cells[i] !== 0) assert.equal(v, cells[i], `other cell pixel ${i} kept`);
    if (cells[i] === 0 && v === L) painted++;
  }
  assert.ok(kept === n && painted > 0, `kept ${kept}/${n}, painted ${painted}`);
  assert.equal(await page.isDisabled('#undo'), false);
  await keep('preserve');
  // Ctrl+Z undoes the dab, Ctrl+Shift+Z redoes it.
  const countL = async () => {
    const w = await windowLabels();
    let c = 0;
    for (let k = 1; k < w.length; k += 2) if (w[k] === L) c++;
    return c;
  };
  await page.keyboard.press('Control+z');
  assert.equal(await countL(), 0, 'undone');
  await page.keyboard.press('Control+Shift+Z');
  assert.equal(await countL(), painted, 'redone');
  assert.match((await page.textContent('#editInfo'))!, /press Re-analyse/);
  // Undo again and clear the history state; delete label 0: not an edit, the undo stack does not grow.
  await page.keyboard.press('Control+z');
  const undoBefore = await page.evaluate(() => document.querySelectorAll('#undo:disabled').length);
  await page.fill('#label', '0');
  const redoDisabled = await page.isDisabled('#redo');
  await page.click('#deleteLabel');
  assert.match((await page.textContent('#editInfo'))!, /label 0 is the background/);
  assert.equal(await page.evaluate(() => document.querySelectorAll('#undo:disabled').length), undoBefore);
  assert.equal(await page.isDisabled('#redo'), redoDisabled, 'no new edit: the redo history is intact');
  await page.uncheck('#preserveLabels');
  // Space held + drag pans with the paint tool active, and paints nothing.
  await page.keyboard.press('p');
  const tx0 = await page.evaluate(() => (window as any).__viewer.view.tx as number);
  const undo0 = await page.isDisabled('#undo');
  await page.mouse.move(origin.x + 500, origin.y + 500);
  await page.keyboard.down(' ');
  await page.mouse.down();
  await page.mouse.move(origin.x + 560, origin.y + 500, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up(' ');
  assert.equal(await page.evaluate(() => (window as any).__viewer.view.tx as number), tx0 + 60);
  assert.equal(await page.isDisabled('#undo'), undo0, 'no paint edit while panning');
  await setView(4);
  await page.keyboard.press('h');
});

test('tables: every column reachable with a sticky header and first column, formatted numbers, positive filter, CSV, stale notice', { skip, timeout: 240_000 }, async () => {
  await page.click('.tabs button[data-sheet="cell_summary"]');
  const t = await table('cell_summary');
  const ths = await page.$$eval('#table thead th', (els) => els.map((e) => e.textContent!.replace(/ [▲▼]$/, '')));
  assert.deepEqual(ths, t.columns.map((c) => c.name));
  // Scroll the last column into view: the first column stays where it was (sticky), the header row too.
  const firstLeft = await page.$eval('#table tbody tr:first-child td:first-child', (e) => e.getBoundingClientRect().left);
  await page.$eval('#table thead th:last-child', (e) => e.scrollIntoView({ inline: 'end', block: 'nearest' }));
  const scrolled = await page.$eval('#table', (e) => e.scrollLeft);
  assert.ok(scrolled > 0, 'the table scrolls sideways');
  const lastVisible = await page.$eval('#table thead th:last-child', (e) => {
    const r = e.getBoundingClientRect();
    const box = document.getElementById('table')!.getBoundingClientRect();
    return r.right <= box.right + 1 && r.left >= box.left - 1;
  });
  assert.ok(lastVisible, 'the last column is reachable');
  // A scrolled (non-sticky) column moves by scrollLeft; the sticky one stays within its border's width.
  const nowLeft = await page.$eval('#table tbody tr:first-child td:first-child', (e) => e.getBoundingClientRect().left);
  assert.ok(Math.abs(nowLeft - firstLeft) <= 2, `first column sticky: ${firstLeft} → ${nowLeft} after scrolling ${scrolled} px`);
  await page.$eval('#table tbody tr:nth-child(30)', (e) => e.scrollIntoView({ block: 'end' }));
  const headTop = await page.$eval('#table thead th:first-child', (e) => e.getBoundingClientRect().top);
  const boxTop = await page.$eval('#table', (e) => e.getBoundingClientRect().top);
  assert.ok(Math.abs(headTop - boxTop) <= 1, 'header sticky');
  await keep('table');
  // Formatting: non-integers with at most 4 significant digits (full value in the tooltip).
  const floats = await page.$$eval('#table tbody td[title]', (els) => els.slice(0, 50).map((e) => [e.textContent!, e.getAttribute('title')!]));
  assert.ok(floats.length > 0);
  for (const [shown, full] of floats) {
    assert.ok(shown.replace(/^-?0\.0*|[.-]/g, '').replace(/e.*$/, '').length <= 4, `${shown} (${full})`);
    assert.ok(Math.abs(Number(shown) - Number(full)) <= Math.abs(Number(full)) * 5e-4 + 1e-12, `${shown} ≈ ${full}`);
  }
  // The positive filter shows exactly the table's marker-positive rows; the CSV holds what is shown.
  const nPos = col(t, 'marker_positive').filter((v) => v === true).length;
  await page.check('#positiveOnly');
  assert.equal(await page.locator('#table tbody tr').count(), nPos);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  const path = join(dir, 'shown.csv');
  await dl.saveAs(path);
  const csv = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(csv[0], t.columns.map((c) => c.name).join(','));
  assert.equal(csv.length - 1, nPos);
  const pi = t.columns.findIndex((c) => c.name === 'marker_positive');
  for (const line of csv.slice(1)) assert.equal(line.split(',')[pi], 'true');
  assert.match(dl.suggestedFilename(), /cell_summary_positive\.csv$/);
  await page.uncheck('#positiveOnly');
  // Stale notice: a paint edit marks the tables stale; re-analysis clears it.
  await setView(4);
  await page.fill('#label', '9999');
  await blur();
  await page.keyboard.press('p');
  await page.mouse.click(origin.x + 40, origin.y + 40);
  assert.match((await page.textContent('#tableStale'))!, /press Re-analyse/);
  assert.match((await page.textContent('#editInfo'))!, /press Re-analyse/);
  await page.click('#reanalyze');
  await page.waitForFunction(() => /re-analysed/.test(document.getElementById('runInfo')!.textContent!), null, { timeout: 20000 });
  assert.equal(await page.textContent('#tableStale'), '');
  assert.equal(await page.textContent('#editInfo'), '');
});

test('a single-channel config opens in the viewer: its channel, object masks on screen after Run, edit + re-analyse update the counts', { skip, timeout: 240_000 }, async () => {
  const SC = caseDir('2d_single_channel_count');
  const cfg = join(dir, 'sc.json');
  writeFileSync(cfg, JSON.stringify(fixtureConfigObject(SC, { resultsDir: join(dir, 'sc_results') })));
  const s2 = await startViewerServer(cfg, { staticDir: join(dir, 'static') });
  const p2 = await browser.newPage({ viewport: { width: 1700, height: 1000 }, deviceScaleFactor: 1 });
  try {
    await p2.goto(s2.url);
    await p2.waitForFunction(() => (window as any).__viewer?.ready === true, null, { timeout: 30000 });
    assert.equal(await p2.locator('#layers .layer[data-image]').count(), 1);
    assert.equal(await p2.isHidden('#editLayer option[value="marker"]'), true);
    await p2.click('#run');
    await p2.waitForFunction(() => /analysis finished/.test(document.getElementById('runInfo')!.textContent!), null, { timeout: 90000 });
    const expected = Number(csvColumn(readCsv(join(SC, 'expected', 'roi_overview.csv')), 'n_objects')[0]);
    const tabs = await p2.$$eval('#tabs button', (els) => els.map((e) => (e as HTMLElement).dataset.sheet));
    assert.deepEqual(tabs, ['roi_overview', 'object_summary', 'voxel_plausibility_check']);
    const nShown = async () => {
      const heads = await p2.$$eval('#table thead th', (els) => els.map((e) => e.textContent!.replace(/ [▲▼]$/, '')));
      const cells = await p2.$$eval('#table tbody tr:first-child td', (els) => els.map((e) => e.textContent));
      return Number(cells[heads.indexOf('n_objects')]);
    };
    assert.equal(await nShown(), expected, 'n_objects of the original shown');
    // The object masks are on screen: with the channel hidden, an object's boundary pixel shows the outline colour.
    await p2.evaluate(() => { const v = (window as any).__viewer.view; v.scale = 2; v.tx = 0; v.ty = 0; (window as any).__viewer.requestDraw(); });
    await p2.click('#layers input[data-layer="cell"]');
    const o = await p2.evaluate(() => { const b = document.getElementById('view')!.getBoundingClientRect(); return { x: b.left, y: b.top }; });
    const res = await fetch(`http://127.0.0.1:${s2.port}/api/labels/cell?z=0`, { headers: { 'X-CellColoc-Token': s2.token } });
    const masks = new Uint32Array(await res.arrayBuffer());
    const W = 256;
    let edge = -1;
    for (let i = W; i < masks.length - W && edge < 0; i++) if (masks[i] && masks[i - 1] === 0 && masks[i + 1] === masks[i] && masks[i - W] && masks[i + W]) edge = i;
    assert.ok(edge >= 0);
    await p2.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const { decodePng } = await import('./helpers/viewer-page.js');
    const img = decodePng(await p2.screenshot());
    const [r, g, b] = img.at(o.x + ((edge % W) + 0.5) * 2, o.y + (Math.floor(edge / W) + 0.5) * 2);
    assert.ok(r > 100 && g > 100 && b > 100, `object outline on screen: ${r},${g},${b}`);
    // Delete one object and re-analyse: one object fewer in the table.
    await p2.fill('#label', String(masks[edge]));
    await p2.click('#deleteLabel');
    await p2.click('#reanalyze');
    await p2.waitForFunction(() => /re-analysed/.test(document.getElementById('runInfo')!.textContent!), null, { timeout: 20000 });
    await p2.click('#tabs button[data-sheet="roi_overview"]');
    assert.equal(await nShown(), expected - 1);
  } finally {
    await p2.close();
    await s2.close();
  }
});
