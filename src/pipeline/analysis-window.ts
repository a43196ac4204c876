/**
 * Region reads for drawn ROIs and `z_crop` (issue 20.3): when the image can be read by region (OME-Zarr),
 * `cellcoloc run` reads only the union bounding box of the ROIs × the z-crop planes — the *analysis window* —
 * and analyses that window instead of the whole frame, then writes results in the frame's coordinates.
 *
 * Why the results are identical to the full-frame run: every per-ROI step of the pipeline only ever looks at
 * voxels inside the ROI's bounding box (prefilter on the box with reflect borders, threshold inside the
 * polygon, closing/cleanup/labelling on the box, postfilters on each object's own box, Q15), so the window —
 * which contains every ROI box — holds every voxel the full-frame run looks at. What is translated back:
 * - table coordinates: `centroid_*` are computed from frame-coordinate object origins (integer, exact) in the
 *   measurement pass; the ROI bounding box columns of `detailed_overlaps` are shifted (integers);
 * - label TIFFs: padded with zeros into the frame shape (as a z-crop's masks are, spec 12.1), and the ROI
 *   label TIFF is the frame's raster — both streamed from the window (export/placed-tiff.ts), never built
 *   frame-sized; drawn shapes are rasterised inside their candidate boxes only. Memory follows the window.
 *
 * Why the union box and not one read per ROI: the label images and the tables are per run, not per ROI, and a
 * ROI's labels must land in one array with the running offsets (Q43 overlaps). ROIs far apart make the union
 * large; analyse them as separate runs (or crops) when that matters.
 *
 * Cellpose channels are windowed too: the network sees the same crops, and the backends are given ROI boxes and
 * first planes in frame coordinates (roi-driver.ts `frameOrigin`), so the cache keys and headers are the full
 * read's and `refine` (windowed or not) finds them. `refine` and `reanalyze` read the same window (the masks they
 * rebuild or read are cut to it, reanalyze-window.ts).
 *
 * Not windowed (full-frame read as before): the viewer (it edits full-frame masks) and formats that read whole
 * planes anyway (TIFF).
 */
import type { AnalysisConfig } from '../config/types.js';
import type { LabelVolume, RoiLabels } from '../core/volume.js';
import type { Table } from '../core/table.js';
import { indexRois } from '../roi/roi-index.js';
import { resolveRoiLabels } from '../roi/resolve-rois.js';
import { rasterizeShapesToLabels, shapesCandidateBox } from '../roi/rasterize-shapes.js';
import { placedRoiLabels, placedVolume } from '../core/placed-volume.js';

/** Half-open `[[z0, z1], [y0, y1], [x0, x1]]`. */
type CropZyx = [[number, number], [number, number], [number, number]];

/** The analysed window of a frame (the stored image, or `crop_for_testing`'s crop), decided before reading. */
export interface AnalysisWindow {
  /** Half-open `[[z0, z1], [y0, y1], [x0, x1]]` in frame voxels. */
  region: CropZyx;
  /** `[Z, Y, X]` of the frame: the shape outputs are written in. */
  frameShape: [number, number, number];
  /**
   * The ROI raster of the whole frame (exported as `{stem}_roi_labelmask.tif`): placed from the window's raster
   * (core/placed-volume.ts), materialised only if someone reads its `data`.
   */
  frameRoiLabels: RoiLabels;
  /** The ROI raster cut to the window (what the analysis uses). */
  roiLabels: RoiLabels;
}

/**
 * The window for `config` on a frame of `frameShape` whose common z-crop is `zCrop` (normalised, z-stack.ts), or
 * null when the whole frame is needed anyway (whole-image ROIs without z-crop, a window equal to the frame, a ROI
 * raster of the wrong size — whose error the full-frame path reports as before).
 * A z-projection reduces the crop's planes only, so the window's z range is the crop either way.
 */
