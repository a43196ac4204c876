/**
 * Instance-segmentation scores against annotated ground truth, as in Caicedo et al., "Evaluation of Deep
 * Learning Strategies for Nucleus Segmentation in Fluorescence Images", Cytometry A 95(5) 2019 (BBBC039):
 *
 * - a predicted object matches a ground-truth object when their IoU is > 0.5 (such a match is necessarily
 *   one-to-one); F1 = 2·TP / (2·TP + FP + FN), with FP = unmatched predictions, FN = unmatched ground truth;
 * - mean matched IoU = mean IoU over the matches;
 * - split: a ground-truth object with more than half of each of >= 2 predicted objects inside it;
 * - merge: a predicted object holding more than half of each of >= 2 ground-truth objects.
 *
 * One pass over the voxels counts the pairwise overlaps (a map keyed by the id pair).
 */
import { valueError } from '../core/errors.js';

export interface InstanceScores {
  nTruth: number;
  nPredicted: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  f1: number;
  meanMatchedIou: number;
  splits: number;
  merges: number;
}

export function scoreInstances(truth: ArrayLike<number>, predicted: ArrayLike<number>): InstanceScores {
  if (truth.length !== predicted.length) throw valueError(`scoreInstances: ${truth.length} ground-truth voxels vs ${predicted.length} predicted`);
  let maxT = 0;
  let maxP = 0;
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] > maxT) maxT = truth[i];
    if (predicted[i] > maxP) maxP = predicted[i];
  }
  const areaT = new Float64Array(maxT + 1);
  const areaP = new Float64Array(maxP + 1);
  const overlap = new Map<number, number>();
  const stride = maxP + 1;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    areaT[t]++;
    areaP[p]++;
    if (t !== 0 && p !== 0) {
      const k = t * stride + p;
      overlap.set(k, (overlap.get(k) ?? 0) + 1);
    }
  }
  let nTruth = 0;
  let nPred = 0;
  for (let t = 1; t <= maxT; t++) if (areaT[t] > 0) nTruth++;
  for (let p = 1; p <= maxP; p++) if (areaP[p] > 0) nPred++;
  let tp = 0;
  let iouSum = 0;
  const majorityPredIn = new Uint32Array(maxT + 1); // predicted objects with > half their area in truth t
  const majorityTruthIn = new Uint32Array(maxP + 1); // truth objects with > half their area in predicted p
  for (const [k, inter] of overlap) {
    const t = Math.floor(k / stride);
    const p = k - t * stride;
    const iou = inter / (areaT[t] + areaP[p] - inter);
    if (iou > 0.5) {
      tp++;
      iouSum += iou;
    }
    if (inter > areaP[p] / 2) majorityPredIn[t]++;
    if (inter > areaT[t] / 2) majorityTruthIn[p]++;
  }
  let splits = 0;
  let merges = 0;
  for (let t = 1; t <= maxT; t++) if (majorityPredIn[t] >= 2) splits++;
  for (let p = 1; p <= maxP; p++) if (majorityTruthIn[p] >= 2) merges++;
  const fp = nPred - tp;
  const fn = nTruth - tp;
  const denom = 2 * tp + fp + fn;
  return {
    nTruth,
    nPredicted: nPred,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    f1: denom === 0 ? 1 : (2 * tp) / denom,
    meanMatchedIou: tp === 0 ? 0 : iouSum / tp,
    splits,
    merges,
  };
}
