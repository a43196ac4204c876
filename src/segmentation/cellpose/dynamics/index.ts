/** Cellpose mask stage (issue 7): flows + cell probability → labels, reproducing Cellpose v3.1.1.3 / v4 on CPU. */
export { computeMasks, computeMasks2D } from './compute-masks.js';
export { followFlows, followFlowsOptions, foregroundIndices } from './follow-flows.js';
export { getMasks, renumberInPlace } from './get-masks.js';
export { masksToFlows, maskBoxes2D } from './masks-to-flows.js';
export type { MaskBoxes } from './masks-to-flows.js';
export { flowError, removeBadFlowMasks } from './flow-error.js';
export { fillHolesAndRemoveSmallMasks } from './fill-holes.js';
export { stitch3D } from './stitch.js';
export { dynamicsHelperStats } from './follow-worker.js';
export { MaskMemo, type MaskMemoStats } from './mask-memo.js';
export { followFlowsTracked } from './follow-flows.js';
export type { PlaneMasks } from './compute-masks.js';
