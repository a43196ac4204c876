/**
 * The one image type of CellColoc: typed voxel data in C order with shape `[z, y, x]`
 * and the voxel size in micrometres. True 2D data is a singleton-z volume `[1, y, x]`
 * (spec "Conventions": "effectively 2D" always means `shape[0] === 1`).
 */

/** Typed arrays an image channel may be stored in (dtype kept as stored, spec 3.2). */
export type VoxelData =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** `[z, y, x]` sizes. */
export type Shape3 = readonly [number, number, number];

/** `[z, y, x]` voxel size in micrometres. */
export type VoxelSizeUm = readonly [number, number, number];

export interface Volume<T extends VoxelData = VoxelData> {
  /** Voxels in C order: index = (z * Y + y) * X + x. */
  readonly data: T;
  readonly shape: Shape3;
}

/**
 * Label ids: uint32 as the original, or uint16 where the maker knows every id fits (threshold labelling with at most
 * 65535 objects, issue 21): half the memory and memory traffic of every label pass, and the label TIFF (uint16 when
 * the largest id fits) is deflated from the array itself. Code that writes ids it did not read (offsets, new
 * objects) must widen first (`widenLabels`); readers treat both alike.
 */
export type LabelData = Uint32Array | Uint16Array;

/** Label image: background 0, objects 1..N. */
export type LabelVolume = Volume<LabelData>;

/** Float32 working image (prefilter output, segmentation input). */
export type FloatVolume = Volume<Float32Array>;

/** 2D ROI label image, uint16, background 0 (spec "Conventions"). */
export interface RoiLabels {
  readonly data: Uint16Array;
  /** `[y, x]` */
  readonly shape: readonly [number, number];
}

export function voxelCount(shape: Shape3): number {
  return shape[0] * shape[1] * shape[2];
}

export function sameShape(a: Shape3, b: Shape3): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

export function formatShape(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}

export function zerosLabels(shape: Shape3): LabelVolume {
  return { data: new Uint32Array(voxelCount(shape)), shape: [shape[0], shape[1], shape[2]] };
}

/** Largest label value (0 for an empty image), without spreading the array (stack-safe). */
export function maxLabel(data: LabelData): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
  return m;
}

/** Number of distinct non-zero labels (one pass, a flag per id). */
export function countLabels(data: LabelData): number {
  const seen = new Uint8Array(maxLabel(data) + 1);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== 0 && seen[v] === 0) {
      seen[v] = 1;
      n++;
    }
  }
  return n;
}

/** Half-open 2D box `[yMin, yMax) × [xMin, xMax)`. */
export interface Box2 {
  yMin: number;
  yMax: number;
  xMin: number;
  xMax: number;
}
