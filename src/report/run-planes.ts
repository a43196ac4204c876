/**
 * What a run's overlays are drawn from, read from its files: the analysed channels of the input image (max
 * projection over the analysed z planes) and the label masks (maximum over z), full resolution; thumbnail.ts
 * downsamples and draws them. Also each cell's mean marker intensity (the intensity plot), from the same planes.
 */
import { existsSync } from 'node:fs';
import { openImageStack } from '../io/image-stack.js';
import { hasColumn, numberColumn } from './csv-table.js';
import { labelSumsU16 } from './kernels-wasm.js';
import type { RunFolder } from './run-folder.js';

export interface RunPlanes {
  width: number;
  height: number;
  /**
   * Max projections of the analysed channels (empty: the image could not be read), with the display contrast
   * (0.5/99.5 % percentiles of the whole analysed plane, so every overlay of a run is scaled alike), which the
   * first overlay drawn fills in (thumbnail.ts: counted during its downsampling pass when it covers the plane).
   */
  channels: { role: 'cell' | 'marker' | 'optional_region' | 'objects'; plane: ArrayLike<number>; contrast?: [number, number] }[];
  /** Label planes (max over z). */
  cell: ArrayLike<number> | null;
  marker: ArrayLike<number> | null;
  region: ArrayLike<number> | null;
  objects: ArrayLike<number> | null;
  rois: ArrayLike<number> | null;
  /** Mean raw marker intensity per cell label (null without image or cell mask). */
  cellMarkerMean: Map<number, number> | null;
  /** Why the image part is missing, if it is. */
  imageNote: string | null;
}

type Plane = ArrayLike<number>;
type VolumeLike = { data: ArrayLike<number>; shape: readonly number[] };

/** A label mask's plane (maximum over z; a 2D mask's own array, no copy). */
async function readLabelPlane(path: string | undefined, opens: Promise<unknown>[]): Promise<{ data: Plane; volume: VolumeLike } | null> {
  if (!path) return null;
  const stack = await opened(openImageStack(path), opens);
  const vol = await stack.readChannel(0, 0);
  return { data: vol.shape[0] === 1 ? vol.data : maxOverZ(vol.data, vol.shape, null, new Uint32Array(vol.shape[1] * vol.shape[2])), volume: vol };
}

/** Maximum over the planes `zRange` (default all) into `out`. */
function maxOverZ<T extends Uint32Array | Float32Array>(data: ArrayLike<number>, shape: readonly number[], zRange: [number, number] | null, out: T): T {
  const [Z, Y, X] = shape;
  const P = Y * X;
  const [z0, z1] = zRange ?? [0, Z];
  const first = Math.max(0, z0);
  for (let i = 0; i < P; i++) out[i] = data[first * P + i];
  for (let z = first + 1; z < Math.min(Z, z1); z++) {
    const o = z * P;
    for (let i = 0; i < P; i++) {
      const v = data[o + i];
      if (v > out[i]) out[i] = v;
    }
  }
  return out;
}

/** The image plane shown: the plane itself in 2D (no copy), else the max projection over the analysed planes. */
function maxProject(data: ArrayLike<number>, shape: readonly number[], zRange: [number, number] | null): Plane {
  if (shape[0] === 1) return data;
  return maxOverZ(data, shape, zRange, new Float32Array(shape[1] * shape[2]));
}

/** `open`, recorded in `opens` (settled either way: only the moment counts there). */
function opened<T>(open: Promise<T>, opens: Promise<unknown>[]): Promise<T> {
  opens.push(open.catch(() => {}));
  return open;
}

/** At most this long (ms) `underway` waits for the pixel reads after the files are opened. */
export const UNDERWAY_CAP_MS = 20;

