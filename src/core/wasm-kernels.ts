/**
 * The committed WebAssembly kernel modules (the threshold chain, declumping and the report; assembled from their .wat
 * sources by scripts/build-*-wasm.mjs and committed as base64): instantiated once, on first use. Where WebAssembly
 * (or its SIMD) is unavailable the instance is null, and every caller runs its JavaScript loops, which give the same
 * bits (each module's tests cross-check both engines).
 */

/** The module's exports, or null when it cannot be compiled or instantiated here. */
export function instantiateKernels<T>(base64: string): T | null {
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(base64, 'base64')), {}).exports as unknown as T;
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
