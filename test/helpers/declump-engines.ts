/** Shared by the kernels' cross-check tests: a seeded generator and a run under one kernel engine. */
import { declumpKernels } from '../../src/segmentation/kernels/declump-wasm.js';

/** Uniform numbers in [0, 1) from a 32-bit linear congruential generator (Numerical Recipes' constants). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** `f` with the kernels of one module (its `engine` switch: declumping's, the threshold chain's) run by `engine`. */
export function withKernelEngine<T>(kernels: { engine: 'wasm' | 'js' }, engine: 'wasm' | 'js', f: () => T): T {
  const before = kernels.engine;
  kernels.engine = engine;
  try {
    return f();
  } finally {
    kernels.engine = before;
  }
}

/** `f` with every declumping kernel run by `engine` ('js': the JavaScript loops, the kernels' reference). */
export function withEngine<T>(engine: 'wasm' | 'js', f: () => T): T {
  return withKernelEngine(declumpKernels, engine, f);
}
