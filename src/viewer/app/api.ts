/**
 * Browser-side client of the viewer's HTTP API (contract: docs/viewer.md). Every request carries the
 * session token from the page URL in the `X-CellColoc-Token` header; the server refuses requests without it.
 */
import type { PixelArray } from '../../render/composite.js';
import { decodeRuns } from '../render/label-runs.js';

export interface RoiShape {
  type: 'polygon' | 'rectangle' | 'ellipse';
  /** Vertices `[y, x]` in pixels, napari layout (ellipse: the 4 bounding-box corners). */
  data: [number, number][];
}

export interface ViewerState {
  configPath: string;
  stem: string;
  /** `two_channel` or `single_channel` (one channel, one object layer shown as the `cell` layer). */
  workflow: string;
  image: {
    shapeZyx: [number, number, number];
    voxelSizeUm: [number, number, number];
    dtype: string;
    channels: { role: 'cell' | 'marker' | 'optional_region'; index: number; name: string }[];
  };
  layers: Record<'rois' | 'cell' | 'marker' | 'positive' | 'optional_region', boolean>;
  tables: string[];
  /** Channels with a Cellpose cache to re-threshold (`optional_region`: the third channel, when it has one). */
  cellpose: { cell: boolean; marker: boolean; optional_region?: boolean };
  shapes: RoiShape[];
  busy: boolean;
  progress: { stage: string; done?: number; total?: number } | null;
  error: string | null;
  /** Server-side notes (e.g. earlier results that did not fit the image); optional in the contract. */
  warnings?: string[];
  /** Segmentation method per channel (`cellpose`, `otsu`, …); optional in the contract (older servers). */
  methods?: Partial<Record<'cell' | 'marker' | 'optional_region', string>>;
  /**
   * True while the server is still reading the analysed level of a multiscale OME-Zarr image: this state came from
   * the store's metadata (no result layers or tables yet); the session's own follows once the planes are loaded.
   */
  loading?: boolean;
}

/** The config change "Save ROIs" proposes (applied only on confirmation: `applyRoisConfig`). */
export interface RoisConfigChange {
  configPath: string;
  labelImage: string;
  upToDate: boolean;
  line: string;
  diff: string;
}

export interface TableData {
  columns: { name: string; kind: string }[];
  rows: (number | boolean | string | null)[][];
}

export type ZSel = number | 'max';

