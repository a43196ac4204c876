/**
 * Wire formats of the viewer's HTTP API and small pure helpers of the session: plane bytes in a wire dtype,
 * max projections, tables as JSON, and the validation of posted ROI shapes.
 */
import type { RoiShape } from '../../config/types.js';
import type { LabelData, Volume } from '../../core/volume.js';
import type { Table } from '../../core/table.js';
import { SessionRequestError } from './session-error.js';

export type WireDtype = 'uint8' | 'uint16' | 'uint32' | 'int16' | 'float32';

export interface PlaneBytes {
  bytes: Uint8Array;
  dtype: WireDtype;
  shapeYx: [number, number];
}

export interface TableJson {
  columns: { name: string; kind: string }[];
  rows: (number | boolean | null)[][];
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

export function wireDtype(a: Volume['data']): WireDtype {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int16Array) return 'int16';
  return 'float32';
}

/** Plane bytes in a wire dtype: a view for the native ones; int8/int32/float64 converted to float32 (exact for int8/int32 up to 2^24). */
export function toWire(a: Volume['data']): { bytes: Uint8Array; dtype: WireDtype } {
  const dt = wireDtype(a);
  const src = dt === 'float32' && !(a instanceof Float32Array) ? Float32Array.from(a) : a;
  return { bytes: new Uint8Array(src.buffer, src.byteOffset, src.byteLength), dtype: dt };
}

/** Max over z into a (1, Y, X) volume of the same type. */
export function maxProjection<V extends Volume>(v: V): V {
  const [Z, Y, X] = v.shape;
  const n = Y * X;
  if (Z === 1) return { data: v.data.subarray(0, n), shape: [1, Y, X] } as unknown as V;
  const d = v.data;
  const out = d.slice(0, n);
  for (let z = 1; z < Z; z++) {
    const off = z * n;
    for (let i = 0; i < n; i++) {
      const x = d[off + i];
      if (x > out[i]) out[i] = x;
    }
  }
  return { data: out, shape: [1, Y, X] } as unknown as V;
}

export function tableToJson(t: Table): TableJson {
  const rows: (number | boolean | null)[][] = new Array(t.rowCount);
  for (let r = 0; r < t.rowCount; r++) {
    const row: (number | boolean | null)[] = new Array(t.columns.length);
    for (let c = 0; c < t.columns.length; c++) {
      const col = t.columns[c];
      const v = col.values[r];
      row[c] = Number.isNaN(v) ? null : col.kind === 'bool' ? v !== 0 : v;
    }
    rows[r] = row;
  }
  return { columns: t.columns.map((c) => ({ name: c.name, kind: c.kind })), rows };
}

const SHAPE_TYPES = ['polygon', 'rectangle', 'ellipse'] as const;
/** Limits of one `POST /api/rois` request. */
export const MAX_ROI_SHAPES = 1000;
export const MAX_ROI_VERTICES = 20_000;
/** Label ids: at most 2^24, and at most this far above the layer's largest id (a new object takes max + 1). */
export const MAX_LABEL_ID = 2 ** 24;
export const LABEL_ID_MARGIN = 65_536;

/**
 * The volume with its ids renumbered 1..n in increasing order when they are sparse (largest id > 2 × count +
 * 1024); the same object otherwise. Memory: one byte per id up to the largest (≤ 2^24 after the PUT bound)
 * and the renumbered copy.
 */
/**
 * The largest id of a uint32 label plane sent by the page (`PUT /api/labels`); refuses (400) an id above the
 * layer's largest `current` + LABEL_ID_MARGIN or above MAX_LABEL_ID, naming it and where it is.
 */
export function checkLabelIds(layer: string, body: Uint8Array, [Y, X]: [number, number], current: number): number {
  const n = Y * X;
  const limit = Math.min(MAX_LABEL_ID, current + LABEL_ID_MARGIN);
  const aligned = body.byteOffset % 4 === 0 ? body : body.slice();
  const ids = new Uint32Array(aligned.buffer, aligned.byteOffset, n);
  let planeMax = 0;
  for (let i = 0; i < n; i++) {
    const v = ids[i];
    if (v > planeMax) planeMax = v;
  }
  if (planeMax > limit) {
    const at = ids.findIndex((v) => v > limit);
    throw new SessionRequestError(
      400,
      `labels ${layer}: id ${planeMax} (first above the limit at y=${Math.floor(at / X)}, x=${at % X}) is above ${limit} ` +
        `(the layer's largest id ${current} + ${LABEL_ID_MARGIN}, and never above 2^24)`,
    );
  }
  return planeMax;
}

export function compactLabelIds<V extends { data: LabelData; shape: readonly [number, number, number] }>(vol: V): V {
  const d = vol.data;
  let max = 0;
  for (let i = 0; i < d.length; i++) if (d[i] > max) max = d[i];
  if (max <= 1024) return vol;
  const seen = new Uint8Array(max + 1);
  for (let i = 0; i < d.length; i++) seen[d[i]] = 1;
  let count = 0;
  for (let v = 1; v <= max; v++) count += seen[v];
  if (max <= 2 * count + 1024) return vol;
  const map = new Uint32Array(max + 1);
  let next = 0;
  for (let v = 1; v <= max; v++) if (seen[v]) map[v] = ++next;
  const out = new Uint32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = map[d[i]];
  return { ...vol, data: out };
}

/** `{shapes: [...]}` of `POST /api/rois`: napari layout, `[y, x]` vertices in pixels. */
export function validateShapes(raw: unknown): RoiShape[] {
  if (!Array.isArray(raw)) throw new SessionRequestError(400, 'shapes: expected an array of {type, data}');
  // Vertices bounded as well as bytes (issue 15.5): rasterising is O(vertices × rows); a hand-drawn ROI set
  // has hundreds to a few thousand.
  const total = raw.reduce((a: number, s) => a + (Array.isArray((s as { data?: unknown })?.data) ? (s as { data: unknown[] }).data.length : 0), 0);
  if (raw.length > MAX_ROI_SHAPES || total > MAX_ROI_VERTICES) {
    throw new SessionRequestError(
      400,
      `shapes: ${raw.length} shapes with ${total} vertices in all; at most ${MAX_ROI_SHAPES} shapes and ${MAX_ROI_VERTICES} vertices are accepted`,
    );
  }
  return raw.map((s, i) => {
    const o = s as { type?: unknown; data?: unknown };
    if (!o || typeof o !== 'object' || !(SHAPE_TYPES as readonly unknown[]).includes(o.type)) {
      throw new SessionRequestError(400, `shapes[${i}].type: expected polygon, rectangle or ellipse, got ${JSON.stringify(o?.type)}`);
    }
    const type = o.type as RoiShape['type'];
    const min = type === 'polygon' ? 3 : 4;
    if (!Array.isArray(o.data) || o.data.length < min) {
      throw new SessionRequestError(400, `shapes[${i}].data: expected at least ${min} [y, x] vertices`);
    }
    const data = o.data.map((p: unknown, j: number) => {
      if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new SessionRequestError(400, `shapes[${i}].data[${j}]: expected [y, x] (two finite numbers)`);
      }
      return [p[0], p[1]] as [number, number];
    });
    return { type, data };
  });
}

