/**
 * `utils.fill_holes_and_remove_small_masks` (internals §12): remove masks smaller than `minSize`,
 * renumber, fill each mask's holes inside its bbox (background not 4-/6-connected to the bbox border
 * becomes the mask — overwriting any mask lying entirely in the hole), remove small masks again and
 * renumber. v3.1 (`version` 3) reproduces its bug: it removes `index in the sorted unique list + 1`
 * (and assumes 0 is present), which hits the wrong ids when labels have gaps (after flow QC).
 */
import { renumberInPlace } from './get-masks.js';

function removeSmall(masks: Uint32Array, minSize: number, version: 3 | 4): void {
  let max = 0;
  for (let i = 0; i < masks.length; i++) if (masks[i] > max) max = masks[i];
  const counts = new Float64Array(max + 1);
  for (let i = 0; i < masks.length; i++) counts[masks[i]]++;
  const drop = new Uint8Array(max + 1);
  if (version === 4) {
    for (let l = 1; l <= max; l++) if (counts[l] > 0 && counts[l] < minSize) drop[l] = 1;
  } else {
    // v3.1: counts = unique(masks, return_counts)[1][1:]; mask(nonzero(counts < min_size) + 1).
    const present: number[] = [];
    for (let l = 0; l <= max; l++) if (counts[l] > 0) present.push(l);
    for (let i = 1; i < present.length; i++) {
      const label = i; // (i − 1) + 1
      if (counts[present[i]] < minSize && label <= max) drop[label] = 1;
    }
  }
  for (let i = 0; i < masks.length; i++) if (drop[masks[i]]) masks[i] = 0;
}

/** In place on `masks` ([Z, Y, X]; `ndim` 2 needs Z = 1). `minSize` ≤ 0 skips removal and renumbering. Returns `masks`. */
export function fillHolesAndRemoveSmallMasks(
  masks: Uint32Array,
  shape: [number, number, number],
  minSize: number,
  version: 3 | 4,
  ndim: 2 | 3 = 2,
): Uint32Array {
  const [Z, Y, X] = shape;
  if (minSize > 0) {
    removeSmall(masks, minSize, version);
    renumberInPlace(masks);
  }
  let max = 0;
  for (let i = 0; i < masks.length; i++) if (masks[i] > max) max = masks[i];
  if (max > 0) {
    // find_objects (computed once, before any filling).
    const z0 = new Int32Array(max + 1).fill(2 ** 30);
    const z1 = new Int32Array(max + 1);
    const y0 = new Int32Array(max + 1).fill(2 ** 30);
    const y1 = new Int32Array(max + 1);
    const x0 = new Int32Array(max + 1).fill(2 ** 30);
    const x1 = new Int32Array(max + 1);
    for (let z = 0, q = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++, q++) {
          const l = masks[q];
          if (!l) continue;
          if (z < z0[l]) z0[l] = z;
          if (z + 1 > z1[l]) z1[l] = z + 1;
          if (y < y0[l]) y0[l] = y;
          if (y + 1 > y1[l]) y1[l] = y + 1;
          if (x < x0[l]) x0[l] = x;
          if (x + 1 > x1[l]) x1[l] = x + 1;
        }
    let j = 0;
    let reach = new Uint8Array(0);
    let stack = new Int32Array(0);
    for (let l = 1; l <= max; l++) {
      if (z1[l] === 0) continue; // slice None: j is not advanced
      const bz = z1[l] - z0[l];
      const by = y1[l] - y0[l];
      const bx = x1[l] - x0[l];
      const n = bz * by * bx;
      if (reach.length < n) {
        reach = new Uint8Array(n);
        stack = new Int32Array(n);
      }
      // reach: 1 = own mask pixel, 2 = background reached from the bbox border, 0 = hole (or unvisited).
      let sp = 0;
      for (let z = 0, i = 0; z < bz; z++)
        for (let y = 0; y < by; y++)
          for (let x = 0; x < bx; x++, i++) {
            const own = masks[((z0[l] + z) * Y + y0[l] + y) * X + x0[l] + x] === l;
            reach[i] = own ? 1 : 0;
            const border = y === 0 || y === by - 1 || x === 0 || x === bx - 1 || (ndim === 3 && (z === 0 || z === bz - 1));
            if (!own && border) {
              reach[i] = 2;
              stack[sp++] = i;
            }
          }
      const sy = bx;
      const sz = by * bx;
      while (sp > 0) {
        const i = stack[--sp];
        const z = (i / sz) | 0;
        const r = i - z * sz;
        const y = (r / sy) | 0;
        const x = r - y * sy;
        if (x > 0 && reach[i - 1] === 0) { reach[i - 1] = 2; stack[sp++] = i - 1; }
        if (x < bx - 1 && reach[i + 1] === 0) { reach[i + 1] = 2; stack[sp++] = i + 1; }
        if (y > 0 && reach[i - sy] === 0) { reach[i - sy] = 2; stack[sp++] = i - sy; }
        if (y < by - 1 && reach[i + sy] === 0) { reach[i + sy] = 2; stack[sp++] = i + sy; }
        if (ndim === 3) {
          if (z > 0 && reach[i - sz] === 0) { reach[i - sz] = 2; stack[sp++] = i - sz; }
          if (z < bz - 1 && reach[i + sz] === 0) { reach[i + sz] = 2; stack[sp++] = i + sz; }
        }
      }
      // An empty mask (entirely overwritten by an earlier fill) fills nothing.
      let any = false;
      for (let i = 0; i < n; i++) if (reach[i] === 1) { any = true; break; }
      const label = j + 1;
      if (any) {
        for (let z = 0, i = 0; z < bz; z++)
          for (let y = 0; y < by; y++)
            for (let x = 0; x < bx; x++, i++)
              if (reach[i] !== 2) masks[((z0[l] + z) * Y + y0[l] + y) * X + x0[l] + x] = label;
      }
      j++;
    }
  }
  if (minSize > 0) {
    removeSmall(masks, minSize, version);
    renumberInPlace(masks);
  }
  return masks;
}
