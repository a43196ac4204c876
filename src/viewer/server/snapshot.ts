/**
 * Headless render of the viewer's composite (`cellcoloc snapshot`, issue 8 item 8): the same `compositeLayers`
 * the browser uses, with the app's default look (channel colormaps by role, contrast from the 0.5/99.5
 * percentiles, the label layers' default styles of layer-style.ts, the app's layer order), encoded as PNG.
 */
import { compositeLayers, percentileContrast, ROLE_COLORMAP, type Layer, type PixelArray } from '../../render/composite.js';
import { encodePngRgba } from '../../render/png.js';
import { DEFAULT_LABEL_STYLE } from '../layer-style.js';
import type { ChannelRole, LabelLayer } from './security.js';
import type { ViewerSession } from './session.js';
import { valueError } from '../../core/errors.js';

/** `--layers` names: image channels by role, label layers by the name of their result file. */
export const SNAPSHOT_IMAGE_LAYERS: Record<string, ChannelRole> = { cell: 'cell', marker: 'marker', optional_region: 'optional_region' };
export const SNAPSHOT_LABEL_LAYERS: Record<string, LabelLayer> = {
  rois: 'rois',
  region_masks: 'optional_region',
  cell_masks: 'cell',
  marker_masks: 'marker',
  positive_masks: 'positive',
};
/** Drawing order of the label layers (bottom first), as in the app. */
const LABEL_ORDER: LabelLayer[] = ['rois', 'optional_region', 'cell', 'marker', 'positive'];

export interface SnapshotOptions {
  /** Layer names (see above); undefined = every image channel and every label layer the session has. */
  layers?: string[];
  /** Plane or `max` (default: 0 for 2D, `max` for a stack). */
  z?: number | 'max';
}

export interface Snapshot {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  png: Uint8Array;
  layers: string[];
}

export function renderSnapshot(session: ViewerSession, opts: SnapshotOptions = {}): Snapshot {
  const [Z, Y, X] = session.shapeZyx;
  const z = opts.z ?? (Z > 1 ? 'max' : 0);
  if (z !== 'max' && (!Number.isInteger(z) || z < 0 || z >= Z)) throw valueError(`--z: expected max or an integer in [0, ${Z}), got ${z}`);
  const known = [...Object.keys(SNAPSHOT_IMAGE_LAYERS), ...Object.keys(SNAPSHOT_LABEL_LAYERS)];
  for (const name of opts.layers ?? []) {
    if (!known.includes(name)) throw valueError(`--layers: unknown layer ${JSON.stringify(name)} (expected some of ${known.join(', ')})`);
  }
  const want = (name: string) => !opts.layers || opts.layers.includes(name);
  const layers: Layer[] = [];
  const used: string[] = [];
  for (const [name, role] of Object.entries(SNAPSHOT_IMAGE_LAYERS)) {
    if (!want(name)) continue;
    const p = session.channelPlane(role, z);
    if (!p) {
      if (opts.layers) throw valueError(`--layers: ${name}: this analysis has no ${name} channel`);
      continue;
    }
    const data = typedView(p.bytes, p.dtype);
    layers.push({ kind: 'image', data, colormap: ROLE_COLORMAP[role] ?? 'gray', contrast: percentileContrast(data), opacity: 1, visible: true });
    used.push(name);
  }
  for (const layer of LABEL_ORDER) {
    const name = Object.keys(SNAPSHOT_LABEL_LAYERS).find((k) => SNAPSHOT_LABEL_LAYERS[k] === layer)!;
    if (!want(name)) continue;
    const data = session.labelPlane(layer, z);
    if (!data) {
      if (opts.layers) throw valueError(`--layers: ${name}: no such layer yet (run the analysis first)`);
      continue;
    }
    const style = DEFAULT_LABEL_STYLE[layer];
    layers.push({
      kind: 'labels',
      data,
      opacity: style.opacity,
      outline: style.mode === 'outline',
      color: style.colorMode === 'single' ? style.color : null,
      visible: true,
    });
    used.push(name);
  }
  const rgba = compositeLayers(X, Y, layers);
  return { width: X, height: Y, rgba, png: encodePngRgba(X, Y, rgba), layers: used };
}

function typedView(bytes: Uint8Array, dtype: string): PixelArray {
  // copy into an aligned buffer: a plane view of a uint8 volume may start at any byte
  const b = bytes.slice();
  switch (dtype) {
    case 'uint8':
      return b;
    case 'uint16':
      return new Uint16Array(b.buffer);
    case 'uint32':
      return new Uint32Array(b.buffer);
    case 'int16':
      return new Int16Array(b.buffer);
    default:
      return new Float32Array(b.buffer);
  }
}
