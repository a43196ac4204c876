/**
 * Compact PNG for report thumbnails: 8-bit RGB (no alpha: thumbnails are opaque) with per-row adaptive
 * filtering — each row takes the filter (None, Sub, Up, Average, Paeth) whose output has the smallest sum of
 * absolute values, the heuristic of the PNG specification (ISO/IEC 15948, 12.8) and libpng — posterised
 * levels, then deflate. On fluorescence overlays this is 2–3× smaller than the viewer's unfiltered RGBA encoder
 * (render/png.ts, whose CRC this reuses), which keeps a 96-sample gallery within a few MiB.
 */
import { deflate, deflateSync } from 'node:zlib';
import { pngChunk as chunk } from '../render/png.js';

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * PNG bytes of an RGBA buffer (alpha dropped) as RGB, each row with the best of `filters` (default: None only —
 * on noisy fluorescence the prediction filters gain nothing, measured on the demo and the bench images) and
 * the colour levels posterised to `bits` per channel (8 = exact; 5 halves a thumbnail's size; 4 for galleries).
 */
export function encodePngRgbFiltered(
  width: number,
  height: number,
  rgba: Uint8Array | Uint8ClampedArray,
  opts: { filters?: readonly number[]; bits?: number } = {},
): Uint8Array {
  return pngFile(width, height, deflateSync(pngScanlines(width, height, rgba, opts), DEFLATE_OPTIONS));
}

/**
 * `encodePngRgbFiltered` with the deflate on node's thread pool (the same zlib stream, so the same bytes):
 * the caller's thread goes on with other work meanwhile.
 */
export function encodePngRgbFilteredAsync(
  width: number,
  height: number,
  rgba: Uint8Array | Uint8ClampedArray,
  opts: { filters?: readonly number[]; bits?: number } = {},
): Promise<Uint8Array> {
  const raw = pngScanlines(width, height, rgba, opts);
  return new Promise((ok, fail) => deflate(raw, DEFLATE_OPTIONS, (err, idat) => (err ? fail(err) : ok(pngFile(width, height, idat)))));
}

/** PNG bytes of ready scanlines (`pngScanlines`' layout: a filter byte and RGB per row), deflated as above. */
export function pngFromScanlines(width: number, height: number, raw: Uint8Array): Uint8Array {
  return pngFile(width, height, deflateSync(raw, DEFLATE_OPTIONS));
}

/** `pngFromScanlines` with the deflate on node's thread pool (same bytes). */
export function pngFromScanlinesAsync(width: number, height: number, raw: Uint8Array): Promise<Uint8Array> {
  return new Promise((ok, fail) => deflate(raw, DEFLATE_OPTIONS, (err, idat) => (err ? fail(err) : ok(pngFile(width, height, idat)))));
}

// Level 9 is pathological on posterised noise (a 560² overlay took 4.5 s vs 0.26 s at 6 and 0.06 s at 3 for
// +20 % size). Level 4 (zlib's first lazy-matching level) measured best on the 2048² bench run's overlays:
// 560²: 6.1 ms and 113 KB vs 6.9 ms and 120 KB at 3 (21 ms, 99 KB at 6); 180² gallery: 0.8 ms and 12.3 KB
// vs 3.6 ms and 10.9 KB at 6.
const DEFLATE_OPTIONS = { level: 4 };

/** The PNG scanlines (filter byte + posterised RGB) of an RGBA buffer. */
export function pngScanlines(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray, opts: { filters?: readonly number[]; bits?: number }): Uint8Array {
  const filters = opts.filters ?? [0];
  const shift = 8 - Math.min(8, Math.max(1, opts.bits ?? 8));
  const half = shift > 0 ? 1 << (shift - 1) : 0;
  const top = 255 - ((1 << shift) - 1);
  if (rgba.length !== 4 * width * height) throw new Error(`encodePngRgbFiltered: expected ${4 * width * height} bytes, got ${rgba.length}`);
  const stride = 3 * width;
  const raw = new Uint8Array((stride + 1) * height);
  if (filters.length === 1 && filters[0] === 0) {
    // Filter None on every row (the default): the posterised bytes go straight into the scanlines.
    for (let y = 0, s = 0, o = 0; y < height; y++) {
      raw[o++] = 0;
      for (let x = 0; x < width; x++, s += 4) {
        raw[o++] = Math.min(top, ((rgba[s] + half) >> shift) << shift);
        raw[o++] = Math.min(top, ((rgba[s + 1] + half) >> shift) << shift);
        raw[o++] = Math.min(top, ((rgba[s + 2] + half) >> shift) << shift);
      }
    }
    return raw;
  }
  const prev = new Uint8Array(stride);
  const cur = new Uint8Array(stride);
  const cand = [new Uint8Array(stride), new Uint8Array(stride), new Uint8Array(stride), new Uint8Array(stride), new Uint8Array(stride)];
  for (let y = 0; y < height; y++) {
    for (let x = 0, s = 4 * width * y; x < width; x++, s += 4) {
      // round to the nearest level (clamped to the top level)
      cur[3 * x] = Math.min(top, ((rgba[s] + half) >> shift) << shift);
      cur[3 * x + 1] = Math.min(top, ((rgba[s + 1] + half) >> shift) << shift);
      cur[3 * x + 2] = Math.min(top, ((rgba[s + 2] + half) >> shift) << shift);
    }
    let best = 0;
    let bestSum = Infinity;
    for (const f of filters) {
      const out = cand[f];
      let sum = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= 3 ? cur[i - 3] : 0;
        const b = y > 0 ? prev[i] : 0;
        const c = i >= 3 && y > 0 ? prev[i - 3] : 0;
        const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (cur[i] - pred) & 0xff;
        out[i] = v;
        sum += v < 128 ? v : 256 - v;
      }
      if (sum < bestSum) {
        bestSum = sum;
        best = f;
      }
    }
    raw[y * (stride + 1)] = best;
    raw.set(cand[best], y * (stride + 1) + 1);
    prev.set(cur);
  }
  return raw;
}

/** The PNG file of deflated RGB scanlines. */
function pngFile(width: number, height: number, idat: Buffer): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = 2; // RGB
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(idat.buffer, idat.byteOffset, idat.byteLength)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
