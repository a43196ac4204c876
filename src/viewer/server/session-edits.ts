/**
 * Hand edits of the cell and marker label layers in the viewer (issue 8.4): working copies made on the first
 * edited plane (copy-on-first-edit), the planes the page sends written into them, and the bound on their ids
 * (issue 15.5: an id far above the layer's largest is refused before anything is stored).
 */
import type { LabelVolume } from '../../core/volume.js';
import { checkLabelIds } from './wire.js';
import { SessionRequestError } from './session-error.js';
import type { EditableLayer } from './security.js';

export class LabelEdits {
  /** Working copies (null = no edit since the accepted result). */
  cell: LabelVolume | null = null;
  marker: LabelVolume | null = null;
  /** Largest id per layer (cached; an upper bound once planes are replaced). */
  private maxCache: Partial<Record<EditableLayer, number>> = {};

  get any(): boolean {
    return this.cell !== null || this.marker !== null;
  }

  /** The edits became the accepted result (re-analysed, refined) or were replaced by a run. */
  clear(): void {
    this.cell = null;
    this.marker = null;
    this.maxCache = {};
  }

  /** `PUT /api/labels/<layer>?z=`: plane `z` of `base` (the layer as shown) replaced by `body` (uint32, Y × X). */
  put(layer: EditableLayer, z: number, body: Uint8Array, base: LabelVolume): void {
    const [Z, Y, X] = base.shape;
    const n = Y * X;
    if (body.byteLength !== n * 4) {
      throw new SessionRequestError(400, `body: expected ${n * 4} bytes (uint32 plane of ${Y}×${X}), got ${body.byteLength}`);
    }
    if (!Number.isInteger(z) || z < 0 || z >= Z) throw new SessionRequestError(400, `z: expected an integer plane in [0, ${Z}), got ${z}`);
    // A drawn object takes the next free id, so an id far above the layer's largest is a malformed request — and
    // would make re-analysis allocate by that id.
    const current = this.layerMax(layer, base);
    const planeMax = checkLabelIds(layer, body, [Y, X], current);
    this.maxCache[layer] = Math.max(current, planeMax);
    let target = this[layer];
    // In shared memory: a re-analysis or an export sends it to the analysis worker without a copy on this thread.
    if (!target) {
      const data = new Uint32Array(new SharedArrayBuffer(base.data.length * 4)); // uint32 even from uint16 ids (`LabelData`)
      data.set(base.data);
      target = this[layer] = { data, shape: base.shape };
    }
    // copy byte-wise: the request buffer need not be 4-byte aligned (little-endian wire = host order on x86/arm64)
    new Uint8Array(target.data.buffer, target.data.byteOffset + z * n * 4, n * 4).set(body);
  }

  private layerMax(layer: EditableLayer, vol: LabelVolume): number {
    let m = this.maxCache[layer];
    if (m === undefined) {
      m = 0;
      const d = vol.data;
      for (let i = 0; i < d.length; i++) if (d[i] > m) m = d[i];
      this.maxCache[layer] = m;
    }
    return m;
  }
}
