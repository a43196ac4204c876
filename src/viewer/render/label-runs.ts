/**
 * Run-length coding of label planes for the viewer's wire (`GET /api/labels/<layer>?enc=rle`): Uint32 pairs
 * (id, run length) in raster order. Shared by the server (encode) and the app (decode).
 */

/** A label plane as (id, run length) pairs, as bytes. */
export function encodeRuns(plane: Uint32Array): Uint8Array {
  let runs = 0;
  for (let i = 0, n = plane.length; i < n; ) {
    const v = plane[i];
    let j = i + 1;
    while (j < n && plane[j] === v) j++;
    runs++;
    i = j;
  }
  const out = new Uint32Array(2 * runs);
  for (let i = 0, k = 0, n = plane.length; i < n; k += 2) {
    const v = plane[i];
    let j = i + 1;
    while (j < n && plane[j] === v) j++;
    out[k] = v;
    out[k + 1] = j - i;
    i = j;
  }
  return new Uint8Array(out.buffer);
}

/** Inverse of `encodeRuns`: (id, length) pairs → a plane of `n` ids; throws if the runs do not cover exactly `n`. */
export function decodeRuns(runs: Uint32Array, n: number): Uint32Array {
  const out = new Uint32Array(n);
  let p = 0;
  for (let k = 0; k < runs.length; k += 2) {
    const v = runs[k];
    const len = runs[k + 1];
    if (p + len > n) throw new Error(`label plane: runs exceed ${n} pixels`);
    if (v !== 0) {
      if (len > 16) out.fill(v, p, p + len);
      else for (let e = p + len, i = p; i < e; i++) out[i] = v;
    }
    p += len;
  }
  if (p !== n) throw new Error(`label plane: runs cover ${p} of ${n} pixels`);
  return out;
}