/**
 * The planes being read (`planes`), and `underway`: settles once every file's header and page directory is read
 * and then no file read is pending any more (at most UNDERWAY_CAP_MS later) — by then each channel's strips are
 * read and inflating on node's thread pool. The run report waits for it before the synchronous parts of its
 * plotting (loading the libraries, rendering): started before, they kept the reads' chain of small awaited file
 * reads (headers, page directories, file handles, strips) waiting for the main thread, so that the inflates of a
 * 2048² image (~60 ms on the pool) began only after the plots, with the main thread idle meanwhile (2048² bench
 * run, interleaved with the old order on the 2-core machine under load ~4: medians 15–30 ms less wall time, the
 * same CPU). Whether file reads are pending is node's `process.getActiveResourcesInfo()` ('FSReq…' entries).
 */
export function startRunPlanes(run: RunFolder): { planes: Promise<RunPlanes>; underway: Promise<void> } {
  const opens: Promise<unknown>[] = [];
  const planes = readRunPlanes(run, opens);
  // Every open is pushed synchronously, before readRunPlanes's first await.
  const underway = Promise.all(opens).then(() => whileFileReadsPending(planes, UNDERWAY_CAP_MS));
  return { planes, underway };
}

async function whileFileReadsPending(reading: Promise<unknown>, capMs: number): Promise<void> {
  const t0 = performance.now();
  let done = false;
  reading.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done && performance.now() - t0 < capMs && process.getActiveResourcesInfo().some((r) => r.startsWith('FSReq'))) {
    await new Promise((res) => setTimeout(res, 1));
  }
}

/** Reads the image channels and label masks the thumbnails and the intensity plot need. */
export async function readRunPlanes(run: RunFolder, opens: Promise<unknown>[] = []): Promise<RunPlanes> {
  const m = run.manifest;
  const single = run.kind === 'single_channel';
  // Masks and image channels are decoded concurrently (deflate strips inflate on node's thread pool).
  const images = readImageChannels(run, opens).catch((err: Error) => ({ note: `the input image could not be read (${err.message}): thumbnails show the masks only` }));
  const [cell, marker, region, objects, rois] = await Promise.all([
    single ? null : readLabelPlane(run.masks.cell, opens),
    single ? null : readLabelPlane(run.masks.marker, opens),
    single ? null : readLabelPlane(run.masks.region, opens),
    single ? readLabelPlane(run.masks.objects, opens) : null,
    // A whole-image ROI (`rois: full`) has nothing to outline: its mask is not read.
    readLabelPlane(m.config.rois?.kind === 'full' ? undefined : run.masks.rois, opens),
  ]);
  const anyLabels = cell ?? objects ?? rois;
  const shape = m.image?.analysedShapeZyx ?? anyLabels?.volume.shape ?? null;
  if (!shape) throw new Error(`${run.manifestPath}: no image shape and no mask to take it from`);
  const [, Y, X] = shape;
  const res: RunPlanes = {
    width: X,
    height: Y,
    channels: [],
    cell: cell?.data ?? null,
    marker: marker?.data ?? null,
    region: region?.data ?? null,
    objects: objects?.data ?? null,
    rois: rois?.data ?? null,
    cellMarkerMean: null,
    imageNote: null,
  };
  const img = await images;
  if ('note' in img) {
    res.imageNote = img.note;
    return res;
  }
  const zRange = (m.zStack?.zCrop as [number, number] | null | undefined) ?? null;
  for (const { role, c, vol } of img.channels) {
    if (vol.shape[1] !== Y || vol.shape[2] !== X) {
      res.imageNote = `the input image's channel ${c} is ${vol.shape[1]}×${vol.shape[2]}, the masks ${Y}×${X}: the image changed since the run; thumbnails show the masks only`;
      res.channels = [];
      return res;
    }
    const plane = maxProject(vol.data, vol.shape, zRange);
    res.channels.push({ role, plane });
    if (role === 'marker' && cell) res.cellMarkerMean = meanPerLabel(cell.volume, vol, plane, maxTableLabel(run));
  }
  return res;
}

type Role = RunPlanes['channels'][number]['role'];

/** The largest cell label of `cell_summary` (the intensity plot's cells); undefined without the table. */
function maxTableLabel(run: RunFolder): number | undefined {
  const cs = run.tables.get('cell_summary');
  if (!cs || !hasColumn(cs, 'cell_label')) return undefined;
  let m = 0;
  for (const v of numberColumn(cs, 'cell_label')) if (v > m) m = v;
  return m;
}

