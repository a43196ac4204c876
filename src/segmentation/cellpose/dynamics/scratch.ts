/**
 * Reusable work buffers of the mask stage. Fresh memory is expensive on the machines this was measured on (the
 * first touch costs ~3–4 ms per MiB: page faults), and one 1024² mask computation would otherwise fault in
 * ~20 MiB of temporaries (histogram, heat map, shared copies for the helper thread) on every call — the viewer's
 * sliders call it over and over. One buffer is kept per purpose (grown when too small, dropped above 64 MiB);
 * a borrowed buffer's contents are undefined, and a purpose must not be borrowed twice at once (every user is
 * synchronous and finishes with it before returning).
 */
const slots = new Map<string, ArrayBuffer | SharedArrayBuffer>();
const MAX_KEEP_BYTES = 64 << 20;

export function scratchBuffer(purpose: string, bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  const have = slots.get(purpose);
  if (have && have.byteLength >= bytes && have instanceof SharedArrayBuffer === shared) return have;
  const b = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  if (bytes <= MAX_KEEP_BYTES) slots.set(purpose, b);
  else slots.delete(purpose);
  return b;
}
