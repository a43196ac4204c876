/**
 * Deterministic TIFF mutator for the fuzz test and campaign (issue 15.6). From a valid seed file and a
 * case number it derives one hostile variant: structure-aware edits (a directory entry's type, count or
 * value set to an interesting number, next-IFD offsets pointing back, Compression/Predictor swapped,
 * dimensions inflated) and plain byte edits (bit flips, random runs, truncation). Same (seed, case) →
 * same bytes, on every machine: the PRNG is mulberry32 seeded from the case number.
 */

/** mulberry32 (bench/synthetic.ts): deterministic across platforms, good enough for fuzzing. */
export { rng } from '../../bench/synthetic.js';
import { rng } from '../../bench/synthetic.js';

interface EntryRef {
  /** Byte offset of the directory entry. */
  at: number;
  tag: number;
}

interface Layout {
  le: boolean;
  big: boolean;
  ifds: number[];
  /** Byte offsets of each IFD's next-IFD field. */
  nextFields: number[];
  entries: EntryRef[];
}

/** Parses a (valid) seed's IFD chain: where the directories, entries and next-IFD fields are. */
export function parseLayout(b: Buffer): Layout {
  const le = b[0] === 0x49;
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const big = u16(2) === 43;
  const layout: Layout = { le, big, ifds: [], nextFields: [], entries: [] };
  let ifd = big ? u64(8) : u32(4);
  const seen = new Set<number>();
  while (ifd !== 0 && ifd + 8 <= b.length && !seen.has(ifd) && layout.ifds.length < 1000) {
    seen.add(ifd);
    layout.ifds.push(ifd);
    const n = big ? u64(ifd) : u16(ifd);
    const first = ifd + (big ? 8 : 2);
    const size = big ? 20 : 12;
    for (let i = 0; i < n && first + (i + 1) * size <= b.length; i++) layout.entries.push({ at: first + i * size, tag: u16(first + i * size) });
    const nf = first + n * size;
    if (nf + (big ? 8 : 4) > b.length) break;
    layout.nextFields.push(nf);
    ifd = big ? u64(nf) : u32(nf);
  }
  return layout;
}

const INTERESTING = [0, 1, 2, 3, 7, 8, 15, 16, 255, 256, 4095, 4096, 32767, 32768, 65535, 65536, 2 ** 20, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
const COMPRESSIONS = [1, 2, 5, 6, 7, 8, 32773, 32946, 34887, 50000, 50001, 9];
/** Tags whose values steer the decoder (TIFF 6.0 baseline + tiles + predictor + sample format). */
const HOT_TAGS = [256, 257, 258, 259, 262, 273, 277, 278, 279, 284, 317, 322, 323, 324, 325, 339, 270, 320];

export interface Mutant {
  bytes: Buffer;
  /** What was done, for the report of a failing case. */
  how: string[];
}

/** One mutant of `seed` for case number `n` (one edit in 60 % of the cases, else 2..4 stacked). */
export function mutate(seed: Buffer, n: number): Mutant {
  const r = rng(0x15f00d + n * 7919);
  const int = (k: number) => Math.floor(r() * k);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)];
  let b = Buffer.from(seed);
  const how: string[] = [];
  const L = parseLayout(b);
  const w16 = (o: number, v: number) => (o + 2 <= b.length ? (L.le ? b.writeUInt16LE(v & 0xffff, o) : b.writeUInt16BE(v & 0xffff, o)) : undefined);
  const w32 = (o: number, v: number) => (o + 4 <= b.length ? (L.le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o)) : undefined);
  const wOff = (o: number, v: number) => (L.big ? o + 8 <= b.length && (L.le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o)) : w32(o, v));
  const edits = r() < 0.6 ? 1 : 2 + int(3);
  for (let e = 0; e < edits; e++) {
    const kind = int(10);
    const hot = L.entries.filter((x) => HOT_TAGS.includes(x.tag));
    const entry = hot.length > 0 && r() < 0.8 ? pick(hot) : L.entries.length ? pick(L.entries) : null;
    const valueAt = (x: EntryRef) => x.at + (L.big ? 12 : 8);
    const countAt = (x: EntryRef) => x.at + 4;
    if (kind <= 2 && entry) {
      // The entry's (inline) value: an interesting number, or its neighbourhood.
      const v = r() < 0.7 ? pick(INTERESTING) : int(2 ** 32);
      const asShort = r() < 0.5;
      if (asShort) w16(valueAt(entry), v);
      else wOff(valueAt(entry), v);
      how.push(`tag ${entry.tag} value := ${v}${asShort ? ' (16-bit)' : ''}`);
    } else if (kind === 3 && entry) {
      const v = pick(INTERESTING);
      if (L.big) wOff(countAt(entry), v);
      else w32(countAt(entry), v);
      how.push(`tag ${entry.tag} count := ${v}`);
    } else if (kind === 4 && entry) {
      const t = pick([0, 1, 2, 3, 4, 5, 7, 11, 12, 13, 16, 17, 18, 19, 99]);
      w16(entry.at + 2, t);
      how.push(`tag ${entry.tag} type := ${t}`);
    } else if (kind === 5 && L.nextFields.length) {
      const i = int(L.nextFields.length);
      const target = r() < 0.6 && L.ifds.length ? L.ifds[int(Math.min(L.ifds.length, i + 1))] : pick([1, 8, b.length - 2, b.length, int(b.length)]);
      wOff(L.nextFields[i], target);
      how.push(`next-IFD of page ${i} := ${target}`);
    } else if (kind === 6) {
      const c = L.entries.filter((x) => x.tag === 259 || x.tag === 317);
      if (c.length) {
        const x = pick(c);
        const v = x.tag === 259 ? pick(COMPRESSIONS) : pick([1, 2, 3, 4, 0]);
        w16(valueAt(x), v);
        how.push(`tag ${x.tag} := ${v}`);
      }
    } else if (kind === 7) {
      // Bit flips anywhere.
      const flips = 1 + int(8);
      for (let k = 0; k < flips; k++) {
        const o = int(b.length);
        b[o] ^= 1 << int(8);
      }
      how.push(`${flips} bit flips`);
    } else if (kind === 8) {
      // A run of random bytes (often inside compressed pixel data).
      const o = int(b.length);
      const len = 1 + int(Math.min(64, b.length - o));
      for (let k = 0; k < len && o + k < b.length; k++) b[o + k] = int(256);
      how.push(`${len} random bytes at ${o}`);
    } else {
      const cut = 8 + int(Math.max(1, b.length - 8));
      b = b.subarray(0, cut);
      how.push(`truncated to ${cut} bytes`);
    }
  }
  return { bytes: b, how };
}
