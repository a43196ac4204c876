/**
 * The committed WebAssembly kernel modules (the threshold chain, declumping and the report; assembled from their .wat
 * sources by scripts/build-*-wasm.mjs and committed as base64): instantiated once, on first use. Where WebAssembly
 * (or its SIMD) is unavailable the instance is null, and every caller runs its JavaScript loops, which give the same
 * bits (each module's tests cross-check both engines).
 */

/** Modules compiled ahead of their first use (`precompileKernels`), by their base64 text. */
const compiled = new Map<string, WebAssembly.Module>();
const compiling = new Map<string, Promise<void>>();

/**
 * Starts compiling a module off the main thread (`WebAssembly.compile`), for a caller that knows it will be needed
 * and is about to wait for I/O (the image being read): its first use then only instantiates it. Compiling
 * synchronously on first use costs ~0.4 ms of the declumping kernels' 2048² segmentation stage in a fresh process
 * (measured). A module not compiled yet when it is first used is compiled then, as without this call. The promise
 * resolves once compiled (or failed: the synchronous path then reports the failure as null).
 */
export function precompileKernels(base64: string): Promise<void> {
  if (compiled.has(base64) || typeof WebAssembly === 'undefined') return Promise.resolve();
  let p = compiling.get(base64);
  if (!p) {
    p = WebAssembly.compile(Buffer.from(base64, 'base64')).then(
      (m) => {
        compiled.set(base64, m);
        compiling.delete(base64);
      },
      () => {
        compiling.delete(base64);
      },
    );
    compiling.set(base64, p);
  }
  return p;
}

/** Whether `precompileKernels` has finished compiling this module (tests). */
export function kernelsPrecompiled(base64: string): boolean {
  return compiled.has(base64);
}

/** The module's exports, or null when it cannot be compiled or instantiated here. */
export function instantiateKernels<T>(base64: string): T | null {
  try {
    const module = compiled.get(base64) ?? new WebAssembly.Module(Buffer.from(base64, 'base64'));
    return new WebAssembly.Instance(module, {}).exports as unknown as T;
  } catch {
    return null;
  }
}

/** `memory`'s buffer, grown first to at least `bytes` (64 KiB pages); growing detaches the old buffer's views. */
export function grownMemory(memory: WebAssembly.Memory, bytes: number): ArrayBuffer {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
  return memory.buffer;
}
