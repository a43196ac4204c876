/** Full-image ROI (spec 9.1): `ones((Y, X), uint16)` → one ROI, id 1, bbox = whole image. */
import type { RoiLabels } from '../core/volume.js';
import { valueError } from '../core/errors.js';
import { rememberRoiIndex } from './roi-index.js';

function checkShape([Y, X]: readonly [number, number]): void {
  if (!Number.isInteger(Y) || !Number.isInteger(X) || Y < 1 || X < 1) {
    throw valueError(`createFullImageRoiLabels: image shape (y, x) must be two positive integers, got (${Y}, ${X})`);
  }
}

/** The raster as an array (its index is not recorded: `indexRois` scans it like any other raster). */
export function createFullImageRoiLabels(shapeYx: readonly [number, number]): RoiLabels {
  checkShape(shapeYx);
  const [Y, X] = shapeYx;
  return { data: new Uint16Array(Y * X).fill(1), shape: [Y, X] };
}

/**
 * The same raster for a run (`rois: full`, resolve-rois.ts), built only when someone reads its `data` (issue 21): its
 * index is recorded (one id, every pixel), and the run's readers — the segmentation driver, the measurement and
 * overlap passes, the ROI TIFF (export/uniform-tiff.ts) — use `uniformRoiId` instead of reading 4 Mpx of ones; a
 * 2048² raster was 8 MiB of fresh memory filled on the main thread (~7 ms here). Other readers (the viewer,
 * library callers) get the array, built once.
 */
export function lazyFullImageRoiLabels(shapeYx: readonly [number, number]): RoiLabels {
  checkShape(shapeYx);
  const [Y, X] = shapeYx;
  let data: Uint16Array | null = null;
  const roi: RoiLabels = {
    shape: [Y, X],
    get data(): Uint16Array {
      return (data ??= new Uint16Array(Y * X).fill(1));
    },
    // the same raster in other memory (the viewer moves it into a SharedArrayBuffer, analysis-worker-jobs.ts)
    set data(moved: Uint16Array) {
      data = moved;
    },
  };
  rememberRoiIndex(roi, [1], [Y * X], [{ yMin: 0, yMax: Y, xMin: 0, xMax: X }]);
  return roi;
}
