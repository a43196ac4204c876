/**
 * A frame-sized image that is zero outside one box — the masks and the ROI raster of a run that analysed only an
 * analysis window (pipeline/analysis-window.ts, issue 20.3) — kept as the box's pixels plus where the box sits.
 * The files are written frame-sized (the same bytes as a full read's), but streamed from the box
 * (export/placed-tiff.ts), so a 512² ROI on a 16384² image never allocates 16384² arrays. Other readers (library
 * callers, the viewer) get the frame materialised on first access of `data`, once.
 */
import type { RoiLabels, Shape3, Volume } from './volume.js';

type PlacedData = Uint16Array | Uint32Array;

export interface Placement {
  /** The box's pixels, C order, shape `box.shape`. */
  readonly box: Volume<PlacedData>;
  /** `[Z, Y, X]` of the frame. */
  readonly frameShape: Shape3;
  /** `[z, y, x]` of the box's first voxel in the frame. */
  readonly origin: readonly [number, number, number];
}

const PLACED = Symbol('cellcoloc.placedVolume');

/** The frame-sized volume (zeros outside `box`), materialised only when its `data` is read. */
export function placedVolume<T extends PlacedData>(box: Volume<T>, frameShape: Shape3, origin: readonly [number, number, number]): Volume<T> {
  const p: Placement = { box, frameShape: [frameShape[0], frameShape[1], frameShape[2]], origin: [origin[0], origin[1], origin[2]] };
  checkPlacement(p);
  let data: T | null = null;
  const volume = {
    shape: p.frameShape,
    get data(): T {
      return (data ??= materialise(p) as T);
    },
  };
  Object.defineProperty(volume, PLACED, { value: p, enumerable: false });
  return volume;
}

/** A frame-sized 2D ROI raster from the box's raster at `(y0, x0)`, materialised on first access of `data`. */
export function placedRoiLabels(box: RoiLabels, frameShapeYx: readonly [number, number], originYx: readonly [number, number]): RoiLabels {
  const v = placedVolume({ data: box.data, shape: [1, box.shape[0], box.shape[1]] }, [1, frameShapeYx[0], frameShapeYx[1]], [0, originYx[0], originYx[1]]);
  const out = {
    shape: [frameShapeYx[0], frameShapeYx[1]] as const,
    get data(): Uint16Array {
      return v.data;
    },
  };
  Object.defineProperty(out, PLACED, { value: placementOf(v), enumerable: false });
  return out;
}

/** The placement of a volume or ROI raster made here, or null for any other. */
export function placementOf(v: Volume | RoiLabels): Placement | null {
  return (v as unknown as Record<symbol, Placement | undefined>)[PLACED] ?? null;
}

function checkPlacement({ box, frameShape, origin }: Placement): void {
  for (let a = 0; a < 3; a++) {
    if (!(origin[a] >= 0 && origin[a] + box.shape[a] <= frameShape[a])) {
      throw new Error(`placedVolume: box ${JSON.stringify(box.shape)} at ${JSON.stringify(origin)} does not fit the frame ${JSON.stringify(frameShape)}`);
    }
  }
}

function materialise({ box, frameShape, origin }: Placement): PlacedData {
  const [Z, Y, X] = frameShape;
  const [bz, by, bx] = box.shape;
  const out = box.data instanceof Uint16Array ? new Uint16Array(Z * Y * X) : new Uint32Array(Z * Y * X);
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const s = (z * by + y) * bx;
      out.set(box.data.subarray(s, s + bx), ((origin[0] + z) * Y + origin[1] + y) * X + origin[2]);
    }
  }
  return out;
}