export async function planAnalysisWindow(
  config: AnalysisConfig,
  frameShape: [number, number, number],
  zCrop: [number, number] | null,
): Promise<AnalysisWindow | null> {
  const [Z, Y, X] = frameShape;
  if (config.rois.kind === 'full' && zCrop === null) return null;
  // Drawn shapes are rasterised only inside the union of their candidate boxes (the same pixels as the whole-frame
  // raster there, rasterize-shapes.ts): the raster is window-sized, not frame-sized (a 512² ROI on a 16384² image:
  // 0.5 MiB instead of 512 MiB). A ROI label image is read whole, as it is stored.
  const candidate = config.rois.kind === 'shapes' ? shapesCandidateBox(config.rois.shapes, [Y, X]) : null;
  const raster = candidate
    ? rasterizeShapesToLabels(config.rois.kind === 'shapes' ? config.rois.shapes : [], [Y, X], [1, 1], {
        y0: candidate.yMin,
        x0: candidate.xMin,
        h: candidate.yMax - candidate.yMin,
        w: candidate.xMax - candidate.xMin,
      })
    : await resolveRoiLabels(config, [Y, X]);
  const [ry, rx] = candidate ? [candidate.yMin, candidate.xMin] : [0, 0]; // raster origin in the frame
  if (!candidate && (raster.shape[0] !== Y || raster.shape[1] !== X)) return null;
  const index = indexRois(raster);
  if (index.ids.length === 0) return null;
  // The union box of the ROIs, in raster coordinates.
  let y0 = Infinity, y1 = 0, x0 = Infinity, x1 = 0;
  for (const b of index.boxes) {
    y0 = Math.min(y0, b.yMin);
    y1 = Math.max(y1, b.yMax);
    x0 = Math.min(x0, b.xMin);
    x1 = Math.max(x1, b.xMax);
  }
  const [z0, z1] = zCrop ?? [0, Z];
  if (z0 === 0 && z1 === Z && ry + y0 === 0 && ry + y1 === Y && rx + x0 === 0 && rx + x1 === X) return null;
  const h = y1 - y0, w = x1 - x0;
  const RX = raster.shape[1];
  const roi = new Uint16Array(h * w);
  const src = raster.data;
  for (let y = 0; y < h; y++) roi.set(src.subarray((y0 + y) * RX + x0, (y0 + y) * RX + x1), y * w);
  const roiLabels: RoiLabels = { data: roi, shape: [h, w] };
  return {
    region: [[z0, z1], [ry + y0, ry + y1], [rx + x0, rx + x1]],
    frameShape: [Z, Y, X],
    frameRoiLabels: placedRoiLabels(roiLabels, [Y, X], [ry + y0, rx + x0]),
    roiLabels,
  };
}

/**
 * Where the analysed arrays start in the frame, `[z, y, x]`, for table coordinates: z is 0 for a projected or
 * one-plane view (the tables' 2D branch reports z = 0, as the full-frame run does).
 */
export function windowOrigin(window: AnalysisWindow | null | undefined, reducedView: boolean): [number, number, number] | null {
  if (!window) return null;
  const [[z0], [y0], [x0]] = window.region;
  return [reducedView ? 0 : z0, y0, x0];
}

/**
 * A window's label image in the frame's shape (zeros outside), for export; `projected`: the analysed view is one
 * projected plane, exported as `(1, Y, X)` like the full-frame run's. Padded straight into uint16 when the labels
 * fit (the TIFF writer narrows uint32 masks to uint16 anyway, tiff-writer.ts `narrowLabelVolume`): the frame costs
 * 2 bytes per pixel per mask while it is written, not 4 + 2.
 */
export function padLabelsToFrame(labels: LabelVolume, window: AnalysisWindow, projected: boolean): LabelVolume {
  const [Z, Y, X] = window.frameShape;
  const [[z0], [y0], [x0]] = window.region;
  const outZ = projected ? 1 : Z;
  const zOff = projected ? 0 : z0;
  const src = labels.data;
  let max = 0;
  for (let i = 0; i < src.length; i++) if (src[i] > max) max = src[i];
  // The export accepts any unsigned label array (`Volume<TiffVoxelData>`); LabelVolume names uint32 only.
  const box = (max <= 0xffff ? new Uint16Array(src) : src) as Uint32Array;
  // Frame-sized only on paper: the label TIFFs are streamed from the window (export/placed-tiff.ts).
  return placedVolume({ data: box, shape: labels.shape }, [outZ, Y, X], [zOff, y0, x0]);
}

/** The ROI bounding-box columns of `detailed_overlaps` (`y_min … x_max`), shifted to frame coordinates (integers: exact). */
export function shiftRoiBoxColumns(tables: readonly Table[], window: AnalysisWindow): void {
  const [, [y0], [x0]] = window.region;
  const seen = new Set<Float64Array>(); // a column array shared by two sheets is shifted once
  for (const t of tables) {
    for (const col of t.columns) {
      const d = col.name === 'y_min' || col.name === 'y_max' ? y0 : col.name === 'x_min' || col.name === 'x_max' ? x0 : 0;
      if (d === 0 || seen.has(col.values)) continue;
      seen.add(col.values);
      for (let i = 0; i < col.values.length; i++) col.values[i] += d;
    }
  }
}

/** The manifest's note of the window (frame voxels). */
export function windowManifestEntry(window: AnalysisWindow): Record<string, unknown> {
  return {
    region: window.region,
    frameShapeZyx: window.frameShape,
    note: 'only this region (the union bounding box of the ROIs × the z-crop planes) was read and analysed; tables and masks are in frame coordinates',
  };
}
