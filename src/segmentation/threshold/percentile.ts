/**
 * NumPy 1.24 `np.percentile(values, q)` with the default `linear` method, on float32 values:
 * virtual index `(n - 1) * (q / 100)`; `a = v[floor]`, `b = v[floor + 1]` (clipped) of the sorted values;
 * `_lerp`: `diff = f32(b - a)` (float32 subtraction), gamma in float64, then
 * `a + diff * gamma`, or `b - diff * (1 - gamma)` where gamma >= 0.5 — both in float64.
 * Returns a float64 number.
 */
import { valueError } from '../../core/errors.js';

export function percentileLinear(values: Float32Array, q: number): number {
  const n = values.length;
  if (n === 0) throw valueError('percentile: no values');
  if (!(q >= 0 && q <= 100)) throw valueError(`percentile: q must be within [0, 100], got ${q}`);
  const quantile = q / 100; // np.true_divide(q, 100)
  const virtual = (n - 1) * quantile;
  const prev = Math.max(0, Math.min(n - 1, Math.floor(virtual)));
  const next = Math.min(n - 1, prev + 1);
  const sorted = values.slice().sort();
  const a = sorted[prev];
  const b = sorted[next];
  const gamma = virtual - prev;
  const diff = Math.fround(b - a);
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}
