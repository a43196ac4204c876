/**
 * The side panel's commands: plane selection, label-editing settings, ROI saving (with the confirmed config
 * change of issue 16.7), run / re-analyse / export, and "Save view as PNG".
 */
import * as api from './api.js';
import { model, hooks } from './state.js';
import { loadState, loadPlanes, reloadLabels } from './loader.js';
import { loadTables } from './table-panel.js';
import { base, requestDraw } from './render.js';
import { editsSent, clearHistory, newLabel, deleteLabel, mergeLabel, setLabel, setBrush, undoRedo, showEditNotice } from './editing.js';
import { deleteShape } from './tools.js';
import { updateButtons } from './buttons.js';
import { $, guard, download } from './dom.js';

/** Loads the new state, planes and tables after a run, and says so. */
export async function pollRun(doneMessage = 'analysis finished'): Promise<void> {
  const bar = $<HTMLProgressElement>('progress');
  bar.hidden = false;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const s = await api.getState();
    hooks.busy = s.busy;
    const p = s.progress;
    if (p) {
      $('runInfo').textContent = `${p.stage}${p.total ? ` ${p.done ?? 0}/${p.total}` : ''}`;
      if (p.total) { bar.max = p.total; bar.value = p.done ?? 0; } else bar.removeAttribute('value');
    }
    if (!s.busy) {
      bar.hidden = true;
      if (s.error) throw new Error(s.error);
      break;
    }
  }
  await loadState();
  await loadPlanes();
  clearHistory();
  await loadTables();
  $('runInfo').textContent = doneMessage;
  updateButtons();
}

/**
 * While the server reads the analysed level of a multiscale image (`/api/state` says `loading`), shows how far it
 * is (percent of the chunks read) in the progress bar; the returned function stops it (the planes have arrived).
 */
export function watchImageLoad(): () => void {
  const bar = $<HTMLProgressElement>('progress');
  const info = $('runInfo');
  let stopped = false;
  bar.hidden = false;
  bar.removeAttribute('value');
  const tick = async (): Promise<void> => {
    const s = await api.getState().catch(() => null);
    if (stopped || !s?.loading) return;
    const p = s.progress;
    if (p?.total) {
      bar.max = p.total;
      bar.value = p.done ?? 0;
    }
    info.textContent = p ? `${p.stage}${p.total ? ` (${p.done ?? 0} %)` : ''}…` : '';
    setTimeout(() => void tick(), 500);
  };
  void tick();
  return () => {
    stopped = true;
    bar.hidden = true;
    info.textContent = '';
  };
}

/** "Save ROIs": the mask and shapes go beside the config; the config itself changes only if the user says so. */
async function saveRois(): Promise<void> {
  const res = await api.saveRois(model.shapes);
  model.shapesDirty = false;
  const info = $('roiInfo');
  info.textContent = `saved ${model.shapes.length} shape(s); ROI ids ${res.roiIds.join(', ') || '(none)'}\n→ ${res.maskPath}`;
  await loadState();
  await reloadLabels(['rois']);
  const ch = res.config;
  if (ch.upToDate) {
    info.textContent += `\nthe config already uses this mask`;
    return;
  }
  // Propose the edit: the changed lines, Apply / Leave unchanged.
  const dlg = $('roisConfirm');
  $('roisConfirmText').textContent = `Point ${ch.configPath} at the saved ROI mask? Only these lines change (comments and formatting are kept):`;
  $('roisConfirmDiff').textContent = ch.diff;
  dlg.hidden = false;
  const answer = await new Promise<boolean>((resolve) => {
    $('roisApply').onclick = () => resolve(true);
    $('roisKeep').onclick = () => resolve(false);
  });
  dlg.hidden = true;
  if (answer) {
    const r = await api.applyRoisConfig();
    info.textContent += `\nconfig updated: ${r.line}`;
  } else {
    info.textContent += `\nconfig left unchanged (this session's runs use the new mask). To use it in later runs, add to ${ch.configPath}:\n${ch.line}`;
  }
}

export function wireControls(): void {
  const zr = $<HTMLInputElement>('z');
  const zmax = $<HTMLInputElement>('zmax');
  const onZ = () => guard('loading the plane', async () => {
    model.zSel = zmax.checked ? 'max' : Number(zr.value);
    await loadPlanes();
  });
  zr.oninput = () => { zmax.checked = false; void onZ(); };
  zmax.onchange = () => void onZ();

  const editLayer = $<HTMLSelectElement>('editLayer');
  editLayer.onchange = () => { model.editLayer = editLayer.value as 'cell' | 'marker'; showEditNotice(); };
  const label = $<HTMLInputElement>('label');
  label.oninput = () => { model.label = Math.max(0, Math.floor(Number(label.value) || 0)); };
  label.onchange = () => setLabel(Number(label.value));
  const brush = $<HTMLInputElement>('brush');
  brush.oninput = () => { model.brush = Math.max(1, Number(brush.value) || 1); requestDraw(); };
  brush.onchange = () => setBrush(Number(brush.value));
  const preserve = $<HTMLInputElement>('preserveLabels');
  preserve.onchange = () => { model.preserveLabels = preserve.checked; };
  $('newLabel').onclick = newLabel;
  $('deleteLabel').onclick = deleteLabel;
  $('merge').onclick = () => mergeLabel(Math.floor(Number($<HTMLInputElement>('mergeFrom').value)));
  $('undo').onclick = () => void undoRedo('undo');
  $('redo').onclick = () => void undoRedo('redo');

  $('saveRois').onclick = () => void guard('saving ROIs', saveRois);
  $('deleteShape').onclick = deleteShape;
  $('clearShapes').onclick = () => {
    model.shapes.length = 0;
    model.selectedShape = -1;
    model.shapesDirty = true;
    $('roiInfo').textContent = 'no ROI shapes (not saved yet)';
    requestDraw();
  };

  $('run').onclick = () => void guard('run', async () => {
    await editsSent();
    await api.startRun();
    if (model.st) model.st.busy = true;
    hooks.busy = true;
    updateButtons();
    $('runInfo').textContent = 'running…';
    try {
      await pollRun();
    } finally {
      hooks.busy = false;
    }
  });
  $('reanalyze').onclick = () => void guard('re-analyse', async () => {
    const t0 = performance.now();
    await editsSent();
    const res = await api.reanalyze();
    // The tables now match the masks: the stale notices go.
    model.editsPending = false;
    showEditNotice();
    // Postfilters re-applied by the server may change the edited masks too: reload them with the positive
    // layer. The sheet list cannot change on a re-analysis, so the tables load in parallel with the state.
    await Promise.all([loadState(), reloadLabels(['cell', 'marker', 'positive']), loadTables()]);
    const ms = performance.now() - t0;
    $('runInfo').textContent = `re-analysed in ${Math.round(res.ms)} ms (server), ${Math.round(ms)} ms until the tables were updated`;
    hooks.lastReanalyzeMs = ms;
  });
  $('export').onclick = () => void guard('export', async () => {
    await editsSent();
    const res = await api.exportResults();
    $('runInfo').textContent = `exported ${res.files.length} file(s):\n${res.files.join('\n')}`;
  });
  $('savePng').onclick = () => {
    // The image-resolution composite, identical to `cellcoloc snapshot` with the same layers and z.
    const z = model.zSel;
    download(`${model.st?.stem ?? 'view'}_view${z === 'max' ? '_max' : `_z${z}`}.png`, base.toDataURL('image/png'));
  };
}