/** The analysed channels of the input image (time point and crop of the run), or why they are not there. */
async function readImageChannels(run: RunFolder, opens: Promise<unknown>[]): Promise<{ channels: { role: Role; c: number; vol: VolumeLike }[] } | { note: string }> {
  const m = run.manifest;
  const imagePaths = imageSourcePaths(run);
  if (!imagePaths.length || !imagePaths.every((p) => existsSync(p))) {
    return { note: `the input image ${imagePaths.join(', ') || '(none recorded)'} is not there any more: thumbnails show the masks only` };
  }
  const stack = await opened(openImageStack(imagePaths.length === 1 ? imagePaths[0] : imagePaths), opens);
  const t = m.image?.timePoint ?? 0;
  const crop = m.image?.cropForTesting ?? null;
  const cc = m.config.channel_config ?? {};
  const roles: [Role, number | null | undefined][] =
    run.kind === 'single_channel'
      ? [['objects', m.config.single_channel_config?.channel_index]]
      : [
          ['cell', cc.cell_channel],
          ['marker', cc.marker_channel],
          ['optional_region', cc.optional_region_channel],
        ];
  const wanted = roles.filter((r): r is [Role, number] => typeof r[1] === 'number');
  const vols = await Promise.all(wanted.map(([, c]) => stack.readChannel(c, t)));
  return { channels: wanted.map(([role, c], i) => ({ role, c, vol: cropVolume(vols[i], crop) })) };
}

/** The image file(s) of the run (the manifest's config `image`, a path or a list). */
export function imageSourcePaths(run: RunFolder): string[] {
  const img = run.manifest.config.image;
  return Array.isArray(img) ? img.map(String) : typeof img === 'string' ? [img] : [];
}

function cropVolume(vol: { data: ArrayLike<number>; shape: readonly number[] }, crop: [[number, number], [number, number], [number, number]] | null) {
  if (!crop) return vol;
  const [Z, Y, X] = vol.shape;
  const [[z0, z1], [y0, y1], [x0, x1]] = crop;
  const nz = Math.min(z1, Z) - z0, ny = Math.min(y1, Y) - y0, nx = Math.min(x1, X) - x0;
  const out = new Float32Array(nz * ny * nx);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) out[(z * ny + y) * nx + x] = vol.data[((z + z0) * Y + y + y0) * X + x + x0];
  return { data: out, shape: [nz, ny, nx] as const };
}

/**
 * Mean marker intensity over each cell's voxels: voxel by voxel when the mask and the channel have the same z
 * size; on the max projection when the run analysed a projection (one-plane masks of a stack).
 */
export function meanPerLabel(labels: VolumeLike, channel: VolumeLike, projected: ArrayLike<number>, maxLabel?: number): Map<number, number> {
  const sameZ = labels.shape[0] === channel.shape[0];
  const values: ArrayLike<number> = sameZ ? channel.data : projected;
  const n = sameZ ? labels.data.length : projected.length;
  const lab = labels.data;
  // `maxLabel` (the largest label the caller asks about) spares a pass over the mask; larger labels are skipped.
  if (maxLabel === undefined) {
    maxLabel = 0;
    for (let i = 0; i < n; i++) if (lab[i] > maxLabel) maxLabel = lab[i];
  }
  // 16-bit masks and channels (the common case): the WebAssembly pass (kernels-wasm.ts), same sums.
  const fast = lab instanceof Uint16Array && values instanceof Uint16Array ? labelSumsU16(lab.subarray(0, n), values.subarray(0, n), maxLabel) : null;
  const sum = fast?.sum ?? new Float64Array(maxLabel + 1);
  const count = fast?.count ?? new Float64Array(maxLabel + 1);
  if (!fast) {
    for (let i = 0; i < n; i++) {
      const l = lab[i];
      if (l === 0 || l > maxLabel) continue;
      sum[l] += values[i];
      count[l]++;
    }
  }
  const out = new Map<number, number>();
  for (let l = 1; l <= maxLabel; l++) if (count[l] > 0) out.set(l, sum[l] / count[l]);
  return out;
}
