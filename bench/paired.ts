/**
 * Paired comparison of two interleaved variants of a bench (bench/declump.ts, bench/declump-cli.ts): the change of
 * variant A against variant B read from the rounds, each round timing both back to back.
 *
 * On the shared 2-core host the time of a whole round moves with the machine's load (another job, V8's helper
 * threads, the kernel's memory scans), by more than the difference being measured: the ratio of the two variants'
 * medians, each taken over all rounds, then moved by ±10 points from one bench to the next. The ratio within a round
 * cancels what the two runs of that round share. The change is the median of the rounds' ratios A_i / B_i, minus 1,
 * with a distribution-free 95 % interval for that median: the order statistics r_(k) and r_(n−k+1) of the sorted
 * ratios, k the largest with P(Binomial(n, ½) ≤ k − 1) ≤ 2.5 % (the sign test's interval for a median: Hollander, Wolfe &
 * Chicken, "Nonparametric Statistical Methods", ch. 3). It assumes only that the rounds are independent.
 */

/** The change of A against B over paired rounds, in %: the median and its 95 % interval (null bounds when n < 6). */
export interface PairedChange {
  percent: number;
  low: number | null;
  high: number | null;
  rounds: number;
}

/** P(Binomial(n, ½) ≤ j), summed in log space (n up to thousands of rounds). */
function binomialHalfCdf(n: number, j: number): number {
  let logC = 0; // log C(n, 0)
  let sum = 0;
  for (let i = 0; i <= j; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    sum += Math.exp(logC - n * Math.LN2);
  }
  return sum;
}

/**
 * The 1-based rank k of the interval's lower order statistic for n paired rounds (upper: n − k + 1), or 0 when no
 * interval of at least 95 % exists (n < 6).
 */
export function signTestRank(n: number): number {
  let k = 0;
  for (let c = 1; c <= n >> 1; c++) if (binomialHalfCdf(n, c - 1) <= 0.025) k = c;
  return k;
}

/** The change of `a` against `b` (same length: round i of each), from the ratios a[i] / b[i]. */
export function pairedChange(a: readonly number[], b: readonly number[]): PairedChange {
  if (a.length !== b.length || a.length === 0) throw new Error(`pairedChange: ${a.length} and ${b.length} rounds`);
  const n = a.length;
  const r = a.map((v, i) => v / b[i]).sort((x, y) => x - y);
  const median = n % 2 ? r[n >> 1] : (r[n / 2 - 1] + r[n / 2]) / 2;
  const k = signTestRank(n);
  const pct = (x: number) => 100 * (x - 1);
  return { percent: pct(median), low: k > 0 ? pct(r[k - 1]) : null, high: k > 0 ? pct(r[n - k]) : null, rounds: n };
}

/**
 * A target "A adds at most `limitPercent` % to B" read from the interval: MET when its upper end is within the limit,
 * NOT MET when its lower end is beyond it, AT THE LINE when the interval holds the limit (the noise then decides).
 */
export function pairedVerdict(c: PairedChange, limitPercent: number): 'MET' | 'NOT MET' | 'AT THE LINE' {
  const high = c.high ?? c.percent;
  const low = c.low ?? c.percent;
  if (high <= limitPercent) return 'MET';
  if (low > limitPercent) return 'NOT MET';
  return 'AT THE LINE';
}

/** "+25 % [+23, +27]" (the interval omitted when there are too few rounds). */
export function formatPairedChange(c: PairedChange): string {
  const s = (p: number) => `${p >= 0 ? '+' : ''}${p.toFixed(0)}`;
  return `${s(c.percent)} %${c.low !== null && c.high !== null ? ` [${s(c.low)}, ${s(c.high)}]` : ''}`;
}
