/**
 * ROI label TIFF persistence (spec 8.2, 9.3): a 2D uint16 image, background 0.
 */
import { existsSync } from 'node:fs';
import { inputError, valueError } from '../core/errors.js';
import type { RoiLabels } from '../core/volume.js';
import { openImageStack } from '../io/image-stack.js';
import { encodeTiffStack } from '../io/tiff-writer.js';
import { writeFileAtomic } from '../io/atomic-write.js';

/** Writes the ROI labels as a single-page uint16 TIFF (temporary name, then rename). */
export async function saveRoiLabels(path: string, roi: RoiLabels): Promise<void> {
  const bytes = encodeTiffStack({ data: roi.data, shape: [1, roi.shape[0], roi.shape[1]] }, { compression: 'deflate' });
  await writeFileAtomic(path, bytes);
}

/** Reads a ROI label TIFF: one plane of non-negative integers < 65536 (spec 8.2). */
export async function loadRoiLabels(path: string): Promise<RoiLabels> {
  const stack = await openImageStack(path);
  const [T, Z, C, Y, X] = stack.rawShapeTzcyx;
  if (T !== 1 || Z !== 1 || C !== 1) {
    throw inputError(`${path}: expected a 2D ROI label image (one plane, one channel), got TZCYX shape (${T}, ${Z}, ${C}, ${Y}, ${X})`);
  }
  if (stack.dtype === 'float32') {
    throw inputError(`${path}: expected an integer ROI label image, got float32`);
  }
  const plane = await stack.readChannel(0, 0);
  const src = plane.data;
  const data = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v < 0 || v > 65535) throw inputError(`${path}: ROI label ${v} at pixel ${i} is outside 0..65535`);
    data[i] = v;
  }
  return { data, shape: [Y, X] };
}

/** Like `loadRoiLabels`, but `null` when the file does not exist (the original's ROI reuse). */
export async function tryLoadRoiLabels(path: string): Promise<RoiLabels | null> {
  if (!existsSync(path)) return null;
  return loadRoiLabels(path);
}

/** fix Q22: a ROI image must match the analysed image's (Y, X). */
export function assertRoiMatchesImage(roi: RoiLabels, imageShapeYx: readonly [number, number], source: string): void {
  if (roi.shape[0] !== imageShapeYx[0] || roi.shape[1] !== imageShapeYx[1]) {
    throw valueError(
      `${source}: ROI label image shape (${roi.shape[0]}, ${roi.shape[1]}) must equal the image's (Y, X) = (${imageShapeYx[0]}, ${imageShapeYx[1]})`,
    );
  }
}
