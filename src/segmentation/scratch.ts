/**
 * Reusable scratch masks for the threshold chain. On the machines this was measured on, the first touch of
 * fresh memory costs ~3 ms per MiB (page faults), more than the passes themselves, so the per-channel and
 * per-ROI temporaries (binary mask, dilation buffer) are recycled instead of reallocated. Buffers are keyed
 * by length; contents are undefined when borrowed.
 */
const free = new Map<number, Uint8Array[]>();

/** Most buffers kept per length (the chain needs two at a time). */
const KEEP = 2;

export function borrowMask(length: number): Uint8Array {
  const list = free.get(length);
  return list?.pop() ?? new Uint8Array(length);
}

export function returnMask(mask: Uint8Array): void {
  let list = free.get(mask.length);
  if (!list) {
    // Keep buffers of the most recent size only: a new image size releases the old ones.
    free.clear();
    free.set(mask.length, (list = []));
  }
  if (list.length < KEEP && !list.includes(mask)) list.push(mask);
}
