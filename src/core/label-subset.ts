/**
 * A label image defined as a subset of another one — `source` where `keep[id] === 1`, 0 elsewhere — that is
 * materialised only when someone reads its `data`. The positive-cell mask of a run is such a subset of the cell
 * labels: the label-TIFF encoder applies the `keep` lookup while it narrows each plane for deflate, so a run never
 * builds a third full-size uint32 label volume (16 MiB on a 2048² image, 40 MiB on 40×512², ~0.6 ms/MiB of fresh
 * memory here) just to write it. Other readers (the viewer, library callers) get the materialised copy, built once.
 */
import type { LabelVolume, Shape3 } from './volume.js';

export interface LabelSubset {
  readonly source: LabelVolume;
  /** 1 = keep this label id; indexed by id, length `maxKept + 1` (ids beyond it are dropped). */
  readonly keep: Uint8Array;
  /** Largest kept id (0 = nothing kept). */
  readonly maxKept: number;
}

const SUBSET = Symbol('cellcoloc.labelSubset');

/** `source` restricted to the kept ids, as a `LabelVolume` whose `data` is built on first access. */
export function lazyLabelSubset(source: LabelVolume, keep: Uint8Array, maxKept: number): LabelVolume {
  const shape: Shape3 = [source.shape[0], source.shape[1], source.shape[2]];
  const subset: LabelSubset = { source, keep, maxKept };
  let data: Uint32Array | null = null;
  const volume = {
    shape,
    get data(): Uint32Array {
      return (data ??= materialise(subset));
    },
  };
  Object.defineProperty(volume, SUBSET, { value: subset, enumerable: false });
  return volume;
}

/** The subset description of a volume made by `lazyLabelSubset`, or null for any other volume. */
export function labelSubsetOf(volume: LabelVolume): LabelSubset | null {
  return ((volume as unknown as Record<symbol, LabelSubset | undefined>)[SUBSET] ?? null);
}

function materialise({ source, keep, maxKept }: LabelSubset): Uint32Array {
  const d = source.data;
  const out = new Uint32Array(d.length);
  if (maxKept === 0) return out;
  for (let i = 0; i < d.length; i++) {
    const l = d[i];
    if (l !== 0 && l <= maxKept && keep[l] === 1) out[i] = l;
  }
  return out;
}
