/**
 * Padding, tile grid and taper mask of Cellpose's `core.run_net` (internals §6, §7).
 */

/**
 * `transforms.get_pad_yx` for one axis: pad to a multiple of 16 plus 8 px each side; Cellpose-SAM (v4)
 * additionally pads axes shorter than the tile up to `minSize` − 16 + 16 (so the padded axis is ≥ the 256 tile).
 * Returns [before, after].
 */
export function padAxis(L: number, minSize: number | null): [number, number] {
  const Lpad = minSize === null || L >= minSize ? 16 * Math.ceil(L / 16) - L : Math.max(0, minSize - L - 16);
  const half = Math.floor(Lpad / 2);
  return [8 + half, 8 + Lpad - half];
}

/** numpy `np.linspace(0, stop, n).astype(int)` (truncation). */
export function linspaceInt(stop: number, n: number): number[] {
  if (n === 1) return [0];
  const out: number[] = [];
  const step = stop / (n - 1);
  for (let i = 0; i < n; i++) out.push(Math.trunc(i === n - 1 ? stop : i * step));
  return out;
}

export interface TileGrid {
  /** padded plane size the tiles cover (after augment's extra padding to the tile size) */
  Ly: number;
  Lx: number;
  /** tile size */
  ly: number;
  lx: number;
  ystarts: number[];
  xstarts: number[];
}

/**
 * Tile grid over a padded plane of `Ly × Lx` (row-major: y outer, x inner).
 * Without augment: overlap o = clamp(tileOverlap, 0.05, 0.5), tile = min(bsize, L), n = 1 if L ≤ bsize else
 * ceil((1 + 2o)·L / bsize). With augment: the plane is zero-padded (at the end) to ≥ bsize, tile = bsize,
 * n = max(2, ceil(2·L / bsize)) (half-overlapping tiles).
 */
export function tileGrid(Ly: number, Lx: number, bsize: number, tileOverlap: number, augment: boolean): TileGrid {
  if (augment) {
    const LyA = Math.max(Ly, bsize);
    const LxA = Math.max(Lx, bsize);
    const ny = Math.max(2, Math.ceil((2 * LyA) / bsize));
    const nx = Math.max(2, Math.ceil((2 * LxA) / bsize));
    return { Ly: LyA, Lx: LxA, ly: bsize, lx: bsize, ystarts: linspaceInt(LyA - bsize, ny), xstarts: linspaceInt(LxA - bsize, nx) };
  }
  const o = Math.min(0.5, Math.max(0.05, tileOverlap));
  const ly = Math.min(bsize, Ly);
  const lx = Math.min(bsize, Lx);
  const ny = Ly <= bsize ? 1 : Math.ceil(((1 + 2 * o) * Ly) / bsize);
  const nx = Lx <= bsize ? 1 : Math.ceil(((1 + 2 * o) * Lx) / bsize);
  return { Ly, Lx, ly, lx, ystarts: linspaceInt(Ly - ly, ny), xstarts: linspaceInt(Lx - lx, nx) };
}

/** 1-D taper profile of `transforms._taper_mask` for a B-long axis: m_i = 1 / (1 + exp((|i − (B−1)/2| − (B/2 − 20)) / sig)), float64. */
export function taperProfile(B: number, sig = 7.5): Float64Array {
  const m = new Float64Array(B);
  const mean = (B - 1) / 2; // xm.mean() of arange(B)
  for (let i = 0; i < B; i++) m[i] = 1 / (1 + Math.exp((Math.abs(i - mean) - (B / 2 - 20)) / sig));
  return m;
}

/**
 * `_taper_mask(ly, lx)`: B = max(224, ly, lx), outer product of the profile, centred crop
 * rows [B//2 − ly//2, B//2 + ly//2 + ly%2) and the same for columns. Float64, `ly × lx`, row-major.
 */
export function taperMask(ly: number, lx: number, sig = 7.5): Float64Array {
  const B = Math.max(224, ly, lx);
  const m = taperProfile(B, sig);
  const y0 = Math.floor(B / 2) - Math.floor(ly / 2);
  const x0 = Math.floor(B / 2) - Math.floor(lx / 2);
  const out = new Float64Array(ly * lx);
  for (let y = 0; y < ly; y++) {
    const my = m[y0 + y];
    for (let x = 0; x < lx; x++) out[y * lx + x] = my * m[x0 + x];
  }
  return out;
}
