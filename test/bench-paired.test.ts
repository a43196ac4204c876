/**
 * bench/paired.ts: the paired change and its sign-test interval, which decide the declumping benches' verdicts.
 * Ranks from SciPy (`k = max k with scipy.stats.binom.cdf(k - 1, n, 0.5) <= 0.025`): n = 6 → 1, 21 → 6, 41 → 14,
 * 61 → 23 (coverage 0.969, 0.973, 0.972, 0.960).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPairedChange, pairedChange, pairedVerdict, signTestRank } from '../bench/paired.js';

test('sign-test ranks match SciPy binomial quantiles', () => {
  assert.equal(signTestRank(5), 0); // no 95 % interval from 5 rounds (2 · 0.5^5 = 6.25 %)
  assert.equal(signTestRank(6), 1);
  assert.equal(signTestRank(21), 6);
  assert.equal(signTestRank(41), 14);
  assert.equal(signTestRank(61), 23);
});

test('a constant ratio gives that change and a zero-width interval', () => {
  const b = Array.from({ length: 21 }, (_, i) => 8 + (i % 5) * 0.7);
  const a = b.map((v) => v * 1.25);
  const c = pairedChange(a, b);
  assert.ok(Math.abs(c.percent - 25) < 1e-9);
  assert.ok(Math.abs(c.low! - 25) < 1e-9 && Math.abs(c.high! - 25) < 1e-9);
  assert.equal(pairedVerdict(c, 30), 'MET');
  assert.equal(formatPairedChange(c), '+25 % [+25, +25]');
});

test('the interval is the 14th and 28th of 41 sorted ratios; round-to-round load cancels', () => {
  // Ratios 1.00, 1.01, …, 1.40 in a shuffled order, on rounds whose baseline swings 5 → 20 ms.
  const ratios = Array.from({ length: 41 }, (_, i) => 1 + i / 100);
  const order = Array.from({ length: 41 }, (_, i) => (i * 17) % 41);
  const b = order.map((_, i) => 5 + ((i * 7) % 16));
  const a = order.map((j, i) => b[i] * ratios[j]);
  const c = pairedChange(a, b);
  assert.ok(Math.abs(c.percent - 20) < 1e-9);
  assert.ok(Math.abs(c.low! - 13) < 1e-9, `low ${c.low}`);
  assert.ok(Math.abs(c.high! - 27) < 1e-9, `high ${c.high}`);
  assert.equal(pairedVerdict(c, 30), 'MET');
  assert.equal(pairedVerdict(c, 25), 'AT THE LINE');
  assert.equal(pairedVerdict(c, 12), 'NOT MET');
});

test('an even count takes the mean of the middle ratios; too few rounds give no interval', () => {
  const c = pairedChange([11, 12, 13, 14], [10, 10, 10, 10]);
  assert.ok(Math.abs(c.percent - 25) < 1e-9);
  assert.equal(c.low, null);
  assert.equal(formatPairedChange(c), '+25 %');
  assert.throws(() => pairedChange([1, 2], [1]), /2 and 1 rounds/);
});
