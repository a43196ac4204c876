/**
 * Keyboard shortcuts (issue 16.4), napari's where napari has one, listed in the help panel (`?`). Keys typed
 * into a text or number field are left alone.
 */
import { model, type Tool } from './state.js';
import { setTool, closePolygon, deleteShape } from './tools.js';
import { undoRedo, newLabel, setBrush } from './editing.js';
import { loadPlanes } from './loader.js';
import { requestDraw, canvas } from './render.js';
import { $, el, guard, typingIn } from './dom.js';

interface Shortcut {
  keys: string;
  what: string;
}

/** The help panel's list (and the documentation's, docs/viewer.md). */
export const SHORTCUTS: Shortcut[] = [
  { keys: 'P', what: 'paint (napari)' },
  { keys: 'E', what: 'erase (napari)' },
  { keys: 'F', what: 'fill (napari)' },
  { keys: 'L', what: 'pick the label under the cursor (napari)' },
  { keys: 'M or N', what: 'new label: the next unused id (napari: M)' },
  { keys: '[ / ]', what: 'brush smaller / larger' },
  { keys: 'Ctrl+Z', what: 'undo the last label edit' },
  { keys: 'Ctrl+Shift+Z or Ctrl+Y', what: 'redo' },
  { keys: '← / → or , / .', what: 'previous / next plane (z)' },
  { keys: 'Space (hold) + drag', what: 'pan with any tool' },
  { keys: 'H', what: 'pan / zoom tool' },
  { keys: 'S', what: 'select a cell (its table row)' },
  { keys: 'R', what: 'rectangle ROI' },
  { keys: 'G', what: 'polygon ROI (Enter or double-click closes it)' },
  { keys: 'Enter', what: 'close the polygon being drawn' },
  { keys: 'Esc', what: 'cancel the polygon being drawn; close this help' },
  { keys: 'Delete / Backspace', what: 'delete the selected ROI shape' },
  { keys: '?', what: 'show / hide this help' },
];

const TOOL_KEYS: Record<string, Tool> = { p: 'paint', e: 'erase', f: 'fill', l: 'pick', h: 'pan', s: 'select', r: 'rectangle', g: 'polygon' };

function toggleHelp(show?: boolean): void {
  const box = $('help');
  box.hidden = show === undefined ? !box.hidden : !show;
}

function stepZ(d: number): void {
  if (model.Z <= 1) return;
  const cur = model.zSel === 'max' ? Math.floor(model.Z / 2) : model.zSel;
  const z = Math.min(model.Z - 1, Math.max(0, cur + d));
  model.zSel = z;
  $<HTMLInputElement>('z').value = String(z);
  $<HTMLInputElement>('zmax').checked = false;
  void guard('loading the plane', () => loadPlanes());
}

function onKeyDown(ev: KeyboardEvent): void {
  if (typingIn(ev)) return;
  const k = ev.key;
  const ctrl = ev.ctrlKey || ev.metaKey;
  if (ctrl && (k === 'z' || k === 'Z')) {
    ev.preventDefault();
    void undoRedo(ev.shiftKey ? 'redo' : 'undo');
    return;
  }
  if (ctrl && k === 'y') {
    ev.preventDefault();
    void undoRedo('redo');
    return;
  }
  if (ctrl || ev.altKey) return;
  if (k === ' ') {
    ev.preventDefault();
    if (!model.ui.spacePan) {
      model.ui.spacePan = true;
      canvas.style.cursor = 'grab';
      requestDraw();
    }
    return;
  }
  if (k === '?') return toggleHelp();
  if (k === 'Escape') {
    model.ui.drawing = null;
    toggleHelp(false);
    requestDraw();
    return;
  }
  if (k === 'Enter' && model.tool === 'polygon') return closePolygon();
  if ((k === 'Delete' || k === 'Backspace') && model.selectedShape >= 0) return deleteShape();
  if (k === '[' || k === ']') {
    setBrush(model.brush + (k === ']' ? 1 : -1) * Math.max(1, Math.round(model.brush * 0.15)));
    requestDraw();
    return;
  }
  if (k === 'ArrowLeft' || k === ',') return stepZ(-1);
  if (k === 'ArrowRight' || k === '.') return stepZ(1);
  const lower = k.toLowerCase();
  if (lower === 'm' || lower === 'n') return newLabel();
  const tool = TOOL_KEYS[lower];
  if (tool) setTool(tool);
}

function onKeyUp(ev: KeyboardEvent): void {
  if (ev.key === ' ' && model.ui.spacePan) {
    model.ui.spacePan = false;
    canvas.style.cursor = model.tool === 'pan' ? 'grab' : 'crosshair';
    requestDraw();
  }
}

export function wireShortcuts(): void {
  const list = $('helpList');
  list.replaceChildren(...SHORTCUTS.map((s) => el('tr', {}, el('td', {}, el('kbd', { textContent: s.keys })), el('td', { textContent: s.what }))));
  $('helpClose').onclick = () => toggleHelp(false);
  $('helpButton').onclick = () => toggleHelp();
  window.addEventListener('keydown', onKeyDown);
  window.addEventListener('keyup', onKeyUp);
}
