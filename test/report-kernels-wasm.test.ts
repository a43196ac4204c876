/**
 * The report's WebAssembly passes (src/report/kernels-wasm.ts) against plain references: block sums of 16-bit
 * planes and the histogram against the block-at-a-time loop (downImageByBlock) and a direct count, block maxima of
 * 16- and 32-bit labels against downLabelsByBlock, float planes (NaN and −∞ skipped) against the JavaScript block
 * loop's sums, per-cell means against a direct sum per label — bit for bit, on random planes
 * with odd widths (row tails shorter than the eight pixels tested at once), boxes at odd offsets, a plane copied
 * into the module's memory in pieces, labels past the
 * largest one asked about, and chunk boundaries (more than 64 Ki pixels). The JavaScript loops (engine 'js') must
 * give the same bits, and in Node the WebAssembly engine must really be the one used. Overlays (compositing,
 * outlines, posterised scanlines): the PNG bytes of both engines, with three channels (one float, with NaN), a
 * ROI's box and outline, masks without image, single-channel objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../bench/synthetic.js';
import { downImage, downImageByBlock, downImageCounting, downLabels, downLabelsByBlock, type Box } from '../src/report/downsample.js';
import { downImageU16, labelSumsU16, reportKernels } from '../src/report/kernels-wasm.js';
import { meanPerLabel, type RunPlanes } from '../src/report/run-planes.js';
import { renderThumbnail } from '../src/report/thumbnail.js';

const cases: { Y: number; X: number; box: Box; w: number; h: number }[] = [
  { Y: 301, X: 517, box: { y0: 0, y1: 301, x0: 0, x1: 517 }, w: 140, h: 82 },
  { Y: 257, X: 263, box: { y0: 17, y1: 240, x0: 33, x1: 250 }, w: 61, h: 63 },
  { Y: 64, X: 67, box: { y0: 1, y1: 64, x0: 3, x1: 62 }, w: 59, h: 63 }, // no shrink
  { Y: 700, X: 130, box: { y0: 0, y1: 700, x0: 0, x1: 130 }, w: 13, h: 70 }, // tall blocks, 91 000 pixels
  { Y: 2101, X: 1100, box: { y0: 0, y1: 2101, x0: 0, x1: 1100 }, w: 180, h: 344 }, // 4.4 MiB: many pieces of ≤ 256 KiB
];

function sparseLabels(n: number, rand: () => number, maxId: number): Uint16Array {
  const labels = new Uint16Array(n);
  for (let i = 0; i < n; i++) if (rand() < 0.04) labels.fill(1 + Math.floor(rand() * maxId), i, Math.min(n, i + 1 + Math.floor(rand() * 12)));
  return labels;
}

test('the WebAssembly kernels are used in Node, and give the reference bits; the JavaScript loops give the same', () => {
  assert.ok(downImageU16(new Uint16Array(16), 4, { y0: 0, y1: 4, x0: 0, x1: 4 }, 2, 2, Int32Array.of(0, 2, 4), Int32Array.of(0, 2, 4), null), 'WebAssembly unavailable');
  const rand = rng(23);
  for (const { Y, X, box, w, h } of cases) {
    const image = new Uint16Array(Y * X);
    for (let i = 0; i < image.length; i++) image[i] = Math.floor(rand() * 65536);
    const labels = sparseLabels(Y * X, rand, 65535);
    const labels32 = new Uint32Array(labels.length);
    for (let i = 0; i < labels.length; i++) labels32[i] = labels[i] === 0 ? 0 : labels[i] * 70001;
    const floats = new Float32Array(Y * X);
    for (let i = 0; i < floats.length; i++) floats[i] = rand() < 0.01 ? NaN : rand() < 0.01 ? -Infinity : (rand() - 0.3) * 1e4;
    const ref = downImageByBlock(image, X, box, w, h);
    const expectedHist = new Uint32Array(65536);
    for (let y = box.y0; y < box.y1; y++) for (let x = box.x0; x < box.x1; x++) expectedHist[image[y * X + x]]++;
    const refLabels = downLabelsByBlock(labels, X, box, w, h);
    const refLabels32 = downLabelsByBlock(labels32, X, box, w, h);
    reportKernels.engine = 'js';
    const refFloats = downImageByBlock(floats, X, box, w, h); // float sums: the JavaScript block loop's order
    reportKernels.engine = 'wasm';
    for (const engine of ['wasm', 'js'] as const) {
      reportKernels.engine = engine;
      try {
        const hist = new Uint32Array(65536);
        assert.deepEqual(downImageCounting(image, X, box, w, h, hist, 0), ref, `${engine} sums ${X}×${Y}`);
        assert.deepEqual(hist, expectedHist, `${engine} histogram ${X}×${Y}`);
        assert.deepEqual(downImage(image, X, box, w, h), ref, `${engine} sums without histogram ${X}×${Y}`);
        assert.deepEqual(downLabels(labels, X, box, w, h), refLabels, `${engine} labels ${X}×${Y}`);
        assert.deepEqual(downLabels(labels32, X, box, w, h), refLabels32, `${engine} 32-bit labels ${X}×${Y}`);
        assert.deepEqual(downImage(floats, X, box, w, h), refFloats, `${engine} float sums ${X}×${Y}`);
      } finally {
        reportKernels.engine = 'wasm';
      }
    }
  }
});

test('per-cell means: uint16 labels and channel, labels above maxLabel skipped, chunk boundaries', () => {
  const rand = rng(29);
  const n = 3 * 65536 + 1234;
  const labels = sparseLabels(n, rand, 900);
  const values = new Uint16Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.floor(rand() * 65536);
  const maxLabel = 700; // the table's largest label: labels 701..900 are not asked about
  const sum = new Map<number, number>();
  const count = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l === 0 || l > maxLabel) continue;
    sum.set(l, (sum.get(l) ?? 0) + values[i]);
    count.set(l, (count.get(l) ?? 0) + 1);
  }
  const expected = new Map([...sum.keys()].sort((a, b) => a - b).map((l) => [l, sum.get(l)! / count.get(l)!]));
  const vol = (data: Uint16Array) => ({ data, shape: [1, 1, n] as const });
  const fast = labelSumsU16(labels, values, maxLabel);
  assert.ok(fast, 'WebAssembly unavailable');
  assert.deepEqual(meanPerLabel(vol(labels), vol(values), values, maxLabel), expected);
  reportKernels.engine = 'js';
  try {
    assert.deepEqual(meanPerLabel(vol(labels), vol(values), values, maxLabel), expected);
  } finally {
    reportKernels.engine = 'wasm';
  }
});

/** Round blobs of labels 1..n (later ones on top) on a w × h plane. */
function blobs(w: number, h: number, n: number, rand: () => number, r: [number, number]): Uint16Array {
  const out = new Uint16Array(w * h);
  for (let id = 1; id <= n; id++) {
    const cx = rand() * w, cy = rand() * h, rr = r[0] + rand() * (r[1] - r[0]);
    for (let y = Math.max(0, Math.floor(cy - rr)); y < Math.min(h, cy + rr); y++) {
      for (let x = Math.max(0, Math.floor(cx - rr)); x < Math.min(w, cx + rr); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= rr * rr) out[y * w + x] = id;
    }
  }
  return out;
}

