/**
 * `reanalyze` on an analysis window (issue 20.3): on OME-Zarr, the re-analysis of label TIFFs reads only the image
 * chunks of the ROIs' union box × the z-crop planes, as `run` does (analysis-window.ts), and cuts the masks it reads
 * to that window.
 *
 * The masks are frame-sized files (the shape a run exports) and may have been edited by hand, so the window is
 * used only when it holds every label voxel the full-frame re-analysis would look at — then the tables, the
 * filters and the exported masks are the full read's, for the reasons of analysis-window.ts:
 * - every label voxel of the analysed planes (all planes; a projection's one plane; a z-crop's planes — the
 *   others are zeroed by the z bounds anyway) lies inside the window's y/x box;
 * - none lies on the window's edge outside every ROI: `exclude_border_objects` takes the array edge as a border
 *   (declump/reapply.ts), and the window's edge is the frame's only where a ROI ends there.
 * Otherwise (labels painted outside the ROIs) the whole frame is read, as before. The masks are read before the
 * image, to decide: streamed row band by row band and cut to the window as they come (label-masks.ts), so memory
 * follows the window; a layout that cannot be streamed is read whole and cut. The analysis step then takes them
 * from here instead of reading them again.
 */
import type { AnalysisConfig } from '../config/types.js';
import type { LabelVolume } from '../core/volume.js';
import type { AnalysisWindow } from './analysis-window.js';
import { analysedPlanes, readLabelMask, readLabelMaskWindow, rowFitsWindow } from './label-masks.js';
import { resolveZProjection } from './z-stack.js';

/** One label TIFF of a re-analysis and how its errors name it (`cell masks`, …). */
export interface MaskFile {
  path: string;
  what: string;
}

/** The masks a re-analysis reads, read once (by the window check, or by the analysis step). */
export class MaskSet {
  private whole: Promise<LabelVolume[]> | null = null;
  /** The masks already cut to the accepted window (streamed by `accept`). */
  private cut: LabelVolume[] | null = null;
  constructor(private readonly files: readonly MaskFile[]) {}

  /** The masks in the frame's export shape `[Z or 1, Y, X]` (a projection exports one plane). */
  get(frameShape: [number, number, number]): Promise<LabelVolume[]> {
    return (this.whole ??= Promise.all(this.files.map((f) => readLabelMask(f.path, frameShape, f.what))));
  }

  /** The masks cut to `window` (the analysed view's shape), for a run whose window `accept` took. */
  async inWindow(window: AnalysisWindow, projected: boolean): Promise<LabelVolume[]> {
    if (this.cut) return this.cut;
    return (await this.get(exportShapeOf(window, projected))).map((m) => cutMaskToWindow(m, window, projected));
  }

  /** `accept` for `windowed…LayoutFor`: reads the masks and says whether the window holds all their labels. */
  accept = async (window: AnalysisWindow, config: AnalysisConfig): Promise<boolean> => {
    const projected = isProjected(config);
    const shape = exportShapeOf(window, projected);
    // All masks at once (their inflates run on the thread pool); the first with a label outside stops the others,
    // since the frame is then read whole anyway.
    let outside = false;
    const cuts = await Promise.all(
      this.files.map(async (f) => {
        const cut = await readLabelMaskWindow(f.path, shape, f.what, window, projected, () => outside);
        if (cut === null) outside = true;
        return cut;
      }),
    );
    if (outside) return false;
    if (cuts.every((c): c is LabelVolume => c !== undefined)) {
      this.cut = cuts;
      return true;
    }
    const masks = await this.get(shape);
    return masks.every((m) => labelsInsideWindow(m, window, projected));
  };
}

function isProjected(config: AnalysisConfig): boolean {
  // single-channel configs have no z settings in their re-analysis (refused before loading)
  return config.singleChannel ? false : resolveZProjection(config) !== null;
}

/** The shape a run of the whole frame exports its masks in. */
export function exportShapeOf(window: AnalysisWindow, projected: boolean): [number, number, number] {
  const [Z, Y, X] = window.frameShape;
  return [projected ? 1 : Z, Y, X];
}

/** See the module comment: true when the window holds every label voxel of the analysed planes. */
export function labelsInsideWindow(mask: LabelVolume, window: AnalysisWindow, projected: boolean): boolean {
  const [, Y, X] = mask.shape;
  const [z0, z1] = analysedPlanes(window, projected);
  for (let z = z0; z < z1; z++) {
    for (let y = 0; y < Y; y++) if (!rowFitsWindow(mask.data, (z * Y + y) * X, X, y, window)) return false;
  }
  return true;
}

/** The mask cut to the window (the analysed planes × the window's y/x box): the analysed view's shape. */
export function cutMaskToWindow(mask: LabelVolume, window: AnalysisWindow, projected: boolean): LabelVolume {
  const [, Y, X] = mask.shape;
  const [z0, z1] = analysedPlanes(window, projected);
  const [, [y0, y1], [x0, x1]] = window.region;
  const h = y1 - y0, w = x1 - x0;
  const out = new Uint32Array((z1 - z0) * h * w);
  for (let z = z0; z < z1; z++) {
    for (let y = 0; y < h; y++) {
      const s = (z * Y + y0 + y) * X + x0;
      out.set(mask.data.subarray(s, s + w), ((z - z0) * h + y) * w);
    }
  }
  return { data: out, shape: [z1 - z0, h, w] };
}
