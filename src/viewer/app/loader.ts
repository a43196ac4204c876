/**
 * Loading the session's state and the visible plane's layers from the server into the model, with the
 * progressive first paint of large images (a block-mean preview first, then the full planes).
 */
import { percentileContrast, ROLE_COLORMAP, type Layer } from '../../render/composite.js';
import { LABEL_LAYER_ORDER, labelLayerTitles } from '../layer-style.js';
import * as api from './api.js';
import type { PreviewPlacement, ZSel } from './api.js';
import { model, hooks, newLabelState, setShapes, isSingleChannel, type LabelLayerName, type ColormapName } from './state.js';
import { setImageSize, recomposite, recompositeInBands, hasPreview, showPreview } from './render.js';
import { $ } from './dom.js';

/** Called after the layer set or the layer data changed (the layer panel rebuilds itself). */
export const loaderEvents = { layersChanged: (): void => undefined, stateLoaded: (): void => undefined };

/** Display names of the channels (config `display_names`) for titles and the legend. */
export function channelNames(): { cell: string; marker: string; region?: string } {
  const ch = model.st?.image.channels ?? [];
  const name = (role: string, fallback: string) => ch.find((c) => c.role === role)?.name || fallback;
  return { cell: name('cell', 'cells'), marker: name('marker', 'marker'), region: name('optional_region', 'third channel') };
}

export async function loadState(): Promise<void> {
  const st = await api.getState();
  model.st = st;
  hooks.marks.stateReceived ??= performance.now();
  [model.Z, model.Y, model.X] = st.image.shapeZyx;
  $('stem').textContent = st.stem;
  $('stem').title = `${st.stem} — ${st.configPath}`;
  hooks.busy = st.busy;
  setImageSize(model.Y, model.X);
  const zr = $<HTMLInputElement>('z');
  zr.max = String(Math.max(0, model.Z - 1));
  $('zbox').hidden = model.Z <= 1;
  if (model.Z <= 1) model.zSel = 0;
  for (const ch of st.image.channels) {
    if (!model.images.some((im) => im.role === ch.role)) {
      model.images.push({
        role: ch.role,
        name: ch.name || ch.role,
        data: null,
        colormap: (ROLE_COLORMAP[ch.role] ?? 'gray') as ColormapName,
        contrast: null,
        contrastDefault: null,
        gamma: 1,
        opacity: 1,
        visible: true,
      });
    }
  }
  const titles = labelLayerTitles(channelNames(), isSingleChannel());
  for (const name of LABEL_LAYER_ORDER) {
    const present = !!(st.layers as Record<string, boolean>)[name];
    if (present && !model.labels.has(name)) model.labels.set(name, newLabelState(name, titles[name]));
    if (present) model.labels.get(name)!.title = titles[name];
    if (!present) model.labels.delete(name);
  }
  // Unsaved drawing survives reloads of the state (after a run, re-analysis or refinement).
  if (!model.shapesDirty && !model.ui.dragShape) {
    setShapes(st.shapes.map((s) => ({ type: s.type, data: s.data.map((p) => [p[0], p[1]] as [number, number]) })));
  }
  loaderEvents.layersChanged();
  loaderEvents.stateLoaded();
}

/**
 * Loads every layer's plane for the current z selection. The channels are composited as soon as they
 * arrive (first image on screen) and again when the label layers follow (uint32: up to 2× larger on the wire).
 */
