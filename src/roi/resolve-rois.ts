/**
 * The config's `rois` section as a ROI label image (spec 9): whole image, a saved label TIFF, or napari
 * shapes in pixel units. Shared by every workflow.
 */
import type { RoiSpec } from '../config/types.js';
import type { RoiLabels } from '../core/volume.js';
import { lazyFullImageRoiLabels } from './full-image.js';
import { rasterizeShapesToLabels } from './rasterize-shapes.js';
import { loadRoiLabels } from './roi-io.js';

export async function resolveRoiLabels(config: { rois: RoiSpec }, shapeYx: [number, number]): Promise<RoiLabels> {
  const rois = config.rois;
  switch (rois.kind) {
    case 'full':
      // Its index is known (one id, every pixel; full-image.ts): the driver, the tables and the manifest need not
      // scan it, nor build it. The workflows never change a ROI raster in place (roi-index.ts).
      return lazyFullImageRoiLabels(shapeYx);
    case 'label_image':
      return loadRoiLabels(rois.path);
    case 'shapes':
      return rasterizeShapesToLabels(rois.shapes, shapeYx, [1, 1]);
  }
}
