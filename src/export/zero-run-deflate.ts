/**
 * zlib's bytes for the long zero runs of a placed plane (placed-tiff.ts), without feeding zlib every zero: a
 * frame-sized mask of a 512² window on a 16384² image is 512 MiB of zeros per file, and deflating them took most
 * of a window run's export (~1 s of CPU for the four masks and the ROI raster).
 *
 * Why it works (zlib's deflate.c / trees.c, measured on node's zlib at level 1): in a long zero run every symbol is
 * the same match (length 258 — MAX_MATCH — at the same distance), a block is flushed every `lit_bufsize − 1` =
 * 16383 symbols (memLevel 8), so every block of the run has the same Huffman trees and the same bit length, and
 * the bit alignment of the blocks repeats after 8 of them: the compressed stream of a zero run is periodic — L
 * bytes of output for every P = 8 · 258 · 16383 bytes of input — once it has settled (after the first block), and
 * zlib's state at the end of a settled run does not depend on how many periods it held (the window and the match
 * candidates are zeros at the same distances). So the stream of `zeros(N) + data + zeros(M)` is the stream of
 * `zeros(N − aP) + data + zeros(M − bP)` with `a` copies of one period inserted in its leading zone and `b` in its
 * trailing zone; only the Adler-32 trailer differs, and zeros add `count × a_running` to its `b` sum (RFC 1950).
 *
 * Nothing is assumed unchecked: L, the start of the settled zone and the sizes that guarantee a settled zone are
 * measured once per process and level (`calibrate`: two pure zero runs, whose difference must be exactly one
 * inserted period), and every synthesis checks that both zones of the shortened stream really repeat with period
 * L; anything unexpected (another zlib, another level's behaviour) falls back to deflating every zero.
 * test/export-zero-run-deflate.test.ts compares the result with zlib's own output byte for byte.
 */
import type { Placement } from '../core/placed-volume.js';
import { deflatePlane, deflateRepeated, ZEROS } from './plane-deflate.js';

/** Input bytes per output period: 8 blocks of 16383 matches of 258 bytes. */
const PERIOD_IN = 8 * 258 * 16383;
const ADLER_MOD = 65521;

interface Calibration {
  /** Output bytes per period. */
  L: number;
  /** Byte offset of the settled zone in any stream that starts with at least `minBefore` zeros. */
  A: number;
  /** Leading zeros that make the zone [A, A + L + W) settled output (W: `checkBytes`). */
  minBefore: number;
  /** Trailing zeros that make a settled zone of L + W bytes before the final block. */
  minAfter: number;
}

const calibrations = new Map<number, Promise<Calibration | null>>();

/**
 * The strip of plane `z` of a placement as `deflatePlane` gives it (pieces handed to `emit` as they come, when
 * given), its long zero runs synthesised where they are long enough.
 */
export async function deflatePlaneFast(p: Placement, z: number, level: number, emit?: (piece: Uint8Array) => void): Promise<Uint8Array[]> {
  const synth = await deflatePlaneSynthesised(p, z, level);
  if (!synth) return deflatePlane(p, z, level, emit);
  if (!emit) return synth;
  for (const piece of synth) emit(piece);
  return [];
}

/** The strip of plane `z` with its long zero runs synthesised; null when no run is long enough to gain. */
export async function deflatePlaneSynthesised(p: Placement, z: number, level: number): Promise<Uint8Array[] | null> {
  const [, Y, X] = p.frameShape;
  const rowBytes = X * p.box.data.BYTES_PER_ELEMENT;
  const [, oy] = p.origin;
  const by = p.box.shape[1];
  const before = z < 0 ? Y * rowBytes : oy * rowBytes;
  const after = z < 0 ? 0 : (Y - oy - by) * rowBytes;
  // cheap pre-check before any calibration: at least one period beyond the settled minimum (~1.4 P) on one side
  if (before < 2 * PERIOD_IN && after < 2 * PERIOD_IN) return null;
  const cal = await calibrationFor(level);
  if (!cal) return null;
  const a = before >= cal.minBefore + PERIOD_IN ? Math.floor((before - cal.minBefore) / PERIOD_IN) : 0;
  const b = z >= 0 && after >= cal.minAfter + PERIOD_IN ? Math.floor((after - cal.minAfter) / PERIOD_IN) : 0;
  if (a === 0 && b === 0) return null;
  const short = Buffer.concat(await deflatePlane(p, z, level, undefined, { before: a * PERIOD_IN, after: b * PERIOD_IN }));
  return insertPeriods(short, cal, a, b) ?? deflatePlane(p, z, level);
}

/**
 * `short` with `a` periods inserted in its leading zone and `b` in its trailing zone, and its Adler-32 corrected;
 * null when a zone does not repeat as it must (then nothing is synthesised; `check` false: calibration only).
 */
