/**
 * Global z-crop and z-projection (spec 12), honoured by `cellcoloc run` itself (fix Q23).
 *
 * - `z_crop: [start, stop]` (half-open, planes): Python slice semantics — a negative index counts from the
 *   end (`-1` = last plane; fix Q25, the original clipped negatives to 0), then both ends are clipped into
 *   `[0, Z]`; `start < stop` is required. Every model config that sets one must give the same interval
 *   after normalisation (spec 12.1), else a config error naming both values.
 * - `z_projection: max | mean | median | std | var`: the common method of the configs (conflict → config
 *   error). The crop (if any) is applied first, then every channel is reduced along z into a `(1, Y, X)`
 *   float32 view (spec 12.2). Accumulation is float64 (fix Q36); `std`/`var` are the population statistics
 *   (ddof 0, as NumPy's default); the median is exact (mean of the two middle values for an even count).
 *   As the original (Q24), the projected view has a z spacing of 1.0 µm, so every `*_um3` column of a
 *   projected run is the area in µm² × 1 µm; the manifest keeps the true z spacing (`zStack`).
 * - A crop of exactly one plane without projection is analysed as 2D (fix Q26): the arrays become that
 *   plane `(1, Y, X)` (zero-copy views), so segmentation and tables take their 2D branch; the exported masks
 *   are padded back to the full stack (zeros on the other planes, like every multi-plane crop, spec 12.1)
 *   so that they overlay the input stack and `cellcoloc reanalyze` accepts them as written.
 */
import { configError } from '../core/errors.js';
import type { LabelVolume, Volume } from '../core/volume.js';
import type { AnalysisConfig, ModelConfig, ZProjectionMethod } from '../config/types.js';
import type { LoadedImageChannels, LoadedStackFields, ZStackInfo } from './load-images.js';
import { padLabelsToFrame } from './analysis-window.js';

export type { ZStackInfo } from './load-images.js';

/** The z-stack fields this module adds to the loaded bundle (spec 12.2: `analysis_z_bounds`, `z_projection_method`). */
export interface ZStackLoaded {
  zProjectionMethod?: ZProjectionMethod | null;
  zStack?: ZStackInfo | null;
}

type Participant = [key: string, config: ModelConfig];

/** The model configs whose z settings take part (spec 12: cell, marker and the optional third channel). */
export function zParticipants(config: AnalysisConfig): Participant[] {
  const out: Participant[] = [
    ['cell_model_config', config.cellModelConfig],
    ['marker_model_config', config.markerModelConfig],
  ];
  if (config.optionalRegionModelConfig) out.push(['optional_region_model_config', config.optionalRegionModelConfig]);
  return out;
}

function label(config: AnalysisConfig | null): string {
  return config?.configPath ?? 'config';
}

const show = (v: unknown) => JSON.stringify(v);

/**
 * One `z_crop` normalised against a stack of `sizeZ` planes: null ends = stack ends, negative = from the
 * end (Python slicing), then clipped into `[0, Z]`; throws a config error unless `start < stop`.
 */
export function normalizeZCrop(
  zCrop: readonly [number | null, number | null],
  sizeZ: number,
  key = 'z_crop',
): [number, number] {
  const norm = (v: number | null, dflt: number) => {
    if (v === null) return dflt;
    const w = v < 0 ? v + sizeZ : v;
    return Math.min(Math.max(w, 0), sizeZ);
  };
  // Unlike a Python slice, an end beyond the stack is refused (issue 15.3: `[0, 1e9]` is a typo).
  if (zCrop.some((v) => v !== null && (v > sizeZ || v < -sizeZ))) {
    throw configError(
      `${key}: expected values from ${-sizeZ} to ${sizeZ} (the image has ${sizeZ} plane${sizeZ === 1 ? '' : 's'}; negative = from the end), got ${show(zCrop)}`,
    );
  }
  const start = norm(zCrop[0], 0);
  const stop = norm(zCrop[1], sizeZ);
  if (!(start < stop)) {
    throw configError(
      `${key}: expected start < stop within the ${sizeZ} plane${sizeZ === 1 ? '' : 's'} of the image (negative = from the end), got ${show(zCrop)} → [${start}, ${stop}]`,
    );
  }
  return [start, stop];
}