const token = new URLSearchParams(location.search).get('token') ?? '';

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('X-CellColoc-Token', token);
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) {
    let msg = `${init.method ?? 'GET'} ${path} failed: HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { error?: string };
      if (body && typeof body.error === 'string') msg = body.error;
    } catch {
      /* body not JSON: keep the status line */
    }
    throw new Error(msg);
  }
  return res;
}

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  return (await (await request(path, init)).json()) as T;
}

function postJson<T>(path: string, body: unknown, method = 'POST'): Promise<T> {
  return json<T>(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
}

export const getState = (): Promise<ViewerState> => json<ViewerState>('/api/state');

/**
 * One plane of a raw channel as a typed array of its dtype (little-endian on the wire, as on every browser host).
 * `step` > 1 asks for a preview: `step`×`step` block means (shape ⌈Y/step⌉×⌈X/step⌉), with `scaled` as uint8
 * display levels of the contrast limits (`scaled` in the answer says the server did so). `contrast` = the
 * server's 0.5 / 99.5 percentiles of the full-resolution plane (null from an older server).
 */
/** Where a preview lies on the image, in image pixels `[y, x]`: the top-left corner of its pixel 0 and its pixel size. */
export interface PreviewPlacement {
  originYx: [number, number];
  pixelYx: [number, number];
}

export interface ChannelAnswer {
  data: PixelArray;
  shape: [number, number];
  contrast: [number, number] | null;
  scaled: boolean;
  /** A preview's place on the image (`X-Origin`, `X-Pixel`); null for a full plane or an older server. */
  placement: PreviewPlacement | null;
  /** The store's pyramid level a preview came from (`X-Level`); its `contrast` is then the coarse plane's, provisional. */
  level: number | null;
}

export async function getChannel(role: string, z: ZSel, step = 1, scaled = false): Promise<ChannelAnswer> {
  const q = step > 1 ? `&step=${step}${scaled ? '&scaled=1' : ''}` : '';
  const res = await request(`/api/channel/${encodeURIComponent(role)}?z=${z}${q}`);
  const buf = await res.arrayBuffer();
  const dtype = res.headers.get('X-Dtype') ?? 'uint16';
  const shape = (res.headers.get('X-Shape') ?? '0,0').split(',').map(Number) as [number, number];
  const ctor =
    dtype === 'uint8' ? Uint8Array
    : dtype === 'uint16' ? Uint16Array
    : dtype === 'uint32' ? Uint32Array
    : dtype === 'int16' ? Int16Array
    : dtype === 'float32' ? Float32Array
    : null;
  if (!ctor) throw new Error(`/api/channel/${role}: unsupported X-Dtype "${dtype}"`);
  const c = (res.headers.get('X-Contrast') ?? '').split(',').map(Number);
  const contrast: [number, number] | null = c.length === 2 && c.every(Number.isFinite) ? [c[0], c[1]] : null;
  const pair = (name: string): [number, number] | null => {
    const v = (res.headers.get(name) ?? '').split(',').map(Number);
    return v.length === 2 && v.every(Number.isFinite) ? [v[0], v[1]] : null;
  };
  const originYx = pair('X-Origin');
  const pixelYx = pair('X-Pixel');
  const level = res.headers.get('X-Level');
  return {
    data: new ctor(buf),
    shape,
    contrast,
    scaled: res.headers.has('X-Scaled'),
    placement: originYx && pixelYx ? { originYx, pixelYx } : null,
    level: level !== null && /^\d+$/.test(level) ? Number(level) : null,
  };
}

/** Label planes travel run-length encoded (`?enc=rle`, see the server's labels route) and are expanded here. */
export async function getLabels(layer: string, z: ZSel): Promise<Uint32Array | null> {
  const headers = new Headers({ 'X-CellColoc-Token': token });
  const res = await fetch(`/api/labels/${encodeURIComponent(layer)}?z=${z}&enc=rle`, { headers });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`GET /api/labels/${layer} failed: HTTP ${res.status}`);
  const body = await res.arrayBuffer();
  if (res.headers.get('X-Encoding') !== 'rle') return new Uint32Array(body);
  const [Y, X] = (res.headers.get('X-Shape') ?? '').split(',').map(Number);
  return decodeRuns(new Uint32Array(body), Y * X);
}

export const getTable = (sheet: string): Promise<TableData> => json<TableData>(`/api/table/${encodeURIComponent(sheet)}`);
export const saveRois = (shapes: RoiShape[]): Promise<{ ok: boolean; roiIds: number[]; maskPath: string; shapesPath: string; config: RoisConfigChange }> =>
  postJson('/api/rois', { shapes });
export const applyRoisConfig = (): Promise<{ ok: boolean; configPath: string; line: string }> => postJson('/api/rois-config', {});
export const startRun = (): Promise<unknown> => postJson('/api/run', {});
export const reanalyze = (): Promise<{ ok: boolean; ms: number }> => postJson('/api/reanalyze', {});
export const exportResults = (): Promise<{ ok: boolean; files: string[] }> => postJson('/api/export', {});
export const refine = (body: Record<string, { cellprobThreshold: number; flowThreshold: number }>): Promise<{ ok: boolean; ms: number }> =>
  postJson('/api/refine', body);

export async function putLabels(layer: 'cell' | 'marker', z: number, plane: Uint32Array): Promise<void> {
  await request(`/api/labels/${layer}?z=${z}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: plane.slice().buffer,
  });
}
