/**
 * `utils.stitch3D` (internals §13): links per-plane 2-D masks into 3-D objects by IoU between
 * consecutive planes. For planes z, z+1: IoU of every plane-(z+1) label r (rows, 1..max) with every
 * label c (columns, 1..max of the already relabelled plane z); entries < threshold → 0, entries below
 * their column's maximum → 0; row r takes label argmax + 1, rows that are all 0 get new ids (running
 * max + 1, …, in row order). `metrics._intersection_over_union` turns 0/0 into 0, so an id missing
 * from plane z+1 (a gap left by flow QC) is an all-zero row and still consumes a new id (quirk kept:
 * the fixture's last plane has such a gap).
 * Empty IoU (a plane without masks): before the first stitched pair plane z+1 keeps its labels and the
 * running max becomes its max; afterwards its labels are offset by the running max.
 */

/** In place on `masks` [Z, Y, X] (per-plane labels); returns `masks`. */
export function stitch3D(masks: Uint32Array, shape: [number, number, number], threshold: number): Uint32Array {
  const [Z, Y, X] = shape;
  const plane = Y * X;
  const planeMax = (z: number): number => {
    let m = 0;
    for (let i = z * plane; i < (z + 1) * plane; i++) if (masks[i] > m) m = masks[i];
    return m;
  };
  let mmax = planeMax(0);
  let empty = 0;
  for (let z = 0; z + 1 < Z; z++) {
    const R = planeMax(z + 1);
    const C = planeMax(z);
    const a = (z + 1) * plane;
    const b = z * plane;
    if (R === 0 || C === 0) {
      if (empty === 0) {
        mmax = R;
      } else {
        for (let i = a; i < a + plane; i++) if (masks[i]) masks[i] += mmax;
        mmax += R;
      }
      continue;
    }
    const nT = new Float64Array(R + 1);
    const nP = new Float64Array(C + 1);
    // Sparse overlaps: key r*(C+1)+c.
    const ov = new Map<number, number>();
    for (let i = 0; i < plane; i++) {
      const r = masks[a + i];
      const c = masks[b + i];
      nT[r]++;
      nP[c]++;
      if (r && c) {
        const k = r * (C + 1) + c;
        ov.set(k, (ov.get(k) ?? 0) + 1);
      }
    }
    // Thresholded IoU entries per row, then the column maxima.
    const rows: Array<Array<[number, number]>> = Array.from({ length: R + 1 }, () => []);
    const colMax = new Float64Array(C + 1);
    for (const [k, o] of ov) {
      const r = Math.floor(k / (C + 1));
      const c = k - r * (C + 1);
      const iou = o / (nT[r] + nP[c] - o);
      if (iou < threshold) continue;
      rows[r].push([c, iou]);
      if (iou > colMax[c]) colMax[c] = iou;
    }
    const istitch = new Uint32Array(R + 1);
    for (let r = 1; r <= R; r++) {
      let best = 0;
      let bestC = 0;
      for (const [c, iou] of rows[r]) {
        if (iou < colMax[c]) continue;
        if (iou > best || (iou === best && c < bestC)) {
          best = iou;
          bestC = c;
        }
      }
      istitch[r] = best > 0 ? bestC : ++mmax;
    }
    for (let i = a; i < a + plane; i++) if (masks[i]) masks[i] = istitch[masks[i]];
    empty = 1;
  }
  return masks;
}
