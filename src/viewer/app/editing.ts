/**
 * Label editing wired to the model: the editable plane, undo/redo, sending edited planes to the server, and
 * the label-level commands (new, delete, merge). The pixel algorithms are in label-edit.ts.
 */
import * as api from './api.js';
import { model, MAX_UNDO, type EditableLayer } from './state.js';
import { maxLabel, replaceLabel, type Plane } from './label-edit.js';
import { recomposite } from './render.js';
import { loadPlanes } from './loader.js';
import { $, setStatus } from './dom.js';
import { updateButtons } from './buttons.js';

let pendingPut: Promise<void> = Promise.resolve();
/** Resolves when every edited plane has reached the server. */
export const editsSent = (): Promise<void> => pendingPut;

function note(msg: string): void {
  $('editInfo').textContent = msg;
}

/** Shows or clears the "tables are stale" notice from the model (called after every edit, run, re-analysis). */
export function showEditNotice(): void {
  note(model.editsPending ? `edited ${model.editLayer} masks: press Re-analyse to update the tables` : '');
  $('tableStale').textContent = model.editsPending ? 'the masks were edited since these tables: press Re-analyse to update them' : '';
}

/** The editable plane, or null with a reason shown (edits apply per plane; a max projection is not editable in 3D). */
export function editTarget(): (Plane & { layer: EditableLayer; z: number }) | null {
  const layer = model.editLayer;
  const l = model.labels.get(layer);
  if (!l?.data) {
    note(`no ${layer} masks to edit yet: run the analysis first`);
    return null;
  }
  if (model.Z > 1 && model.zSel === 'max') {
    note('edits apply to one plane: untick "max projection" and pick a z');
    return null;
  }
  return { layer, z: model.zSel === 'max' ? 0 : model.zSel, data: l.data, Y: model.Y, X: model.X };
}

/** Opens an edit (the plane's copy for undo) and returns the plane to change. */
export function beginEdit(): (Plane & { layer: EditableLayer; z: number }) | null {
  const t = editTarget();
  if (!t) return null;
  model.openEdit = { layer: t.layer, z: t.z, before: t.data.slice() };
  return t;
}

/** Closes the open edit: recorded for undo and sent to the server only when a pixel changed. */
export function commitEdit(changed = true): void {
  const e = model.openEdit;
  model.openEdit = null;
  if (!e) return;
  const l = model.labels.get(e.layer)!;
  if (!changed || sameData(e.before, l.data!)) {
    updateButtons();
    return;
  }
  model.undo.push(e);
  if (model.undo.length > MAX_UNDO) model.undo.shift();
  model.redo.length = 0;
  sendPlane(e.layer, e.z, l.data!);
  updateButtons();
}

function sameData(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sendPlane(layer: EditableLayer, z: number, data: Uint32Array): void {
  const copy = data.slice();
  pendingPut = pendingPut.then(() => api.putLabels(layer, z, copy)).catch((err: Error) => setStatus(`saving the edited ${layer} plane: ${err.message}`, true));
  model.editsPending = true;
  showEditNotice();
}

export async function undoRedo(which: 'undo' | 'redo'): Promise<void> {
  const from = which === 'undo' ? model.undo : model.redo;
  const to = which === 'undo' ? model.redo : model.undo;
  const e = from.pop();
  if (!e) return;
  if (model.zSel !== e.z && model.Z > 1) {
    model.zSel = e.z;
    $<HTMLInputElement>('z').value = String(e.z);
    $<HTMLInputElement>('zmax').checked = false;
    await loadPlanes();
  }
  const l = model.labels.get(e.layer)!;
  const current = l.data!.slice();
  l.data!.set(e.before);
  to.push({ layer: e.layer, z: e.z, before: current });
  sendPlane(e.layer, e.z, l.data!);
  recomposite();
  updateButtons();
}

/** Forgets the edit history (the masks were replaced by a run or a refinement). */
export function clearHistory(): void {
  model.undo.length = 0;
  model.redo.length = 0;
  model.editsPending = false;
  showEditNotice();
  updateButtons();
}

/** `M` / "New label": the next unused id of the edit layer's plane. */
export function newLabel(): void {
  const l = model.labels.get(model.editLayer);
  if (l?.data) setLabel(maxLabel(l.data) + 1);
}

export function setLabel(v: number): void {
  model.label = Math.max(0, Math.floor(v) || 0);
  $<HTMLInputElement>('label').value = String(model.label);
}

export function setBrush(v: number): void {
  model.brush = Math.min(200, Math.max(1, Math.round(v) || 1));
  $<HTMLInputElement>('brush').value = String(model.brush);
}

/** "Delete label": label 0 is the background — nothing to delete, and not an edit. */
export function deleteLabel(): void {
  if (model.label === 0) {
    note('label 0 is the background: pick a label to delete');
    return;
  }
  const t = beginEdit();
  if (!t) return;
  const n = replaceLabel(t.data, model.label, 0);
  commitEdit(n > 0);
  if (n > 0) recomposite();
  else note(`label ${model.label} is not on this plane`);
}

export function mergeLabel(from: number): void {
  if (from === 0 || model.label === 0 || from === model.label) {
    note('merge: pick two different non-zero labels');
    return;
  }
  const t = beginEdit();
  if (!t) return;
  const n = replaceLabel(t.data, from, model.label);
  commitEdit(n > 0);
  if (n > 0) recomposite();
  else note(`label ${from} is not on this plane`);
}
