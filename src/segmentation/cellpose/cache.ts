/**
 * On-disk Cellpose refinement cache (issue 7; the original kept it in memory only, spec 5.4).
 *
 * One file per channel and ROI, `<results>/<stem>_cellpose_cache/<channel>_roi<id>.cpcache`:
 *
 *   line 1   UTF-8 JSON header (`CellposeCacheHeader`), terminated by one `\n` (the JSON itself has no newline)
 *   rest     one zlib (deflate) stream; inflated, the concatenation of the arrays listed in `header.arrays`
 *            (`name`, `dtype`, `shape`, `byteOffset`, `byteLength`), little-endian, C order:
 *            `dP` float32 `(2, 1, h, w)` (2D) or `(3, Zc, h, w)` (3D), `cellprob` float32 `(Zc, h, w)`,
 *            `roiMask` uint8 `(h, w)` (1 = inside the ROI polygon).
 *
 * The header carries everything `computeMasks` needs to rebuild the masks without the network (niter, do3d,
 * min size, max size fraction, Cellpose version, the thresholds of the run), the ROI's bounding box and its
 * z range in the analysed stack (`z0`, `zDepth`: fix Q9 — the original stored no z offset) and `key`: the
 * SHA-256 of the crop's voxels and of every network-relevant setting (`cacheKey`). A run whose key matches
 * reuses the stored network outputs; anything else runs the network and replaces the file. Files are written
 * atomically (temporary name, then rename), so an interrupted run never leaves a truncated cache file.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { deflate, inflateSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { Box2, Volume } from '../../core/volume.js';
import type { ModelConfig } from '../../config/types.js';
import { inputError } from '../../core/errors.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import type { CellposeNetOutput, MaskParams } from './types.js';

const deflateAsync = promisify(deflate);

export const CELLPOSE_CACHE_FORMAT = 'cellcoloc-cellpose-cache';
export const CELLPOSE_CACHE_VERSION = 1;
export const CELLPOSE_CACHE_EXT = '.cpcache';

/** `object` = the single-channel workflow's channel. */
export type CacheChannel = 'cell' | 'marker' | 'optional_region' | 'object';

/** Every input of the network stage that can change its output (what the key hashes besides the voxels). */
export interface NetworkSettings {
  modelSha256: string;
  /** Cellpose diameter in pixels, or null (model default). */
  diameter: number | null;
  do3d: boolean;
  /** Resolved anisotropy (a number) or null (none). */
  anisotropy: number | null;
  flow3dSmooth: number;
  zAxis: number;
  channelAxis: number | null;
  /** Prefilter chain and its parameters (the crop is hashed after the prefilter; recorded for the reader). */
  prefilter: {
    names: readonly string[];
    sigmaXy: number;
    sigmaZ: number | null;
    medianSizeXy: number;
    medianSizeZ: number | null;
  };
}

export interface CellposeCacheHeader {
  format: typeof CELLPOSE_CACHE_FORMAT;
  version: number;
  key: string;
  channel: CacheChannel;
  roiId: number;
  /** Half-open bounding box of the ROI in the full image. */
  bbox: { yMin: number; yMax: number; xMin: number; xMax: number };
  /** First analysed plane of the crop and its depth (fix Q9). */
  z0: number;
  zDepth: number;
  /** `shape_for_masks` (Zc, h, w). */
  shape: [number, number, number];
  model: { path: string; sha256: string; cellposeVersion: 3 | 4; architecture: string };
  network: NetworkSettings;
  /** Mask parameters of the run (thresholds = the run's; refinement overrides them). */
  mask: MaskParams;
  arrays: { name: 'dP' | 'cellprob' | 'roiMask'; dtype: 'float32' | 'uint8'; shape: number[]; byteOffset: number; byteLength: number }[];
  createdAt: string;
}

export interface CellposeCacheEntry {
  header: CellposeCacheHeader;
  dP: Float32Array;
  cellprob: Float32Array;
  roiMask: Uint8Array;
  /** Absolute path of the file it was read from / written to. */
  path: string;
}

/** `<results>/<stem>_cellpose_cache` */
export function cellposeCacheDir(resultsDir: string, stem: string): string {
  return join(resultsDir, `${stem}_cellpose_cache`);
}

export function cacheFileName(channel: CacheChannel, roiId: number): string {
  return `${channel}_roi${roiId}${CELLPOSE_CACHE_EXT}`;
}

