/**
 * Label TIFFs read back (`reanalyze`, the viewer): the whole mask, or — for a re-analysis on an analysis window of
 * a large frame (issue 20.3) — only the window, streamed row band by row band (io/tiff-rows.ts) so that memory
 * follows the window, not the frame: a 16384² frame's masks are 1 GiB each as labels, a 512² ROI's 1 MiB.
 */
import { existsSync } from 'node:fs';
import { inputError } from '../core/errors.js';
import type { LabelVolume } from '../core/volume.js';
import { formatShape } from '../core/volume.js';
import { openImageStack, type ImageStack } from '../io/image-stack.js';
import type { AnalysisWindow } from './analysis-window.js';

/** Opens a label TIFF and checks it is one integer channel and time point of exactly `expected` (Z, Y, X). */
async function openLabelStack(path: string, expected: readonly [number, number, number], what: string): Promise<ImageStack> {
  if (!existsSync(path)) throw inputError(`${what} ${path}: file not found`);
  const stack = await openImageStack(path);
  const [T, Z, C, Y, X] = stack.rawShapeTzcyx;
  if (stack.dtype === 'float32') {
    throw inputError(
      `${what} ${path}: expected an integer label image (uint8, uint16, uint32, int16 or int32), got float32 (in Fiji: Image › Type › 16-bit before saving)`,
    );
  }
  if (T !== 1 || C !== 1) {
    throw inputError(`${what} ${path}: expected one channel and one time point, got TZCYX shape (${T}, ${Z}, ${C}, ${Y}, ${X})`);
  }
  if (Z !== expected[0] || Y !== expected[1] || X !== expected[2]) {
    throw inputError(
      `${what} ${path}: shape (Z, Y, X) ${formatShape([Z, Y, X])} does not match the analysed image's ${formatShape([...expected])} (masks must have the shape a run of this config exports)`,
    );
  }
  return stack;
}

const negativeLabel = (what: string, path: string, value: number, voxel: number) =>
  inputError(`${what} ${path}: expected label ids >= 0, got ${value} at voxel ${voxel}`);

/**
 * Reads a label TIFF as uint32 labels of exactly `expected` (Z, Y, X). One-line errors name the file and,
 * for a shape mismatch, both shapes; float and negative values are refused (a label image holds ids).
 */
export async function readLabelMask(path: string, expected: readonly [number, number, number], what: string): Promise<LabelVolume> {
  const stack = await openLabelStack(path, expected, what);
  const [Z, Y, X] = expected;
  const v = await stack.readChannel(0, 0);
  if (v.data instanceof Uint32Array) return { data: v.data, shape: [Z, Y, X] };
  const src = v.data;
  const data = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    if (x < 0) throw negativeLabel(what, path, x, i);
    data[i] = x;
  }
  return { data, shape: [Z, Y, X] };
}

/** The planes of an exported mask that a window's analysis looks at (a projection's one plane, else the z range). */
export function analysedPlanes(window: AnalysisWindow, projected: boolean): [number, number] {
  return projected ? [0, 1] : window.region[0];
}

/**
 * True when row `y` of a frame-wide mask plane (`X` values of `row` from `start`) has labels only where the window
 * may hold them: inside its y/x box, and on the box's edge only inside a ROI — `exclude_border_objects` takes the
 * array edge as a border, and the window's edge is the frame's only where a ROI ends there (reanalyze-window.ts).
 */
export function rowFitsWindow(row: ArrayLike<number>, start: number, X: number, y: number, window: AnalysisWindow): boolean {
  const [, [y0, y1], [x0, x1]] = window.region;
  const inY = y >= y0 && y < y1;
  const edgeY = y === y0 || y === y1 - 1;
  const w = x1 - x0;
  const roi = window.roiLabels.data;
  for (let x = 0; x < X; x++) {
    if (row[start + x] === 0) continue;
    if (!inY || x < x0 || x >= x1) return false;
    if ((edgeY || x === x0 || x === x1 - 1) && roi[(y - y0) * w + (x - x0)] === 0) return false;
  }
  return true;
}

/** Zeros to compare row bands with (memcmp in `Buffer.compare`: ~10× a typed-array loop over a large frame). */
let zeros: Buffer | null = null;

/** True when bytes `[start, end)` of `bytes` are all 0. */
function bytesAllZero(bytes: Uint8Array, start: number, end: number): boolean {
  zeros ??= Buffer.alloc(1 << 20);
  for (let i = start; i < end; i += zeros.length) {
    const n = Math.min(zeros.length, end - i);
    if (zeros.compare(bytes, i, i + n, 0, n) !== 0) return false;
  }
  return true;
}

/**
 * The window's part of a frame-sized label TIFF (the analysed planes × the window's y/x box, as uint32 labels),
 * streamed so that only one row band of the frame is held; `null` as soon as a label lies where the window may not
 * hold it (`rowFitsWindow`: the re-analysis then reads the frame) or `stop()` says another mask found one;
 * `undefined` when the file's layout cannot be streamed (tiled, LZW, …: read it whole). The same checks and
 * one-line errors as `readLabelMask`.
 */
export async function readLabelMaskWindow(
  path: string,
  expected: readonly [number, number, number],
  what: string,
  window: AnalysisWindow,
  projected: boolean,
  stop: () => boolean = () => false,
): Promise<LabelVolume | null | undefined> {
  const stack = await openLabelStack(path, expected, what);
  if (!stack.streamPlaneRows) return undefined;
  const [, Y, X] = expected;
  const [z0, z1] = analysedPlanes(window, projected);
  const [, [y0, y1], [x0, x1]] = window.region;
  const h = y1 - y0;
  const w = x1 - x0;
  const out = new Uint32Array((z1 - z0) * h * w);
  for (let z = z0; z < z1; z++) {
    const streamed = await stack.streamPlaneRows(0, 0, z, (bandY, band, rows) => {
      if (stop()) return false;
      // Rows outside the window's y range must be all zero: checked as bytes, the bulk of a large frame.
      const bytes = new Uint8Array(band.buffer, band.byteOffset, rows * X * band.BYTES_PER_ELEMENT);
      const inFrom = Math.max(0, y0 - bandY);
      const inTo = Math.min(rows, y1 - bandY);
      const rowBytes = X * band.BYTES_PER_ELEMENT;
      if (inTo <= inFrom) return bytesAllZero(bytes, 0, rows * rowBytes);
      if (!bytesAllZero(bytes, 0, inFrom * rowBytes) || !bytesAllZero(bytes, inTo * rowBytes, rows * rowBytes)) return false;
      for (let r = inFrom; r < inTo; r++) {
        const y = bandY + r;
        const s = r * X;
        if (!rowFitsWindow(band, s, X, y, window)) return false;
        const o = ((z - z0) * h + (y - y0)) * w;
        for (let x = 0; x < w; x++) {
          const v = band[s + x0 + x];
          if (v < 0) throw negativeLabel(what, path, v, (z * Y + y) * X + x0 + x);
          out[o + x] = v;
        }
      }
      return true;
    });
    if (streamed === null) return undefined;
    if (!streamed) return null;
  }
  return { data: out, shape: [z1 - z0, h, w] };
}
