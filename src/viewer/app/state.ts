/**
 * The viewer's model (issue 16.8): what is loaded, what the user has set, and what is being drawn. Plain data
 * and pure queries — no DOM, no canvas, no rendering or network code; the other modules read and change it
 * and then ask the renderer to redraw.
 */
import type { RoiShape, ViewerState, TableData, ZSel } from './api.js';
import type { View } from './geometry.js';
import { DEFAULT_LABEL_STYLE, type LabelLayerName, type LabelStyle } from '../layer-style.js';

export type { LabelLayerName } from '../layer-style.js';
export type Tool = 'pan' | 'select' | 'polygon' | 'rectangle' | 'ellipse' | 'shape' | 'paint' | 'erase' | 'fill' | 'pick' | 'split';
export type EditableLayer = 'cell' | 'marker';
/** Names of the colormaps of src/render/composite.ts (kept as names here: the model holds no colour tables). */
export type ColormapName = 'gray' | 'magenta' | 'cyan' | 'red' | 'green' | 'blue' | 'yellow';
export type PixelArray = Uint8Array | Uint16Array | Uint32Array | Int16Array | Float32Array | Float64Array;

export interface ImageState {
  role: string;
  name: string;
  data: PixelArray | null;
  colormap: ColormapName;
  /** Display limits in raw values (napari `contrast_limits`); null until the plane arrives. */
  contrast: [number, number] | null;
  /** The automatic limits of the first plane, for "reset". */
  contrastDefault: [number, number] | null;
  /** Display gamma (napari's `gamma`, 1 = linear). */
  gamma: number;
  opacity: number;
  visible: boolean;
}

export interface LabelState extends LabelStyle {
  name: LabelLayerName;
  title: string;
  data: Uint32Array | null;
  visible: boolean;
}

/** One undoable label edit: the plane before (and after, once undone). */
export interface Edit {
  layer: EditableLayer;
  z: number;
  before: Uint32Array;
}

/** Hooks for the end-to-end tests and the bench (read-only for them except where noted). */
export interface Hooks {
  ready: boolean;
  frames: number;
  composites: number;
  loads: number;
  lastError: string | null;
  selectedCell: number;
  view: View;
  shapes: RoiShape[];
  busy: boolean;
  /** Duration of the last draws (ms; ring of 240) and of the last full composite, for the bench. */
  drawMs: number[];
  compositeMs: number;
  /** ms from page start to the first composited image (the preview, when one is painted first). */
  firstImageMs: number;
  /** ms from page start to the animation frame after the first one that drew a composited image onto the visible canvas. */
  firstFrameMs: number;
  /** Reduction of the first paint's preview (1 = the first paint was at full resolution). */
  previewStep: number;
  /** The store's pyramid level the first paint's preview came from (null: block means of the analysed level, or none). */
  previewLevel: number | null;
  /** ms from page start to the first full-resolution composite of the channels. */
  fullImageMs: number;
  /** Page-time stamps (ms) of the start-up steps, for the bench. */
  marks: Record<string, number>;
  lastReanalyzeMs?: number;
}

/** Transient drawing state of the pointer tools (image coordinates `[y, x]`). */
export interface Interaction {
  cursor: [number, number] | null;
  drawing: [number, number][] | null;
  dragBox: [[number, number], [number, number]] | null;
  dragShape: { index: number; start: [number, number]; orig: [number, number][] } | null;
  splitLine: [[number, number], [number, number]] | null;
  panning: { x: number; y: number; tx: number; ty: number; moved: boolean } | null;
  lastPaint: [number, number] | null;
  /** Space held: the pointer pans whatever the tool (napari's habit). */
  spacePan: boolean;
}

export const model = {
  st: null as ViewerState | null,
  Z: 1,
  Y: 1,
  X: 1,
  zSel: 0 as ZSel,
  images: [] as ImageState[],
  labels: new Map<LabelLayerName, LabelState>(),
  shapes: [] as RoiShape[],
  selectedShape: -1,
  /** Shapes changed since they were last loaded from or saved to the server. */
  shapesDirty: false,
  tool: 'pan' as Tool,
  selectedCell: 0,
  view: { scale: 1, tx: 0, ty: 0 } as View,
  tables: new Map<string, TableData>(),
  currentSheet: 'roi_coloc_overview',
  sortCol: -1,
  sortDesc: false,
  positiveOnly: false,
  /** Label editing settings. */
  editLayer: 'cell' as EditableLayer,
  brush: 5,
  label: 1,
  /** napari's "preserve labels": paint and fill change only background (label 0) pixels. */
  preserveLabels: false,
  undo: [] as Edit[],
  redo: [] as Edit[],
  openEdit: null as Edit | null,
  /** The masks differ from the tables (hand edits not yet re-analysed). */
  editsPending: false,
  ui: {
    cursor: null,
    drawing: null,
    dragBox: null,
    dragShape: null,
    splitLine: null,
    panning: null,
    lastPaint: null,
    spacePan: false,
  } as Interaction,
};

export const hooks: Hooks = {
  ready: false,
  frames: 0,
  composites: 0,
  loads: 0,
  lastError: null,
  selectedCell: 0,
  view: model.view,
  shapes: model.shapes,
  busy: false,
  drawMs: [],
  compositeMs: 0,
  firstImageMs: 0,
  firstFrameMs: 0,
  previewStep: 1,
  previewLevel: null,
  fullImageMs: 0,
  marks: {},
};

export const MAX_UNDO = 20;

/** Whether the loaded analysis is the single-channel workflow (one channel, one object layer). */
export const isSingleChannel = (): boolean => model.st?.workflow === 'single_channel';

export function newLabelState(name: LabelLayerName, title: string): LabelState {
  return { name, title, data: null, visible: true, ...DEFAULT_LABEL_STYLE[name] };
}

/** The label under pixel (y, x) of a layer's current plane (0 = none). */
export function labelAt(name: LabelLayerName, y: number, x: number): number {
  const l = model.labels.get(name);
  return l?.data ? l.data[y * model.X + x] : 0;
}

/** Replaces the shape list (keeping the array the hooks expose). */
export function setShapes(next: RoiShape[]): void {
  model.shapes.length = 0;
  model.shapes.push(...next);
}
