/**
 * Field helpers of the config schema (zod@4): defaults, required fields, typed number/string builders
 * and name fields with "did you mean". Every message is the "expected …" half of `<key.path>: expected …, got <value>`.
 */
import { z } from 'zod';
import type { PostfilterName, PrefilterName } from '../types.js';

/** A field with a default: `prefault` parses the default like an input (so transforms run on it too). */
export function opt<S extends z.ZodType>(schema: S, def: z.input<S>, description: string) {
  return schema.prefault(def as never).meta({ description, default: def as unknown });
}

/** A required field (no default). */
export function req<S extends z.ZodType>(schema: S, description: string) {
  return schema.meta({ description });
}

export const E = {
  number: 'expected a number',
  nonNeg: 'expected a number >= 0',
  positive: 'expected a number > 0',
  int: 'expected an integer',
  intNonNeg: 'expected an integer >= 0',
  intPos: 'expected an integer >= 1',
  bool: 'expected true or false',
  string: 'expected a string',
  fraction: 'expected a number from 0 to 1',
  percentile: 'expected a number from 0 to 100',
} as const;

/** Error for a section that is not a mapping (e.g. `cell_model_config: otsu`). */
export const MAPPING = { error: 'expected a mapping of fields' } as const;

/**
 * Counts, indices and voxel numbers stay within a signed 32-bit integer (issue 15.3: `1e308` voxels or a
 * `1e9`-plane crop is a typo, never a request); zod's `z.int()` alone allows up to 2^53.
 */
export const INT_MAX = 2 ** 31 - 1;
const intMax = { error: `expected an integer from ${-INT_MAX} to ${INT_MAX}` } as const;
const countMax = { error: `expected a number from 0 to ${INT_MAX}` } as const;

export const num = () => z.number({ error: E.number });
/** A voxel/pixel count threshold: a number from 0 to 2^31 − 1. */
export const count = () => z.number({ error: E.nonNeg }).min(0, { error: E.nonNeg }).max(INT_MAX, countMax);
export const nonNeg = () => z.number({ error: E.nonNeg }).min(0, { error: E.nonNeg });
export const positive = () => z.number({ error: E.positive }).gt(0, { error: E.positive });
export const int = () => z.int({ error: E.int }).min(-INT_MAX, intMax).max(INT_MAX, intMax);
export const intNonNeg = () => z.int({ error: E.intNonNeg }).min(0, { error: E.intNonNeg }).max(INT_MAX, { error: `expected an integer from 0 to ${INT_MAX}` });
export const intPos = () => z.int({ error: E.intPos }).min(1, { error: E.intPos }).max(INT_MAX, { error: `expected an integer from 1 to ${INT_MAX}` });
/** A number from `lo` to `hi` (an absolute cap for filter sizes / radii: the run time grows with it). */
export const between = (lo: number, hi: number, what = 'a number') =>
  z.number({ error: `expected ${what} from ${lo} to ${hi}` }).min(lo, { error: `expected ${what} from ${lo} to ${hi}` }).max(hi, { error: `expected ${what} from ${lo} to ${hi}` });
export const intBetween = (lo: number, hi: number) =>
  z.int({ error: `expected an integer from ${lo} to ${hi}` }).min(lo, { error: `expected an integer from ${lo} to ${hi}` }).max(hi, { error: `expected an integer from ${lo} to ${hi}` });
export const bool = () => z.boolean({ error: E.bool });
/** A fraction or probability: 0..1 inclusive. */
export const fraction = () => z.number({ error: E.fraction }).min(0, { error: E.fraction }).max(1, { error: E.fraction });
/** A percentile: 0..100 inclusive. */
export const percentile = () => z.number({ error: E.percentile }).min(0, { error: E.percentile }).max(100, { error: E.percentile });
export const str = () => z.string({ error: E.string });
export const orNull = <S extends z.ZodType>(s: S, what: string) => z.union([s, z.null()], { error: `expected ${what} or null` });

/** Levenshtein distance (for "did you mean" suggestions on unknown keys and names). */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The closest candidate to `word` (camelCase and dashes are first turned into snake_case), or null. */
export function closestName(word: string, candidates: readonly string[]): string | null {
  const w = word
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toLowerCase();
  if (w === '') return null;
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    // A truncated key (`prefilter_sigma` → `prefilter_sigma_xy`) beats any edit; ties keep declaration order.
    const d = c.startsWith(w) ? 0.5 : editDistance(w, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === null) return null;
  return bestD <= Math.max(1, Math.floor(best.length / 4)) ? best : null;
}

/**
 * A name normalised as the original does (`str.strip().lower()`, then aliases), checked against the
 * allowed names. The message lists the allowed names and suggests the closest one.
 */
export function nameField<T extends string>(allowed: readonly T[], aliases: Readonly<Record<string, T>> = {}) {
  const aliasList = Object.keys(aliases);
  const expected =
    `expected one of ${allowed.join(', ')}` + (aliasList.length > 0 ? ` (aliases: ${aliasList.join(', ')})` : '');
  return z.string({ error: expected }).transform((s, ctx): T => {
    const n = s.trim().toLowerCase();
    const v = (Object.prototype.hasOwnProperty.call(aliases, n) ? aliases[n] : n) as T;
    if (!allowed.includes(v)) {
      const guess = closestName(n, [...allowed, ...aliasList]);
      ctx.issues.push({ code: 'custom', message: expected + (guess ? ` (did you mean \`${guess}\`?)` : ''), input: s });
      return z.NEVER;
    }
    return v;
  });
}

/** `None`, one name, or a list of names (prefilter / postfilters), normalised to a list in order. */
export function nameListField<T extends string>(allowed: readonly T[], aliases: Readonly<Record<string, T>> = {}) {
  const one = nameField(allowed, aliases);
  const aliasList = Object.keys(aliases);
  const expected =
    `expected null, a name or a list of names from ${allowed.join(', ')}` +
    (aliasList.length > 0 ? ` (aliases: ${aliasList.join(', ')})` : '');
  return z
    .union([z.null(), z.string(), z.array(z.string())], { error: expected })
    .transform((v, ctx): T[] => {
      if (v === null) return [];
      const list = typeof v === 'string' ? [v] : v;
      const out: T[] = [];
      list.forEach((s, i) => {
        const r = one.safeParse(s);
        if (r.success) out.push(r.data);
        else
          ctx.issues.push({
            code: 'custom',
            message: r.error.issues[0].message,
            input: s,
            path: typeof v === 'string' ? [] : [i],
          });
      });
      return out;
    });
}
