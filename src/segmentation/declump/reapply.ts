/**
 * The object-removal rules of the threshold chain (`exclude_border_objects`, `discard_outside_diameter`;
 * `object-rules.ts`) applied again to finished label images — `cellcoloc reanalyze` of edited masks, so that an
 * object drawn across the image or ROI border, or outside the typical diameter range, is removed as a run would
 * have removed it. Ids are kept (no renumbering), like the other filters of the re-analysis; holes are not
 * filled (an edit is taken as meant).
 */
import type { LabelVolume, RoiLabels } from '../../core/volume.js';
import type { ModelConfig } from '../../config/types.js';
import { equivalentDiameterUm } from './object-rules.js';
import { resolveDeclumpSettings } from './declump.js';

export interface ObjectRuleStep {
  step: 'exclude_border_objects' | 'discard_outside_diameter';
  nIn: number;
  nOut: number;
  removed: number[];
}

/** True when the config has a removal rule to re-apply. */
export function hasObjectRemovalRules(config: ModelConfig | null | undefined): config is ModelConfig {
  return !!config && config.segmentationMethod !== 'cellpose' && (config.excludeBorderObjects || config.discardOutsideDiameter);
}

/**
 * @param roi the ROI label image (Y×X): the outline of every ROI (a pixel whose 4-neighbour has another ROI
 * id) is a border like the image edge. Returns a new label volume (the input is not modified).
 */
export function reapplyObjectRules(
  labels: LabelVolume,
  roi: RoiLabels,
  config: ModelConfig,
  voxelSizeUm: readonly [number, number, number],
): { labels: LabelVolume; steps: ObjectRuleStep[] } {
  const [Z, Y, X] = labels.shape;
  const P = Y * X;
  const data = new Uint32Array(labels.data);
  const steps: ObjectRuleStep[] = [];
  let maxId = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > maxId) maxId = data[i];
  const voxels = new Float64Array(maxId + 1);
  for (let i = 0; i < data.length; i++) voxels[data[i]]++;
  let present = 0;
  for (let l = 1; l <= maxId; l++) if (voxels[l] > 0) present++;
  const drop = new Uint8Array(maxId + 1);
  const apply = (step: ObjectRuleStep['step'], removed: number[]) => {
    for (const l of removed) drop[l] = 1;
    steps.push({ step, nIn: present, nOut: present - removed.length, removed });
    present -= removed.length;
  };
  if (config.excludeBorderObjects) {
    const r = roi.data;
    const touching = new Set<number>();
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        const p = y * X + x;
        const v = r[p];
        const edge =
          y === 0 || x === 0 || y === Y - 1 || x === X - 1 || (v !== 0 && (r[p - 1] !== v || r[p + 1] !== v || r[p - X] !== v || r[p + X] !== v));
        if (!edge) continue;
        for (let z = 0; z < Z; z++) {
          const l = data[z * P + p];
          if (l !== 0) touching.add(l);
        }
      }
    }
    apply('exclude_border_objects', [...touching].sort((a, b) => a - b));
  }
  if (config.discardOutsideDiameter) {
    const range = resolveDeclumpSettings(config, voxelSizeUm).diameterUm!;
    const removed: number[] = [];
    for (let l = 1; l <= maxId; l++) {
      if (voxels[l] === 0 || drop[l]) continue;
      const d = equivalentDiameterUm(voxels[l], voxelSizeUm, Z > 1);
      if (d < range[0] || d > range[1]) removed.push(l);
    }
    apply('discard_outside_diameter', removed);
  }
  for (let i = 0; i < data.length; i++) if (drop[data[i]]) data[i] = 0;
  return { labels: { data, shape: labels.shape }, steps };
}
