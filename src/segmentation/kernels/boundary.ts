/**
 * Border extension for SciPy `ndimage` line filters (`NI_ExtendLine` in `ni_support.c`).
 *
 * Instead of copying extended lines, every filter looks samples up through an index map:
 * `map[k]` is the in-line index whose value sits at virtual position `k - before`.
 */

export type BorderMode = 'reflect' | 'nearest';

/**
 * Index map for a line of length `n` extended by `before` samples on the left and `after` on the right.
 * `reflect` = SciPy's half-sample symmetric extension `d c b a | a b c d | d c b a`, periodic with period 2n
 * (SciPy keeps reflecting when the extension is longer than the line, which is the same periodic rule).
 * `nearest` = `a a a a | a b c d | d d d d`.
 */
export function extensionMap(n: number, before: number, after: number, mode: BorderMode): Int32Array {
  const map = new Int32Array(n + before + after);
  const period = 2 * n;
  for (let k = 0; k < map.length; k++) {
    const i = k - before;
    if (i >= 0 && i < n) {
      map[k] = i;
    } else if (mode === 'nearest') {
      map[k] = i < 0 ? 0 : n - 1;
    } else {
      let m = i % period;
      if (m < 0) m += period;
      map[k] = m < n ? m : period - 1 - m;
    }
  }
  return map;
}

/** `[outer, n, inner]` so that element `(o, i, j)` of an n-D C-order array along `axis` is at `(o * n + i) * inner + j`. */
export function axisLayout(dims: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let a = 0; a < axis; a++) outer *= dims[a];
  for (let a = axis + 1; a < dims.length; a++) inner *= dims[a];
  return [outer, dims[axis], inner];
}