/** The common `z_projection` of the participating configs (null when none sets one); a conflict is a config error. */
export function resolveZProjection(config: AnalysisConfig): ZProjectionMethod | null {
  let found: [string, ZProjectionMethod] | null = null;
  for (const [key, m] of zParticipants(config)) {
    if (m.zProjection === null) continue;
    if (found && found[1] !== m.zProjection) {
      throw configError(
        `${label(config)}: ${key}.z_projection: expected the same projection as ${found[0]}.z_projection (one projection for all channels, spec 12.2), got ${show(m.zProjection)} vs ${show(found[1])}`,
      );
    }
    found ??= [key, m.zProjection];
  }
  return found ? found[1] : null;
}

/** The common normalised `z_crop` for a stack of `sizeZ` planes (null when none sets one); a conflict is a config error. */
/**
 * The z-crop an analysis window covers (analysis-window.ts): the single-channel config's `model_config.z_crop`, or
 * the two-channel common crop (`resolveZCrop`).
 */
export function windowZCrop(config: AnalysisConfig, sizeZ: number): [number, number] | null {
  const sc = config.singleChannel;
  if (!sc) return resolveZCrop(config, sizeZ);
  return sc.modelConfig.zCrop === null ? null : normalizeZCrop(sc.modelConfig.zCrop, sizeZ, `${label(config)}: model_config.z_crop`);
}

export function resolveZCrop(config: AnalysisConfig, sizeZ: number): [number, number] | null {
  let found: [string, [number | null, number | null], [number, number]] | null = null;
  for (const [key, m] of zParticipants(config)) {
    if (m.zCrop === null) continue;
    const n = normalizeZCrop(m.zCrop, sizeZ, `${label(config)}: ${key}.z_crop`);
    if (found && (found[2][0] !== n[0] || found[2][1] !== n[1])) {
      throw configError(
        `${label(config)}: ${key}.z_crop: expected the same planes as ${found[0]}.z_crop (one z-crop for all channels, spec 12.1), got ${show(m.zCrop)} → [${n[0]}, ${n[1]}] vs ${show(found[1])} → [${found[2][0]}, ${found[2][1]}] (stack of ${sizeZ} planes)`,
      );
    }
    found ??= [key, m.zCrop, n];
  }
  return found ? found[2] : null;
}

/**
 * Reduces planes `[z0, z1)` of a stack along z into a `(1, Y, X)` float32 image. Every voxel is first
 * rounded to float32 as the original converts the channel (`astype(float32)`); sums run in float64 (Q36).
 */
export function projectZ(volume: Volume, method: ZProjectionMethod, bounds: [number, number] | null = null): Volume<Float32Array> {
  const [Z, Y, X] = volume.shape;
  const [z0, z1] = bounds ?? [0, Z];
  const plane = Y * X;
  const d = z1 - z0;
  const src = volume.data;
  const out = new Float32Array(plane);
  const f = Math.fround;
  if (method === 'max') {
    out.set(src.subarray(z0 * plane, (z0 + 1) * plane) as ArrayLike<number>);
    for (let z = z0 + 1; z < z1; z++) {
      const o = z * plane;
      for (let i = 0; i < plane; i++) {
        const v = src[o + i];
        if (v > out[i] || v !== v) out[i] = v; // NaN propagates as in NumPy's max
      }
    }
    // float32 rounding of the maximum equals the maximum of the rounded values (rounding is monotone).
    return { data: out, shape: [1, Y, X] };
  }
  if (method === 'median') {
    const buf = new Float64Array(d);
    const mid = d >> 1;
    for (let i = 0; i < plane; i++) {
      for (let k = 0; k < d; k++) buf[k] = f(src[(z0 + k) * plane + i]);
      // Insertion sort: d is a handful to a few hundred planes, and the buffer is reused (no allocation).
      for (let a = 1; a < d; a++) {
        const v = buf[a];
        let b = a - 1;
        while (b >= 0 && buf[b] > v) {
          buf[b + 1] = buf[b];
          b--;
        }
        buf[b + 1] = v;
      }
      out[i] = d % 2 === 1 ? buf[mid] : (buf[mid - 1] + buf[mid]) / 2;
    }
    return { data: out, shape: [1, Y, X] };
  }
  // mean / var / std: two passes in float64 (the sum, then the squared deviations: no cancellation).
  const acc = new Float64Array(plane);
  for (let z = z0; z < z1; z++) {
    const o = z * plane;
    for (let i = 0; i < plane; i++) acc[i] += f(src[o + i]);
  }
  for (let i = 0; i < plane; i++) acc[i] /= d;
  if (method === 'mean') {
    out.set(acc);
    return { data: out, shape: [1, Y, X] };
  }
  const ss = new Float64Array(plane);
  for (let z = z0; z < z1; z++) {
    const o = z * plane;
    for (let i = 0; i < plane; i++) {
      const e = f(src[o + i]) - acc[i];
      ss[i] += e * e;
    }
  }
  for (let i = 0; i < plane; i++) {
    const v = ss[i] / d; // population variance (ddof 0)
    out[i] = method === 'var' ? v : Math.sqrt(v);
  }
  return { data: out, shape: [1, Y, X] };
}