export async function loadPlanes(withPreview = false): Promise<void> {
  const z = model.zSel;
  // A preview that fails (an older server) only costs the progressive first paint.
  if (withPreview) await paintPreview(z).catch(() => undefined);
  await Promise.all(
    model.images.map(async (im) => {
      const { data, contrast } = await api.getChannel(im.role, z);
      hooks.marks[`channel_${im.role}`] ??= performance.now();
      im.data = data;
      // The server's limits are the same percentiles of the same plane (computed once there).
      if (!im.contrast) im.contrast = contrast ?? percentileContrast(data);
      if (!im.contrastDefault) im.contrastDefault = [im.contrast[0], im.contrast[1]];
    }),
  );
  // Labels are requested after the channels: the server answers one request at a time, so asking for
  // them together would delay the first image by the label planes' encoding and transfer.
  hooks.marks.contrast ??= performance.now();
  // Over a preview the page stays responsive while the full-resolution composite is built in bands.
  if (hasPreview()) await recompositeInBands();
  else recomposite();
  if (!hooks.firstImageMs) hooks.firstImageMs = performance.now();
  if (!hooks.fullImageMs) hooks.fullImageMs = performance.now();
  await Promise.all(
    [...model.labels.values()].map(async (l) => {
      l.data = await api.getLabels(l.name, z);
    }),
  );
  hooks.loads++;
  const Z = model.Z;
  $('zlabel').textContent = Z > 1 ? (z === 'max' ? `max projection of ${Z} planes` : `z = ${z} / ${Z - 1}`) : '';
  loaderEvents.layersChanged();
  recomposite();
  if (!hooks.firstImageMs) hooks.firstImageMs = performance.now();
}

/**
 * Reduction of the first paint: the largest power of two at which the preview still has at least one pixel
 * per device pixel of the fitted view (the window bounds the canvas, so no layout is needed). 1 = no preview.
 */
function previewStep(): number {
  const dpr = window.devicePixelRatio || 1;
  const shown = Math.min(window.innerWidth / model.X, window.innerHeight / model.Y) * dpr; // device px per image px, at most
  let step = 1;
  while (step < 16 && shown > 0 && step * 2 * shown <= 1) step *= 2;
  return step;
}

/**
 * First paint on large images: the whole field of view at about screen resolution (the server's `?step=`):
 * `step`×`step` block means of the analysed plane with its contrast limits, or — for a multiscale OME-Zarr store —
 * the store's coarsest level that fits, while the server is still reading the analysed level. It is drawn where
 * the server says it lies on the image (`placement`, image pixels). `loadPlanes` then loads the full planes, and
 * the full composite replaces it.
 */
async function paintPreview(z: ZSel): Promise<void> {
  const step = previewStep();
  hooks.previewStep = step;
  if (step === 1) return;
  const got = await Promise.all(model.images.map((im) => api.getChannel(im.role, z, step, true)));
  hooks.marks.previewReceived = performance.now();
  const [h, w] = got[0].shape;
  // Every channel's preview must be of one grid (the server picks the level by `step` alone; an older server's
  // block means have no placement: `step`×`step` blocks from the origin).
  const at: PreviewPlacement = got[0].placement ?? { originYx: [0, 0], pixelYx: [step, step] };
  const same = (g: api.ChannelAnswer) =>
    g.shape[0] === h && g.shape[1] === w && g.level === got[0].level && JSON.stringify(g.placement) === JSON.stringify(got[0].placement);
  if (!got.every(same)) return;
  const layers: Layer[] = [];
  model.images.forEach((im, i) => {
    const g = got[i];
    // The default limits are the full plane's (the server's X-Contrast); never percentiles of the block means, nor
    // a pyramid level's (`level`: its own percentiles, provisional until the analysed plane arrives).
    if (!im.contrast && g.contrast && g.level === null) im.contrast = g.contrast;
    // Display levels (0..255 of the contrast limits) when the server scaled the preview, else raw block means.
    const contrast: [number, number] = g.scaled ? [0, 255] : ((g.level === null ? im.contrast : g.contrast) ?? percentileContrast(g.data));
    layers.push({ kind: 'image', data: g.data, colormap: im.colormap, contrast, gamma: g.scaled ? im.gamma : 1, opacity: im.opacity, visible: im.visible });
  });
  hooks.previewLevel = got[0].level;
  await showPreview(w, h, layers, at);
}

export async function reloadLabels(names: LabelLayerName[]): Promise<void> {
  await Promise.all(
    names.filter((n) => model.labels.has(n)).map(async (n) => {
      model.labels.get(n)!.data = await api.getLabels(n, model.zSel);
    }),
  );
  recomposite();
}