/** Network settings of one model config (the parts that reach the network). */
export function networkSettings(
  config: ModelConfig,
  resolved: { modelSha256: string; do3d: boolean; anisotropy: number | null },
): NetworkSettings {
  return {
    modelSha256: resolved.modelSha256,
    diameter: config.diameter,
    do3d: resolved.do3d,
    anisotropy: resolved.anisotropy,
    flow3dSmooth: config.flow3dSmooth,
    zAxis: config.zAxis,
    channelAxis: config.channelAxis,
    prefilter: {
      names: [...config.prefilter],
      sigmaXy: config.prefilterSigmaXy,
      sigmaZ: config.prefilterSigmaZ,
      medianSizeXy: config.prefilterMedianSizeXy,
      medianSizeZ: config.prefilterMedianSizeZ,
    },
  };
}

/**
 * Cache key: SHA-256 over the format version, the crop geometry (bbox, z0, shape), the network settings (JSON
 * with sorted keys) and the crop's voxels as float32 little-endian (the exact network input after prefilter and
 * outside-ROI zeroing). The voxels are hashed in 64 Ki-value chunks: no full-size float32 copy of an integer crop.
 */
export function cacheKey(crop: Volume, box: Box2, z0: number, settings: NetworkSettings): string {
  const h = createHash('sha256');
  h.update(`${CELLPOSE_CACHE_FORMAT}/${CELLPOSE_CACHE_VERSION}\n`);
  h.update(stableJson({ bbox: [box.yMin, box.yMax, box.xMin, box.xMax], z0, shape: crop.shape, settings }));
  h.update('\n');
  const src = crop.data;
  if (src instanceof Float32Array) {
    h.update(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  } else {
    const CH = 1 << 16;
    const tmp = new Float32Array(Math.min(CH, src.length));
    for (let i = 0; i < src.length; i += CH) {
      const n = Math.min(CH, src.length - i);
      for (let k = 0; k < n; k++) tmp[k] = src[i + k];
      h.update(new Uint8Array(tmp.buffer, 0, n * 4));
    }
  }
  return h.digest('hex');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export interface CacheWriteInput {
  key: string;
  channel: CacheChannel;
  roiId: number;
  box: Box2;
  z0: number;
  net: CellposeNetOutput;
  roiMask: Uint8Array;
  model: CellposeCacheHeader['model'];
  network: NetworkSettings;
  mask: MaskParams;
}

function bytesOf(a: Float32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Big-endian hosts would need a byte swap; every platform Node supports for this package is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes one cache file atomically; returns its path. */
export async function writeCacheEntry(dir: string, input: CacheWriteInput): Promise<string> {
  if (!LITTLE_ENDIAN) throw inputError('the Cellpose cache format is little-endian; this host is big-endian');
  const { net } = input;
  const [Z, h, w] = net.shape;
  const nFlow = net.do3d ? 3 : 2;
  const dPShape = net.do3d ? [3, Z, h, w] : [2, 1, h, w];
  if (net.dP.length !== nFlow * Z * h * w || net.cellprob.length !== Z * h * w || input.roiMask.length !== h * w) {
    throw inputError(
      `Cellpose cache ${input.channel} ROI ${input.roiId}: array sizes dP ${net.dP.length}, cellprob ${net.cellprob.length}, roi ${input.roiMask.length} do not match shape (${Z}, ${h}, ${w})`,
    );
  }
  const parts = [bytesOf(net.dP), bytesOf(net.cellprob), input.roiMask];
  const arrays: CellposeCacheHeader['arrays'] = [];
  let off = 0;
  const shapes: [CellposeCacheHeader['arrays'][number]['name'], 'float32' | 'uint8', number[]][] = [
    ['dP', 'float32', dPShape],
    ['cellprob', 'float32', [Z, h, w]],
    ['roiMask', 'uint8', [h, w]],
  ];
  for (let i = 0; i < parts.length; i++) {
    arrays.push({ name: shapes[i][0], dtype: shapes[i][1], shape: shapes[i][2], byteOffset: off, byteLength: parts[i].byteLength });
    off += parts[i].byteLength;
  }
  const payload = Buffer.concat(parts);
  const header: CellposeCacheHeader = {
    format: CELLPOSE_CACHE_FORMAT,
    version: CELLPOSE_CACHE_VERSION,
    key: input.key,
    channel: input.channel,
    roiId: input.roiId,
    bbox: { yMin: input.box.yMin, yMax: input.box.yMax, xMin: input.box.xMin, xMax: input.box.xMax },
    z0: input.z0,
    zDepth: Z,
    shape: [Z, h, w],
    model: input.model,
    network: input.network,
    mask: input.mask,
    arrays,
    createdAt: new Date().toISOString(),
  };
  // Level 1: float flows compress poorly anyway (~10–20 %); the ROI mask and zero regions compress well.
  const body = await deflateAsync(payload, { level: 1 });
  const path = join(dir, cacheFileName(input.channel, input.roiId));
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path, [Buffer.from(JSON.stringify(header) + '\n', 'utf8'), body]);
  return path;
}

/** Reads and checks one cache file; `null` when it does not exist. Throws an `InputError` naming the file when it is corrupt. */
export async function readCacheEntry(path: string): Promise<CellposeCacheEntry | null> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return null;
    throw inputError(`${path}: cannot read the Cellpose cache file (${(err as Error).message})`, err);
  }
  return parseCacheEntry(buf, path);
}

