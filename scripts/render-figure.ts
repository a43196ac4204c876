/**
 * Renders a result overview PNG (used for the README picture): max projection of the cell channel in grey,
 * the marker in green, cell outlines in magenta, marker-positive cells filled in yellow.
 * Usage: npx tsx scripts/render-figure.ts <image.ome.tif> <results dir> <stem> <out.png> [cellChannel markerChannel]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { openImageStack } from '../src/io/image-stack.js';

const [image, resultsDir, stem, out, cc = '0', mc = '1'] = process.argv.slice(2);
const stack = await openImageStack(image);
const cells = await stack.readChannel(Number(cc), 0);
const marker = await stack.readChannel(Number(mc), 0);
const readMask = async (name: string) => (await (await openImageStack(join(resultsDir, `${stem}_${name}.tif`))).readChannel(0, 0)).data;
const cellMask = await readMask('cell_masks');
const posMask = await readMask('positive_cell_masks');
const [Z, Y, X] = cells.shape;
const P = Y * X;

function maxProject(d: ArrayLike<number>): Float64Array {
  const o = new Float64Array(P);
  for (let z = 0; z < Z; z++) for (let i = 0; i < P; i++) o[i] = Math.max(o[i], d[z * P + i]);
  return o;
}
/** Contrast from the 1st and 99.8th percentiles. */
function normalise(a: Float64Array): Float64Array {
  const s = Float64Array.from(a).sort();
  const lo = s[Math.floor(0.01 * (s.length - 1))], hi = s[Math.floor(0.998 * (s.length - 1))];
  return a.map((v) => Math.min(1, Math.max(0, (v - lo) / (hi - lo || 1))));
}
const g = normalise(maxProject(cells.data));
const m = normalise(maxProject(marker.data));
const cm = maxProject(cellMask);
const pm = maxProject(posMask);
const rgb = new Uint8Array(P * 3);
for (let y = 0; y < Y; y++) {
  for (let x = 0; x < X; x++) {
    const i = y * X + x;
    let r = g[i] * 200, gg = g[i] * 200 + m[i] * 255, b = g[i] * 200;
    const l = cm[i];
    const edge = l !== 0 && ((x > 0 && cm[i - 1] !== l) || (x < X - 1 && cm[i + 1] !== l) || (y > 0 && cm[i - X] !== l) || (y < Y - 1 && cm[i + X] !== l));
    if (pm[i] !== 0) { r = 0.55 * r + 0.45 * 255; gg = 0.55 * gg + 0.45 * 220; b = 0.55 * b; }
    if (edge) { r = 255; gg = 0; b = 255; }
    rgb[i * 3] = Math.min(255, r); rgb[i * 3 + 1] = Math.min(255, gg); rgb[i * 3 + 2] = Math.min(255, b);
  }
}

/** Minimal PNG encoder (8-bit RGB, filter 0 on every row). */
function png(width: number, height: number, pixels: Uint8Array): Buffer {
  const crcTable = new Int32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  const crc = (buf: Buffer) => {
    let c = -1;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ -1) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}
writeFileSync(out, png(X, Y, rgb));
console.log(`wrote ${out} (${X}×${Y})`);
