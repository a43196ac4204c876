import { openImageStack } from '../src/io/image-stack.js';
import { segmentThresholdChannel } from '../src/segmentation/threshold-segmentation.js';
import { segmentChannelByRoi } from '../src/segmentation/roi-driver.js';
import { createFullImageRoiLabels } from '../src/roi/full-image.js';
import { defaultModelConfig } from '../src/config/schema.js';
const st = await openImageStack(process.argv[2]);
const img = await st.readChannel(0, 0);
const cfg = { ...defaultModelConfig(), segmentationMethod: 'otsu' as const };
const f = new Float32Array(img.data.length); for (let i = 0; i < f.length; i++) f[i] = img.data[i];
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  segmentThresholdChannel({ data: f, shape: img.shape }, cfg);
  const a = performance.now() - t; t = performance.now();
  await segmentChannelByRoi(img, createFullImageRoiLabels([img.shape[1], img.shape[2]]), cfg, { zBounds: null, voxelSizeUm: [1, 1, 1] });
  console.log('chain', a.toFixed(0), 'driver', (performance.now() - t).toFixed(0));
}