export function insertPeriods(short: Uint8Array, cal: Calibration, a: number, b: number, check = true): Uint8Array[] | null {
  const { L, A } = cal;
  const end = short.length - 4; // the Adler-32 trailer
  const W = checkBytes(L);
  const periodic = (from: number) => {
    if (!check) return true;
    if (from < 0 || from + L + W > end) return false;
    for (let i = from; i < from + W; i++) if (short[i] !== short[i + L]) return false;
    return true;
  };
  if (a > 0 && !periodic(A)) return null;
  let t = end;
  if (b > 0) {
    // The trailing zone: the last bytes that repeat one period later, before the final (partial) block.
    t = trailingZone(short, L, W, end);
    if (t < 0 || (a > 0 && t < A + L + W) || !periodic(t)) return null;
  }
  const pieces: Uint8Array[] = [short.subarray(0, a > 0 ? A : 0)];
  if (a > 0) {
    const S = short.subarray(A, A + L);
    for (let k = 0; k < a; k++) pieces.push(S);
  }
  pieces.push(short.subarray(a > 0 ? A : 0, t));
  if (b > 0) {
    const T = short.subarray(t, t + L);
    for (let k = 0; k < b; k++) pieces.push(T);
    pieces.push(short.subarray(t, end));
  }
  // RFC 1950 trailer: big-endian (s2 << 16) | s1. Zeros leave s1 alone and add s1 to s2 once each: the leading
  // ones while s1 is still 1, the trailing ones at the final s1.
  const dv = new DataView(short.buffer, short.byteOffset + end, 4);
  const s1 = dv.getUint16(2);
  const s2 = (dv.getUint16(0) + ((a * PERIOD_IN) % ADLER_MOD) + (((b * PERIOD_IN) % ADLER_MOD) * s1) % ADLER_MOD) % ADLER_MOD;
  const trailer = new Uint8Array(4);
  new DataView(trailer.buffer).setUint32(0, ((s2 << 16) | s1) >>> 0);
  pieces.push(trailer);
  return pieces.filter((x) => x.length > 0);
}

/**
 * Bytes compared one period apart to accept a zone: a whole period's worth of the settled stream lies between
 * them, and calibration showed the structure, so a sixteenth of a period (two blocks' worth) is checked.
 */
function checkBytes(L: number): number {
  return Math.ceil(L / 16);
}

/**
 * An insertion point in the trailing zone: the last run of W bytes before `end` that repeats one period later,
 * moved back by one block and a little. Why back: the final block of a zero run can have the same trees as the
 * settled blocks, so its bytes after the first (which holds BFINAL) may repeat too; the run found may thus reach up
 * to one block (L/8) into it, and a period inserted there would carry the final block's first byte. One block
 * back, the whole inserted period is settled output. -1 when there is no such run.
 */
function trailingZone(o: Uint8Array, L: number, W: number, end: number): number {
  let run = 0;
  for (let i = end - L - 1; i >= 0; i--) {
    if (o[i] === o[i + L]) {
      if (++run === W) return i - BLOCK_BACKOFF(L);
    } else run = 0;
  }
  return -1;
}

/** One block of output (a period holds 8) and a margin, in bytes. */
const BLOCK_BACKOFF = (L: number) => Math.ceil(L / 8) + 64;

function calibrationFor(level: number): Promise<Calibration | null> {
  let c = calibrations.get(level);
  if (!c) calibrations.set(level, (c = calibrate(level).catch(() => null)));
  return c;
}

/** See the module comment: L, A and the minimum runs from two pure zero runs, one period apart. */
async function calibrate(level: number): Promise<Calibration | null> {
  const [o1, o2] = await Promise.all([deflateZeros(2 * PERIOD_IN, level), deflateZeros(3 * PERIOD_IN, level)]);
  const L = o2.length - o1.length;
  if (!(L > 0)) return null;
  const end2 = o2.length - 4;
  // the settled zone: the first offset from which o2 repeats with period L for a whole period
  let A = -1;
  for (let i = 0, run = 0; i + L < end2; i++) {
    if (o2[i] === o2[i + L]) {
      if (++run === L) {
        A = i - L + 1;
        break;
      }
    } else run = 0;
  }
  if (A < 0) return null;
  // one period inserted at A turns the shorter run into the longer one, Adler-32 included
  const cal: Calibration = { L, A, minBefore: 0, minAfter: 0 };
  const synth = insertPeriods(o1, cal, 1, 0, false); // (o1 holds less than two periods after A: nothing to check)
  if (!synth || !Buffer.concat(synth).equals(o2)) return null;
  // Input needed for the zone [A, A + L + W) plus two blocks (L/4) of margin to be settled output, and for a
  // trailing zone of L + W bytes and the back-off after one block to settle, before the final block (and two
  // blocks of margin).
  const W = checkBytes(L);
  cal.minBefore = Math.ceil(((A + L + W + L / 4) / L) * PERIOD_IN);
  cal.minAfter = Math.ceil(((L + W + BLOCK_BACKOFF(L) + L / 8 + L / 4) / L) * PERIOD_IN);
  return cal;
}

async function deflateZeros(n: number, level: number): Promise<Buffer> {
  return Buffer.concat(await deflateRepeated(ZEROS, n, level));
}
