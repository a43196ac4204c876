/**
 * Contracts between the parts of the Cellpose backend (issue 7): the network stage (`network/…`: model
 * loading, normalisation, resizing, tiling, ONNX inference, 3D three-view run) produces flows and cell
 * probability for one ROI crop; the mask stage (`dynamics/…`: Euler integration, seeds, growth, flow-error QC,
 * fill holes / min size, 3D, stitching) turns them into labels; the backend (`backend.ts`) plugs both into
 * the per-ROI driver and caches the network outputs on disk for re-thresholding.
 */

/** What the backend knows about a network file (from its ONNX metadata or `<model>.onnx.json` sidecar; never guessed). */
export interface CellposeModelInfo {
  /** Absolute path of the `.onnx` file. */
  path: string;
  /** Major Cellpose version the network belongs to: 3 (CPnet) or 4 (Cellpose-SAM). */
  cellposeVersion: 3 | 4;
  architecture: 'cpnet' | 'cpsam';
  /** Network input channels: 2 (CPnet) or 3 (cpsam). */
  inputChannels: number;
  /** Tile edge in pixels (224 for CPnet, 256 for cpsam). */
  tileSize: number;
  /** Mean cell diameter the network was trained at, in pixels (30; 17 for `nuclei`). */
  diamMean: number;
  /**
   * Mean diameter of the training labels in pixels (metadata key `diam_labels`, written for Cellpose 3 models):
   * with `diameter: null`, Cellpose 3 rescales by diam_mean / diam_labels (internals §2; equal for the built-in
   * models, different for custom-trained ones). Absent/null = no rescale. Cellpose 4 ignores it.
   */
  diamLabels?: number | null;
}

/** Network outputs for one crop, in the crop's own (unresized) geometry — what Cellpose's `eval(compute_masks=False)` returns. */
export interface CellposeNetOutput {
  /** `[Z, Y, X]` of the crop (Z = 1 for 2D). */
  shape: [number, number, number];
  do3d: boolean;
  /**
   * Flows in network units, C order: 2D `(2, 1, Y, X)` = (dY, dX); 3D `(3, Z, Y, X)` = (dZ, dY, dX)
   * (CellColoc's refinement-cache layout, spec 5.4).
   */
  dP: Float32Array;
  /** Cell-probability logits `(Z, Y, X)`. */
  cellprob: Float32Array;
}

/** Parameters of `_compute_masks` (spec 5.2: CellColoc passes min_size 15, max_size_fraction 0.4, stitch 0). */
export interface MaskParams {
  cellprobThreshold: number;
  flowThreshold: number;
  /** Masks smaller than this many pixels/voxels are removed (15). */
  minSize: number;
  /** Masks larger than this fraction of the crop are removed (0.4). */
  maxSizeFraction: number;
  /** Euler steps: CellColoc uses `int(200 / (30 / diameter))` if diameter > 0 else 200. */
  niter: number;
  do3d: boolean;
  stitchThreshold: number;
  /** Which Cellpose version's dynamics to reproduce (interpolation and QC differ, internals §9–12). */
  cellposeVersion: 3 | 4;
}
