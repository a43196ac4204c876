/**
 * Shared set-up of the browser-viewer tests: a fresh esbuild bundle of the app in a temp folder (never a stale
 * dist/), Debian's Chromium through playwright-core, and screenshot decoding so tests can look at the screen.
 * Without /usr/bin/chromium the tests skip with a message on a developer's machine, and fail when `CI` is set
 * (`.ci/run` installs it).
 */
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const skipBrowser: string | false = HAVE_CHROMIUM || process.env.CI
  ? false
  : `Debian chromium is not installed (${CHROMIUM}): apt-get install chromium to run the viewer's browser tests`;

/** Bundles src/viewer/app into `dir/static` (app.js, index.html, app.css) and returns that folder. */
export async function buildApp(dir: string): Promise<string> {
  const stat = join(dir, 'static');
  mkdirSync(stat, { recursive: true });
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
  return stat;
}

export function launchChromium(): Promise<Browser> {
  if (!HAVE_CHROMIUM) throw new Error(`CI is set but ${CHROMIUM} is missing: .ci/run installs Debian's chromium (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** An RGBA raster decoded from a PNG (8-bit RGB or RGBA, non-interlaced: what Chromium's screenshots are). */
export interface Raster {
  width: number;
  height: number;
  data: Uint8Array;
  /** [r, g, b] at (x, y); black outside. */
  at(x: number, y: number): [number, number, number];
}

/** Minimal PNG decoder (zlib from node, the five PNG row filters), for screenshots only. */
export function decodePng(png: Buffer): Raster {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!sig.every((b, i) => png[i] === b)) throw new Error('decodePng: not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let colourType = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const body = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[12] !== 0) throw new Error('decodePng: only 8-bit non-interlaced PNGs');
      colourType = body[9];
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const bpp = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
  if (!bpp) throw new Error(`decodePng: colour type ${colourType} not supported`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? px[y * stride + i - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp] : 0;
      let v = raw[src + i];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[y * stride + i] = v & 255;
    }
  }
  return {
    width,
    height,
    data: px,
    at(x, y) {
      x = Math.round(x);
      y = Math.round(y);
      if (x < 0 || y < 0 || x >= width || y >= height) return [0, 0, 0];
      const o = y * stride + x * bpp;
      return [px[o], px[o + 1], px[o + 2]];
    },
  };
}

/** Screenshot of the viewer's canvas area (page coordinates = screenshot coordinates at device scale 1). */
export async function screen(page: Page): Promise<Raster> {
  // Two animation frames: the last pointer event's redraw has reached the canvas.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return decodePng(await page.screenshot({ type: 'png' }));
}

/** Whether some pixel within `radius` (px) of page point (x, y) has colour `rgb` within `tol` per channel. */
export function colourNear(img: Raster, x: number, y: number, rgb: readonly [number, number, number], radius = 2, tol = 40): boolean {
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      const [r, g, b] = img.at(x + dx, y + dy);
      if (Math.abs(r - rgb[0]) <= tol && Math.abs(g - rgb[1]) <= tol && Math.abs(b - rgb[2]) <= tol) return true;
    }
  }
  return false;
}
