/** Cellpose network stage (issue 7): model files, normalisation, resizing, tiling, ONNX inference, 3-D views. */
export { type CellposeModel, resolveModelPath, BUILTIN_MODELS, builtinModelsDir, loadCellposeModel, readModelInfo, modelsDir, defaultModelsDir, MODELS_ENV, METADATA_KEYS } from './model.js';
export { type NetworkParams, runCellposeNetwork, runNetworkOnChannels, runNet2D, run3DViews, rescaleFactor } from './run.js';
export { normalizeChannelInPlace, percentiles, type NormalizeOptions } from './normalize.js';
export { resizePlanes, resizeFirstAxis } from './resize.js';
export { padAxis, tileGrid, taperMask, taperProfile, linspaceInt, type TileGrid } from './tiles.js';
export { runNetPlanes, forwardTiles, planeLayout, type StridedPlanes, type RunNetOptions } from './run-net.js';
export { readOnnxMetadata } from './onnx-metadata.js';
