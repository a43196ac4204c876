/** Full-image ROI (spec 9.1): `ones((Y, X), uint16)` → one ROI, id 1, bbox = whole image. */
import type { RoiLabels } from '../core/volume.js';
import { valueError } from '../core/errors.js';

export function createFullImageRoiLabels(shapeYx: readonly [number, number]): RoiLabels {
  const [Y, X] = shapeYx;
  if (!Number.isInteger(Y) || !Number.isInteger(X) || Y < 1 || X < 1) {
    throw valueError(`createFullImageRoiLabels: image shape (y, x) must be two positive integers, got (${Y}, ${X})`);
  }
  return { data: new Uint16Array(Y * X).fill(1), shape: [Y, X] };
}
