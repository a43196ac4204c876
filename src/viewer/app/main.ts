/**
 * CellColoc browser viewer (issues 8, 16): start-up and wiring. One module per job —
 *   state.ts (the model: never imports rendering), geometry.ts (image [y, x] ↔ screen {x, y}),
 *   render.ts + overlays.ts (compositing, canvas, vector overlays), tools.ts + label-edit.ts + editing.ts
 *   (pointer tools, label algorithms, undo), shortcuts.ts (keyboard, help), layers-panel.ts + contrast.ts,
 *   table-panel.ts, refine-panel.ts, controls.ts (panels), loader.ts + api.ts (server).
 */
import { model, hooks, labelAt } from './state.js';
import { imageToScreen } from './geometry.js';
import { canvas, fitView, requestDraw } from './render.js';
import { loadState, loadPlanes, loaderEvents, reloadLabels } from './loader.js';
import { buildLayerList } from './layers-panel.js';
import { buildRefine } from './refine-panel.js';
import { loadTables, wireTables } from './table-panel.js';
import { wirePointer, setTool } from './tools.js';
import { wireShortcuts } from './shortcuts.js';
import { wireControls, pollRun, watchImageLoad } from './controls.js';
import { updateButtons } from './buttons.js';
import { $, guard, setStatus } from './dom.js';
import type { LabelLayerName } from './state.js';

(window as unknown as { __viewer: unknown }).__viewer = Object.assign(hooks, {
  requestDraw,
  labelAt: (layer: string, y: number, x: number) => labelAt(layer as LabelLayerName, y, x),
  /** Client (page) coordinates of the centre of image pixel (y, x). */
  imageToClient(y: number, x: number): [number, number] {
    const r = canvas.getBoundingClientRect();
    const s = imageToScreen(model.view, [y + 0.5, x + 0.5]);
    return [r.left + s.x, r.top + s.y];
  },
});

loaderEvents.layersChanged = buildLayerList;
loaderEvents.stateLoaded = () => {
  // A single-channel analysis has one object layer (shown as `cell`): no marker masks to edit.
  const single = model.st?.workflow === 'single_channel';
  const marker = document.querySelector<HTMLOptionElement>('#editLayer option[value="marker"]');
  if (marker) marker.hidden = single;
  const cellOpt = document.querySelector<HTMLOptionElement>('#editLayer option[value="cell"]');
  if (cellOpt) cellOpt.textContent = single ? 'objects' : 'cell masks';
  buildRefine();
  updateButtons();
};

async function main(): Promise<void> {
  hooks.marks.main = performance.now();
  wireControls();
  wirePointer();
  wireShortcuts();
  wireTables();
  setTool('pan');
  await loadState();
  if (model.Z > 1) {
    model.zSel = 'max';
    $<HTMLInputElement>('zmax').checked = true;
  }
  hooks.marks.state = performance.now();
  const planes = loadPlanes(true); // requests go out first; the layout query below overlaps with them
  fitView();
  const loading = !!model.st!.loading;
  const stopWatch = loading ? watchImageLoad() : () => undefined;
  if (loading) setStatus(`${model.st!.configPath} — reading the image (${model.X}×${model.Y} px); shown meanwhile from a coarser level of the store`);
  try {
    await planes;
  } finally {
    stopWatch();
  }
  if (loading) {
    // The state came from the store's metadata while the server read the analysed level (a multiscale OME-Zarr
    // image); the planes above waited for it. Now the session's own state: its layers, warnings, busy flag.
    await loadState();
    const missing = [...model.labels.values()].filter((l) => !l.data).map((l) => l.name);
    if (missing.length) await reloadLabels(missing);
  }
  const st = model.st!;
  hooks.ready = true;
  setStatus(`${st.configPath} — ${model.X}×${model.Y}${model.Z > 1 ? `×${model.Z}` : ''} px, ${st.image.voxelSizeUm[2]} µm/px`);
  await loadTables();
  if (model.shapes.length) $('roiInfo').textContent = `${model.shapes.length} saved ROI shape(s)`;
  if (st.warnings?.length) $('runInfo').textContent = st.warnings.join('\n');
  if (st.busy) await pollRun(st.progress?.stage ? `${st.progress.stage}: done` : 'ready');
  if (st.error) setStatus(st.error, true);
}

void guard('loading the viewer', main);
