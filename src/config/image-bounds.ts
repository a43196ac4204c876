/**
 * Filter sizes and radii bounded relative to the image (issue 15.3), checked once the analysed image's shape is
 * known (after loading, before any segmentation; `pipeline/runner.ts`). The schema caps them absolutely (run time
 * grows with them); here a value that cannot mean anything for THIS image is refused: a Gaussian wider than the
 * image only averages it into a constant (with `reflect` borders), a median window or a local-contrast shell
 * larger than the image sees the whole image, an object diameter above the image's diagonal cannot occur, and a
 * Cellpose diameter above the image's larger side rescales it to less than ~30 px (Cellpose resizes by
 * 30 / diameter). Each bound has a floor at the field's default, so the defaults are valid for any image.
 *
 * One line per refusal, naming the config, the key, the value, the image and the bound.
 */
import { configError } from '../core/errors.js';
import type { AnalysisConfig, ModelConfig } from './types.js';

export interface AnalysedImage {
  /** The analysed shape `[z, y, x]` (after `crop_for_testing`, z crop and projection). */
  shapeZyx: readonly [number, number, number];
  voxelSizeUm: readonly [number, number, number];
}

interface Bound {
  key: string;
  value: number;
  max: number;
  why: string;
}

/** The bounds that apply to one model config on an image of `Z × Y × X` voxels (only for settings in use). */
export function modelConfigBounds(m: ModelConfig, image: AnalysedImage): Bound[] {
  const [Z, Y, X] = image.shapeZyx;
  const side = Math.max(Y, X);
  const diagonal = Math.ceil(Math.hypot(Y, X));
  const sideWhy = `the image's larger side, ${side} px`;
  const diagWhy = `the image's diagonal, ${diagonal} px`;
  const out: Bound[] = [];
  const gaussian = m.prefilter.includes('gaussian') || m.prefilter.includes('laplacian_of_gaussian');
  if (gaussian) {
    out.push({ key: 'prefilter_sigma_xy', value: m.prefilterSigmaXy, max: Math.max(1, side), why: sideWhy });
    if (Z > 1 && m.prefilterSigmaZ !== null) out.push({ key: 'prefilter_sigma_z', value: m.prefilterSigmaZ, max: Math.max(1, Z), why: `the number of planes, ${Z}` });
  }
  if (m.prefilter.includes('median')) {
    out.push({ key: 'prefilter_median_size_xy', value: m.prefilterMedianSizeXy, max: Math.max(3, side), why: sideWhy });
    if (Z > 1 && m.prefilterMedianSizeZ !== null) {
      out.push({ key: 'prefilter_median_size_z', value: m.prefilterMedianSizeZ, max: Math.max(3, Z), why: `the number of planes, ${Z}` });
    }
  }
  if (m.thresholdBackgroundSigma !== null) out.push({ key: 'threshold_background_sigma', value: m.thresholdBackgroundSigma, max: Math.max(1, side), why: sideWhy });
  if (m.postfilters.includes('local_contrast')) {
    out.push({ key: 'local_contrast_shell_outer_radius', value: m.localContrastShellOuterRadius, max: Math.max(4, side), why: sideWhy });
  }
  if (m.segmentationMethod === 'cellpose' && m.diameter !== null) out.push({ key: 'diameter', value: m.diameter, max: Math.max(30, side), why: sideWhy });
  if (m.typicalDiameterPx) {
    out.push({ key: 'typical_diameter_px[0]', value: m.typicalDiameterPx[0], max: diagonal, why: diagWhy });
    out.push({ key: 'typical_diameter_px[1]', value: m.typicalDiameterPx[1], max: diagonal, why: diagWhy });
  }
  if (m.typicalDiameterUm) {
    // In µm along x (the pixel size the declumping converts with).
    const um = diagonal * image.voxelSizeUm[2];
    const why = `the image's diagonal, ${diagonal} px = ${round(um)} µm`;
    out.push({ key: 'typical_diameter_um[0]', value: m.typicalDiameterUm[0], max: um, why });
    out.push({ key: 'typical_diameter_um[1]', value: m.typicalDiameterUm[1], max: um, why });
  }
  if (m.declumpSmoothingPx !== null) out.push({ key: 'declump_smoothing_px', value: m.declumpSmoothingPx, max: Math.max(1, side), why: sideWhy });
  if (m.declumpMinDistancePx !== null) out.push({ key: 'declump_min_distance_px', value: m.declumpMinDistancePx, max: Math.max(1, diagonal), why: diagWhy });
  return out;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** The model configs of a config with their key paths (two-channel sections, or the single-channel one). */
function modelSections(config: AnalysisConfig): [string, ModelConfig][] {
  if (config.singleChannel) return [['model_config', config.singleChannel.modelConfig]];
  const out: [string, ModelConfig][] = [
    ['cell_model_config', config.cellModelConfig],
    ['marker_model_config', config.markerModelConfig],
  ];
  if (config.optionalRegionModelConfig) out.push(['optional_region_model_config', config.optionalRegionModelConfig]);
  return out;
}

/** Throws one ConfigError for the first filter size or radius that exceeds its bound on this image. */
export function checkParametersAgainstImage(config: AnalysisConfig, image: AnalysedImage): void {
  const where = config.configPath ?? 'config';
  const file = Array.isArray(config.image) ? config.image.join(', ') : config.image;
  const [Z, Y, X] = image.shapeZyx;
  for (const [section, m] of modelSections(config)) {
    for (const b of modelConfigBounds(m, image)) {
      if (b.value > b.max) {
        throw configError(
          `${where}: ${section}.${b.key}: ${b.value} is too large for the image ${file} (Z×Y×X = ${Z}×${Y}×${X}): expected at most ${round(b.max)} (${b.why})`,
        );
      }
    }
  }
}
