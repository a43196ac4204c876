/**
 * Cellpose network stage: parity numbers against the fixtures and inference timing versus a plain
 * onnxruntime-node session on the same model with the same threads.
 *   node --import tsx bench/cellpose-network.ts
 */
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { CELLPOSE_FIXTURES, UPSTREAM } from '../test/helpers/fixtures.js';
import { readNpy, readNpyF32 } from '../test/helpers/npy.js';
import { loadCellposeModel, runNetworkOnChannels, forwardTiles, runCellposeNetwork } from '../src/segmentation/cellpose/network/index.js';

const CP = CELLPOSE_FIXTURES;
const chan = (p: string, c: number) => {
  const a = readNpy(p);
  const C = a.shape[a.shape.length - 1];
  const src = a.data as Uint16Array;
  return Float32Array.from({ length: src.length / C }, (_, i) => src[i * C + c]);
};
const maxd = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const img2d = [0, 1].map((c) => chan(join(CP, 'inputs/img2d_128x128x2_uint16.npy'), c));
const img3d = [0, 1].map((c) => chan(join(CP, 'inputs/img3d_8x64x64x2_uint16.npy'), c));
const base = { anisotropy: null, flow3dSmooth: 0 };

const v3 = await loadCellposeModel(join(CP, 'v3net/cpnet_small_v3.onnx'), { useGpu: false });
const v4 = await loadCellposeModel(join(CP, 'v4net/cpsam_tiny_random.onnx'), { useGpu: false });
for (const [name, m, chans, shape, p] of [
  ['e1', v3, img2d, [1, 128, 128], { do3d: false, diameter: null }],
  ['e2', v3, img2d, [1, 128, 128], { do3d: false, diameter: 17 }],
  ['e4', v3, img3d, [8, 64, 64], { do3d: true, diameter: null }],
  ['v4e1', v4, img2d, [1, 128, 128], { do3d: false, diameter: null }],
  ['v4e2', v4, img2d, [1, 128, 128], { do3d: false, diameter: 15 }],
] as const) {
  const t0 = performance.now();
  const r = await runNetworkOnChannels(m, chans as Float32Array[], shape as [number, number, number], { ...base, ...p });
  const ms = performance.now() - t0;
  const dir = name.startsWith('v4') ? 'v4net' : 'v3net';
  console.log(
    `${name}: max|ΔdP| ${maxd(r.dP, readNpyF32(join(CP, dir, `${name}_dP.npy`)).data).toExponential(2)}, max|Δcellprob| ${maxd(r.cellprob, readNpyF32(join(CP, dir, `${name}_cellprob.npy`)).data).toExponential(2)} (${ms.toFixed(0)} ms)`,
  );
}
{
  const norm = readNpyF32(join(CP, 'v3net/e1_input_normalized.npy')).data;
  const tile = new Float32Array(2 * 144 * 144);
  for (let c = 0; c < 2; c++) for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) tile[c * 144 * 144 + (y + 8) * 144 + x + 8] = norm[(y * 128 + x) * 2 + c];
  const out = await forwardTiles(v3, tile, 1, 144, 144);
  console.log(`e1 net batch vs torch: max|Δ| ${maxd(out, readNpyF32(join(CP, 'v3net/e1_net_output_batch.npy')).data).toExponential(2)}`);
}
{
  const up = join(UPSTREAM, '2d_two_channel_cellpose_fullroi');
  const m = await loadCellposeModel(join(up, 'cpsam_tiny_coloc.onnx'), { useGpu: false });
  const { openImageStack } = await import('../src/io/image-stack.js');
  const st = await openImageStack(join(up, 'input.ome.tif'));
  for (const [name, c, d] of [['cell', 0, 60], ['marker', 1, 20]] as const) {
    const v = await st.readChannel(c, 0);
    const r = await runCellposeNetwork(m, { data: Float32Array.from(v.data as ArrayLike<number>), shape: [...v.shape] as [number, number, number] }, { ...base, do3d: false, diameter: d });
    const cp = maxd(r.cellprob, readNpyF32(join(up, `expected/cellpose_cache/${name}_roi1_cellprob.npy`)).data);
    const dp = name === 'cell' ? maxd(r.dP, readNpyF32(join(up, 'expected/cellpose_cache/cell_roi1_dP.npy')).data).toExponential(2) : 'n/a';
    console.log(`upstream ${name}: max|Δcellprob| ${cp.toExponential(2)}, max|ΔdP| ${dp}`);
  }
  await m.close();
}

// timing: batches of tiles through the backend's forwardTiles vs a plain onnxruntime session (same file, same
// threads), interleaved run by run so that load from other processes hits both alike; a 30 ms pause before each
// timed run lets the other session's idle pool threads stop spinning. Medians per tile.
const threads = availableParallelism();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [label, path, C, h] of [
  ['CPnet small 224', join(CP, 'v3net/cpnet_small_v3.onnx'), 2, 224],
  ['cpsam tiny 256', join(CP, 'v4net/cpsam_tiny_random.onnx'), 3, 256],
] as const) {
  const m = await loadCellposeModel(path, { useGpu: false });
  const plain = await ort.InferenceSession.create(path, { executionProviders: ['cpu'], intraOpNumThreads: threads });
  for (const B of [1, 8]) {
    const x = Float32Array.from({ length: B * C * h * h }, (_, i) => Math.sin(i * 0.001));
    const a: number[] = [];
    const b: number[] = [];
    const ca: number[] = [];
    const cb: number[] = [];
    const reps = B === 1 ? 15 : 7;
    await forwardTiles(m, x, B, h, h);
    await plain.run({ input: new ort.Tensor('float32', x, [B, C, h, h]) });
    const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
    for (let r = 0; r < reps; r++) {
      await sleep(30);
      let c0 = process.cpuUsage();
      let t0 = performance.now();
      await forwardTiles(m, x, B, h, h);
      a.push((performance.now() - t0) / B);
      ca.push(cpuMs(process.cpuUsage(c0)) / B);
      await sleep(30);
      c0 = process.cpuUsage();
      t0 = performance.now();
      await plain.run({ input: new ort.Tensor('float32', x, [B, C, h, h]) });
      b.push((performance.now() - t0) / B);
      cb.push(cpuMs(process.cpuUsage(c0)) / B);
    }
    console.log(
      `${label} batch ${B}: wall ${median(a).toFixed(1)} vs ${median(b).toFixed(1)} ms/tile, CPU ${median(ca).toFixed(1)} vs ${median(cb).toFixed(1)} ms/tile ` +
        `(backend vs plain ORT session, ${threads} threads, median of ${reps}, load ${loadavg()[0].toFixed(1)})`,
    );
  }
  await plain.release();
  await m.close();
}
await v3.close();
await v4.close();
