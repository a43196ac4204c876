/**
 * Flow-error quality control (internals §11, 2-D only): recompute ideal flows from the masks and drop
 * masks whose mean squared difference to the network flows (dP/5) exceeds `flowThreshold`.
 */
import { heatFlows, maskBoxes2D } from './masks-to-flows.js';

/**
 * Per-label flow error for labels 1..max (index l−1): mean over the mask's pixels of
 * Σ_c (μ_c − dP_c/5)², float64; NaN for ids without pixels (scipy `ndimage.mean`).
 * `dP` is the full network flow `[2, Y, X]` (not multiplied by the cellprob mask).
 */
export function flowError(masks: Uint32Array, dP: Float32Array, Y: number, X: number, version: 3 | 4): Float64Array {
  const boxes = maskBoxes2D(masks, Y, X);
  const max = boxes.count;
  const sink = { dP, s0: new Float64Array(max + 1), s1: new Float64Array(max + 1), cnt: new Float64Array(max + 1) };
  // Per-label sums in pixel (C) order for v3; v4 visits each cell's pixels in C order too.
  heatFlows(masks, Y, X, version, sink, boxes);
  const out = new Float64Array(max);
  for (let l = 1; l <= max; l++) {
    // Both versions add the two per-component means (`flow_errors += mean(...)` per component).
    out[l - 1] = sink.s0[l] / sink.cnt[l] + sink.s1[l] / sink.cnt[l];
  }
  return out;
}

/** Sets every mask with flow error > threshold to 0 (in place; ids are not renumbered, as in Cellpose). Returns the errors. */
export function removeBadFlowMasks(masks: Uint32Array, dP: Float32Array, Y: number, X: number, threshold: number, version: 3 | 4): Float64Array {
  const err = flowError(masks, dP, Y, X, version);
  const bad = new Uint8Array(err.length + 1);
  let any = false;
  for (let i = 0; i < err.length; i++)
    if (err[i] > threshold) {
      bad[i + 1] = 1;
      any = true;
    }
  if (any) for (let q = 0; q < Y * X; q++) if (bad[masks[q]]) masks[q] = 0;
  return err;
}