/** One plane of a stack as a `(1, Y, X)` zero-copy view. */
export function planeView(volume: Volume, z: number): Volume {
  const [, Y, X] = volume.shape;
  const plane = Y * X;
  return { data: volume.data.subarray(z * plane, (z + 1) * plane) as Volume['data'], shape: [1, Y, X] };
}

/** What spec 12 does to a loaded image: how each channel array is reduced and the fields that describe the view. */
export interface ZAnalysisView {
  /** Maps a loaded channel array to the analysed one (projection, one-plane view, or the array itself). */
  reduce: (v: Volume) => Volume;
  fields: Pick<LoadedStackFields, 'analysisZBounds' | 'zProjectionMethod' | 'zStack'> & { voxelSizeUm?: [number, number, number] };
}

/**
 * The z decision of spec 12 for any loaded image (both workflows): null when no z setting applies; the crop as
 * `analysisZBounds` on the full-stack arrays (spec 12.1); a one-plane crop as that plane (2D, fix Q26); or the
 * projected `(1, Y, X)` float32 view with z spacing 1.0 (spec 12.2, Q24; exports keep the true spacing).
 * `crop` is already normalised against the frame's `fullZ`.
 */
export function zAnalysisView(
  loaded: Pick<LoadedStackFields, 'voxelSizeUm' | 'analysisWindow'>,
  fullZ: number,
  crop: [number, number] | null,
  method: ZProjectionMethod | null,
): ZAnalysisView | null {
  if (method === null && crop === null) return null;
  // A window read (analysis-window.ts) already holds only the z-crop's planes: z settings refer to the frame.
  const held = !!loaded.analysisWindow && crop !== null;
  const trueVoxelSizeUm: [number, number, number] = [loaded.voxelSizeUm[0], loaded.voxelSizeUm[1], loaded.voxelSizeUm[2]];
  const zStack: ZStackInfo = { fullZ, zCrop: crop, zProjection: method, singlePlane: null, trueVoxelSizeUm };
  if (method !== null) {
    return {
      reduce: (v) => projectZ(v, method, held ? null : crop),
      fields: { voxelSizeUm: [1.0, loaded.voxelSizeUm[1], loaded.voxelSizeUm[2]], analysisZBounds: crop, zProjectionMethod: method, zStack },
    };
  }
  const c = crop!;
  if (c[1] - c[0] === 1 && fullZ > 1) {
    zStack.singlePlane = c[0];
    return { reduce: (v) => (held ? v : planeView(v, c[0])), fields: { analysisZBounds: c, zProjectionMethod: null, zStack } };
  }
  // Arrays already cut to the crop: every plane is analysed (the export pads them back, analysis-window.ts).
  return { reduce: (v) => v, fields: { analysisZBounds: held ? null : c, zProjectionMethod: null, zStack } };
}

/** The analysis view of a loaded two-channel bundle (spec 12, `zAnalysisView`), the common z settings of its channels. */
export function prepareLoadedImagesForAnalysis<L extends LoadedImageChannels>(loaded: L, config: AnalysisConfig): L & ZStackLoaded {
  const method = resolveZProjection(config); // a projection conflict is reported before a crop error
  const fullZ = loaded.analysisWindow ? loaded.analysisWindow.frameShape[0] : loaded.cellImage.shape[0];
  const view = zAnalysisView(loaded, fullZ, resolveZCrop(config, fullZ), method);
  if (view === null) return loaded;
  // Channels that share an index share one array: reduce each distinct array once.
  const memo = new Map<Volume, Volume>();
  const reduce = (v: Volume) => {
    let r = memo.get(v);
    if (!r) memo.set(v, (r = view.reduce(v)));
    return r;
  };
  return {
    ...loaded,
    ...view.fields,
    cellImage: reduce(loaded.cellImage),
    markerImage: reduce(loaded.markerImage),
    optionalRegionImage: loaded.optionalRegionImage ? reduce(loaded.optionalRegionImage) : null,
  };
}