test('overlays: the WebAssembly compositing, outlines and scanlines give the PNG bytes of the JavaScript path', () => {
  const rand = rng(31);
  const W = 731, H = 402;
  const channel = (lo: number, hi: number) => {
    const c = new Uint16Array(W * H);
    for (let i = 0; i < c.length; i++) c[i] = lo + Math.floor(rand() * (hi - lo));
    return c;
  };
  const cell = blobs(W, H, 120, rand, [6, 14]);
  const marker = blobs(W, H, 90, rand, [2, 6]);
  const region = blobs(W, H, 30, rand, [4, 9]);
  const rois = new Uint16Array(W * H);
  for (let y = 40; y < 300; y++) for (let x = 50; x < 400; x++) rois[y * W + x] = 1;
  for (let y = 200; y < 390; y++) for (let x = 420; x < 700; x++) rois[y * W + x] = 2;
  const floats = new Float32Array(W * H);
  for (let i = 0; i < floats.length; i++) floats[i] = rand() < 0.01 ? NaN : rand() * 1000 - 100;
  const [c1, c2, c3, c4] = [channel(100, 4000), channel(0, 300), channel(7, 8), channel(0, 65535)];
  const positive = new Set([3, 5, 8, 13, 21, 34, 55, 89, 100, 119]);
  const base = { width: W, height: H, cell, marker, region, objects: null, rois, cellMarkerMean: null, imageNote: null };
  const cases: { name: string; planes: () => RunPlanes; opts: Parameters<typeof renderThumbnail>[1] }[] = [
    { name: 'whole image, three channels', planes: () => ({ ...base, channels: [{ role: 'cell', plane: c1 }, { role: 'marker', plane: c2 }, { role: 'optional_region', plane: floats }] }), opts: { maxSide: 300, positive } },
    { name: 'ROI 2 at full size, 4 bits', planes: () => ({ ...base, channels: [{ role: 'cell', plane: c1 }, { role: 'marker', plane: c3 }] }), opts: { box: { y0: 200, y1: 390, x0: 420, x1: 700 }, maxSide: 560, positive, roiId: 2, bits: 4 } },
    { name: 'masks only', planes: () => ({ ...base, channels: [] }), opts: { maxSide: 180, positive } },
    { name: 'single-channel objects', planes: () => ({ ...base, cell: null, marker: null, region: null, objects: cell, rois: null, channels: [{ role: 'objects', plane: c4 }] }), opts: { maxSide: 200, positive: new Set() } },
  ];
  for (const { name, planes, opts } of cases) {
    const wasm = renderThumbnail(planes(), opts).png;
    reportKernels.engine = 'js';
    try {
      assert.deepEqual(Buffer.from(wasm), Buffer.from(renderThumbnail(planes(), opts).png), name);
    } finally {
      reportKernels.engine = 'wasm';
    }
  }
});
