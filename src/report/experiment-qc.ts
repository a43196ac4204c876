/**
 * Experiment-level arithmetic of the report: robust z-scores for the QC table and plate positions of wells.
 */

/** Median of the finite values (NaN when none). */
export function median(values: readonly number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Modified z-scores (Iglewicz & Hoaglin 1993, "How to detect and handle outliers"): 0.6745·(x − median)/MAD,
 * MAD = median |x − median| (0.6745 = 1/1.4826 makes it a standard deviation for normal data, as
 * scipy.stats.median_abs_deviation(scale='normal')). When MAD = 0 (over half the values equal), the mean
 * absolute deviation is used instead: (x − median)/(1.253314·MeanAD) (1.253314 = √(π/2)); when that is 0 too,
 * every value equals the median and every score is 0. Non-finite values get NaN.
 */
export function robustZ(values: readonly number[]): { z: number[]; median: number; scale: number } {
  const med = median(values);
  const finite = values.filter(Number.isFinite);
  const dev = finite.map((v) => Math.abs(v - med));
  const mad = median(dev);
  let scale: number;
  if (mad > 0) scale = mad / 0.6745;
  else {
    const meanAd = dev.length ? dev.reduce((a, b) => a + b, 0) / dev.length : 0;
    scale = 1.253314 * meanAd;
  }
  const z = values.map((v) => (!Number.isFinite(v) ? NaN : scale > 0 ? (v - med) / scale : 0));
  return { z, median: med, scale };
}

/** Flag level of the QC table: |robust z| above this is flagged. */
export const QC_Z_LIMIT = 3;

export interface WellPosition {
  row: number; // 0 = A
  column: number; // 1-based
  label: string; // normalised, e.g. B07
}

/** `A01`, `a1`, `A-01`, `A_1`, `A 01` → row/column on a plate up to 16 × 24 (A–P × 1–24); else null. */
export function parseWell(s: string | null | undefined): WellPosition | null {
  if (!s) return null;
  const m = /^\s*([A-Pa-p])[-_ ]?0*([1-9][0-9]?)\s*$/.exec(s);
  if (!m) return null;
  const row = m[1].toUpperCase().charCodeAt(0) - 65;
  const column = Number(m[2]);
  if (column > 24) return null;
  return { row, column, label: `${String.fromCharCode(65 + row)}${String(column).padStart(2, '0')}` };
}

/** 96-well (8 × 12) when every position fits, else 384-well (16 × 24). */
export function plateFormat(wells: WellPosition[]): { rows: number; columns: number } {
  return wells.every((w) => w.row < 8 && w.column <= 12) ? { rows: 8, columns: 12 } : { rows: 16, columns: 24 };
}