export function parseCacheEntry(buf: Uint8Array, path: string): CellposeCacheEntry {
  const nl = buf.indexOf(10);
  if (nl < 0) throw inputError(`${path}: not a Cellpose cache file (no header line)`);
  let header: CellposeCacheHeader;
  try {
    header = JSON.parse(Buffer.from(buf.subarray(0, nl)).toString('utf8')) as CellposeCacheHeader;
  } catch {
    throw inputError(`${path}: not a Cellpose cache file (header is not JSON)`);
  }
  if (header.format !== CELLPOSE_CACHE_FORMAT || header.version !== CELLPOSE_CACHE_VERSION) {
    throw inputError(
      `${path}: expected a ${CELLPOSE_CACHE_FORMAT} version ${CELLPOSE_CACHE_VERSION} file, got ${JSON.stringify(header.format)} version ${JSON.stringify(header.version)}`,
    );
  }
  let payload: Buffer;
  try {
    payload = inflateSync(buf.subarray(nl + 1));
  } catch (err) {
    throw inputError(`${path}: corrupt Cellpose cache file (${(err as Error).message})`, err);
  }
  const get = (name: string): { off: number; len: number; count: number } => {
    const a = header.arrays.find((x) => x.name === name);
    if (!a) throw inputError(`${path}: Cellpose cache file lacks the array '${name}'`);
    const count = a.shape.reduce((p, s) => p * s, 1);
    const bpe = a.dtype === 'float32' ? 4 : 1;
    if (a.byteLength !== count * bpe || a.byteOffset + a.byteLength > payload.byteLength) {
      throw inputError(`${path}: Cellpose cache array '${name}' has ${a.byteLength} bytes, expected ${count * bpe} within ${payload.byteLength}`);
    }
    return { off: a.byteOffset, len: a.byteLength, count };
  };
  // Copies into fresh, aligned arrays (the inflated buffer's offsets need not be 4-byte aligned).
  const f32 = (name: string) => {
    const { off, len, count } = get(name);
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(payload.subarray(off, off + len));
    return out;
  };
  const dP = f32('dP');
  const cellprob = f32('cellprob');
  const m = get('roiMask');
  const roiMask = new Uint8Array(payload.subarray(m.off, m.off + m.len));
  const [Z, h, w] = header.shape;
  if (cellprob.length !== Z * h * w || roiMask.length !== h * w || dP.length !== (header.mask.do3d ? 3 * Z : 2) * h * w) {
    throw inputError(`${path}: Cellpose cache arrays do not match the header shape (${Z}, ${h}, ${w})`);
  }
  return { header, dP, cellprob, roiMask, path };
}

/**
 * Cache entries kept in memory between refinements (the viewer's sliders): a file is read again only when its
 * size or modification time changed (a new run rewrote it). Holds at most `maxEntries` (oldest dropped).
 */
export class CacheEntryMemo {
  private readonly entries = new Map<string, { mtimeMs: number; size: number; entry: CellposeCacheEntry }>();
  constructor(private readonly maxEntries = 16) {}

  async readEntry(path: string): Promise<CellposeCacheEntry | null> {
    let st: { mtimeMs: number; size: number };
    try {
      st = await stat(path);
    } catch {
      this.entries.delete(path);
      return readCacheEntry(path); // not there (null) or unreadable (the reader's error)
    }
    const hit = this.entries.get(path);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.entry;
    const entry = await readCacheEntry(path);
    this.entries.delete(path);
    if (entry) {
      this.entries.set(path, { mtimeMs: st.mtimeMs, size: st.size, entry });
      while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }
}

/** Every cache entry of one channel in `dir`, ROI ids ascending. */
export async function listCacheEntries(dir: string, channel: CacheChannel): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return [];
    throw inputError(`${dir}: cannot list the Cellpose cache folder (${(err as Error).message})`, err);
  }
  const re = new RegExp(`^${channel}_roi(\\d+)\\${CELLPOSE_CACHE_EXT}$`);
  return names
    .map((n) => ({ n, m: re.exec(n) }))
    .filter((x) => x.m)
    .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
    .map((x) => join(dir, x.n));
}
