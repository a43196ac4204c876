/**
 * How each label layer looks by default (issue 16.2), shared by the browser app and `cellcoloc snapshot` so a
 * saved PNG matches the view. Pure data, no DOM and no rendering code: the app's model reads it, the compositor
 * (src/render/composite.ts) draws what it says.
 *
 * The look answers "which cells are positive?" at a glance: positive cells filled in one fixed highlight colour,
 * every other cell only outlined (the signal stays visible inside), marker objects outlined in their own fixed
 * colour. The per-label palette (a hash of the id, napari's look) stays available per layer ("per label").
 */

export type LabelLayerName = 'rois' | 'optional_region' | 'cell' | 'marker' | 'positive';
/** Outline: the boundary pixels only (a pixel whose 4-neighbour carries another id); fill: every pixel. */
export type LabelDrawMode = 'outline' | 'fill';
/** One colour for every object, or napari's per-label palette. */
export type LabelColorMode = 'single' | 'label';
export type Rgb = readonly [number, number, number];

export interface LabelStyle {
  mode: LabelDrawMode;
  colorMode: LabelColorMode;
  /** The single colour (0..255 RGB). */
  color: Rgb;
  opacity: number;
}

/** Drawing order, bottom first: positive cells last so their highlight is never covered. */
export const LABEL_LAYER_ORDER: readonly LabelLayerName[] = ['rois', 'optional_region', 'cell', 'marker', 'positive'];

/** Fixed highlight of marker-positive cells (orange: apart from the magenta/cyan channels and the yellow selection). */
export const POSITIVE_RGB: Rgb = [255, 146, 43];
/** Marker objects (green: apart from the marker channel's cyan). */
export const MARKER_RGB: Rgb = [81, 207, 102];
/** Cell outlines (light grey over the signal). */
export const CELL_RGB: Rgb = [222, 226, 230];
export const ROI_RGB: Rgb = [116, 192, 252];
export const REGION_RGB: Rgb = [255, 107, 107];

export const DEFAULT_LABEL_STYLE: Record<LabelLayerName, LabelStyle> = {
  rois: { mode: 'outline', colorMode: 'single', color: ROI_RGB, opacity: 0.8 },
  optional_region: { mode: 'outline', colorMode: 'single', color: REGION_RGB, opacity: 0.8 },
  cell: { mode: 'outline', colorMode: 'single', color: CELL_RGB, opacity: 0.7 },
  marker: { mode: 'outline', colorMode: 'single', color: MARKER_RGB, opacity: 0.9 },
  positive: { mode: 'fill', colorMode: 'single', color: POSITIVE_RGB, opacity: 0.55 },
};

export const rgbHex = (c: Rgb): string => '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
export function hexRgb(hex: string): Rgb {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [255, 255, 255];
}

/**
 * What each layer means, in the config's words (`display_names`): legend and layer-list titles.
 * `cell`/`marker` are the display names of the two channels (spec 10.2).
 */
export function labelLayerTitles(names: { cell: string; marker: string; region?: string }, singleChannel = false): Record<LabelLayerName, string> {
  if (singleChannel) {
    return { rois: 'ROIs', optional_region: 'third-channel objects', cell: `${names.cell} objects`, marker: 'marker objects', positive: 'positive cells' };
  }
  return {
    rois: 'ROIs',
    optional_region: `${names.region ?? 'third channel'} objects`,
    cell: `${names.cell} masks`,
    marker: `${names.marker} objects`,
    positive: `${names.marker}-positive ${names.cell}`,
  };
}