export function effectiveZBounds(loaded: LoadedImageChannels & ZStackLoaded): [number, number] | null {
  return isReducedView(loaded) ? null : loaded.analysisZBounds;
}

/** True for a projected or one-plane view: its arrays are already the analysed planes. */
export function isReducedView(loaded: LoadedImageChannels & ZStackLoaded): boolean {
  return !!loaded.zProjectionMethod || loaded.zStack?.singlePlane != null;
}

/** True when `labelsForExport` returns label images as they are (no window placement, no one-plane padding). */
export function exportsLabelsAsAnalysed(loaded: LoadedImageChannels & ZStackLoaded): boolean {
  return !loaded.analysisWindow && (!loaded.zStack || loaded.zStack.singlePlane === null);
}

/**
 * A label image of the analysed view in the shape it is exported (and read back by `reanalyze`): a one-plane
 * crop is padded back to the full stack (zeros on every other plane); anything else is returned as is.
 */
export function labelsForExport(labels: LabelVolume, loaded: LoadedImageChannels & ZStackLoaded): LabelVolume {
  if (exportsLabelsAsAnalysed(loaded)) return labels;
  if (loaded.analysisWindow) return padLabelsToFrame(labels, loaded.analysisWindow, !!loaded.zProjectionMethod);
  const zs = loaded.zStack!;
  const [, Y, X] = labels.shape;
  const plane = Y * X;
  const data = new Uint32Array(zs.fullZ * plane);
  data.set(labels.data, zs.singlePlane! * plane);
  return { data, shape: [zs.fullZ, Y, X] };
}

/** The inverse of `labelsForExport` for masks read from disk: the analysed plane of a full-stack mask. */
export function labelsForAnalysis(labels: LabelVolume, loaded: LoadedImageChannels & ZStackLoaded): LabelVolume {
  const zs = loaded.zStack;
  if (!zs || zs.singlePlane === null) return labels;
  return planeView(labels, zs.singlePlane) as LabelVolume;
}

/** The voxel size to write into exported mask TIFFs: the true one (a projection's z = 1.0 is an analysis convention only). */
export function exportVoxelSizeUm(loaded: LoadedImageChannels & ZStackLoaded): [number, number, number] {
  return loaded.zStack ? loaded.zStack.trueVoxelSizeUm : loaded.voxelSizeUm;
}

/** Manifest entry (`zStack`): crop, projection, true z spacing and what a projected µm³ means; null without z handling. */
export function zStackManifestEntry(loaded: { zStack?: ZStackInfo | null; voxelSizeUm: readonly [number, number, number] }): Record<string, unknown> | null {
  const zs = loaded.zStack;
  if (!zs) return null;
  let note: string;
  if (zs.zProjection) {
    note =
      `z-projection '${zs.zProjection}' of planes [${zs.zCrop ? zs.zCrop.join(', ') : `0, ${zs.fullZ}`}): tables use z spacing 1.0 µm ` +
      `(as the original, Q24), so *_um3 values are areas in µm² × 1 µm and 3D occupancy equals 2D occupancy; ` +
      `the true z spacing is trueVoxelSizeZyxUm[0]`;
  } else if (zs.singlePlane !== null) {
    note =
      `one-plane z-crop (plane ${zs.singlePlane} of ${zs.fullZ}) analysed as 2D (fix Q26); *_um3 values use the true z spacing ` +
      `(one plane thick); exported masks are full stacks with labels on plane ${zs.singlePlane} only`;
  } else {
    note = `z-crop [${zs.zCrop![0]}, ${zs.zCrop![1]}) of ${zs.fullZ} planes: masks keep the full-stack shape, planes outside are 0 (spec 12.1)`;
  }
  return {
    fullZ: zs.fullZ,
    zCrop: zs.zCrop,
    zProjection: zs.zProjection,
    singlePlane: zs.singlePlane,
    trueVoxelSizeZyxUm: zs.trueVoxelSizeUm,
    analysisVoxelSizeZyxUm: [...loaded.voxelSizeUm],
    note,
  };
}
