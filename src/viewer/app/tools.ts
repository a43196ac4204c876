/**
 * Pointer tools on the canvas: pan/zoom, cell selection, ROI drawing (polygon, rectangle, ellipse, move),
 * and label editing (paint, erase, fill, pick, split). Pointer positions become image `[y, x]` through
 * geometry.ts only.
 */
import { model, type Tool } from './state.js';
import { screenToImage, clientToScreen, pixelAt, zoomAbout } from './geometry.js';
import { boxShape, shapeContains } from './shapes.js';
import { paintDisc, paintSegment, floodFill, splitAlongLine } from './label-edit.js';
import { canvas, recomposite, scheduleRecomposite, requestDraw } from './render.js';
import { beginEdit, commitEdit, setLabel } from './editing.js';
import { selectCell } from './table-panel.js';
import { updateButtons } from './buttons.js';
import { $ } from './dom.js';

const ui = model.ui;

function toImage(ev: MouseEvent): [number, number] {
  return screenToImage(model.view, clientToScreen(canvas.getBoundingClientRect(), ev.clientX, ev.clientY));
}

const inImage = (p: [number, number]): [number, number] | null => pixelAt(p, model.Y, model.X);

export function setTool(t: Tool): void {
  model.tool = t;
  ui.drawing = null;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tools button')) b.classList.toggle('active', b.dataset.tool === t);
  canvas.style.cursor = t === 'pan' ? 'grab' : 'crosshair';
  requestDraw();
}

export function shapesChanged(): void {
  model.shapesDirty = true;
  $('roiInfo').textContent = `${model.shapes.length} ROI shape(s), not saved yet — press "Save ROIs"`;
  requestDraw();
}

export function closePolygon(): void {
  if (ui.drawing && ui.drawing.length >= 3) {
    model.shapes.push({ type: 'polygon', data: ui.drawing.map((p) => [p[0], p[1]] as [number, number]) });
    shapesChanged();
  }
  ui.drawing = null;
  requestDraw();
}

export function deleteShape(): void {
  if (model.selectedShape < 0) return;
  model.shapes.splice(model.selectedShape, 1);
  model.selectedShape = -1;
  shapesChanged();
  updateButtons();
}

const paintValue = (): number => (model.tool === 'erase' ? 0 : model.label);

function onMouseDown(ev: MouseEvent): void {
  // Working on the image leaves any number field, so the keyboard shortcuts apply again.
  (document.activeElement as HTMLElement | null)?.blur?.();
  const p = toImage(ev);
  const pix = inImage(p);
  const tool = model.tool;
  if (ev.button === 1 || ev.button === 2 || tool === 'pan' || tool === 'select' || ui.spacePan) {
    ui.panning = { x: ev.clientX, y: ev.clientY, tx: model.view.tx, ty: model.view.ty, moved: false };
    return;
  }
  if (tool === 'polygon') {
    if (!ui.drawing) ui.drawing = [];
    const first = ui.drawing[0];
    if (first && ui.drawing.length >= 3 && Math.hypot(first[0] - p[0], first[1] - p[1]) * model.view.scale < 8) closePolygon();
    else ui.drawing.push(p);
    requestDraw();
  } else if (tool === 'rectangle' || tool === 'ellipse') {
    ui.dragBox = [p, p];
  } else if (tool === 'shape') {
    model.selectedShape = -1;
    for (let i = model.shapes.length - 1; i >= 0; i--) {
      if (shapeContains(model.shapes[i], p[0], p[1])) { model.selectedShape = i; break; }
    }
    if (model.selectedShape >= 0) ui.dragShape = { index: model.selectedShape, start: p, orig: model.shapes[model.selectedShape].data.map((q) => [q[0], q[1]]) };
    updateButtons();
    requestDraw();
  } else if (tool === 'split') {
    ui.splitLine = [p, p];
  } else if (pix) {
    if (tool === 'pick') {
      const l = model.labels.get(model.editLayer);
      if (l?.data) setLabel(l.data[pix[0] * model.X + pix[1]]);
      return;
    }
    const t = beginEdit();
    if (!t) return;
    if (tool === 'fill') {
      const n = floodFill(t, pix[0], pix[1], model.label, model.preserveLabels);
      commitEdit(n > 0);
      if (n > 0) recomposite();
    } else {
      // Pixel (y, x) has its centre at (y + 0.5, x + 0.5) in continuous coordinates: the disc is centred on the pointer.
      ui.lastPaint = [p[0] - 0.5, p[1] - 0.5];
      paintDisc(t, ui.lastPaint[0], ui.lastPaint[1], model.brush, paintValue(), model.preserveLabels, model.label);
      recomposite();
    }
  }
}

function onMouseMove(ev: MouseEvent): void {
  const p = toImage(ev);
  if (ev.target === canvas || ui.panning || ui.dragBox || ui.dragShape || ui.lastPaint || ui.splitLine) {
    ui.cursor = p;
    updateHover(p);
  }
  if (ui.panning) {
    const dx = ev.clientX - ui.panning.x;
    const dy = ev.clientY - ui.panning.y;
    if (Math.abs(dx) + Math.abs(dy) > 2) ui.panning.moved = true;
    model.view.tx = ui.panning.tx + dx;
    model.view.ty = ui.panning.ty + dy;
  } else if (ui.dragBox) {
    ui.dragBox[1] = p;
  } else if (ui.dragShape) {
    const dy = p[0] - ui.dragShape.start[0];
    const dx = p[1] - ui.dragShape.start[1];
    model.shapes[ui.dragShape.index].data = ui.dragShape.orig.map((q) => [q[0] + dy, q[1] + dx]);
  } else if (ui.splitLine) {
    ui.splitLine[1] = p;
  } else if (ui.lastPaint && model.openEdit) {
    const l = model.labels.get(model.openEdit.layer)!;
    const c: [number, number] = [p[0] - 0.5, p[1] - 0.5];
    paintSegment({ data: l.data!, Y: model.Y, X: model.X }, ui.lastPaint, c, model.brush, paintValue(), model.preserveLabels, model.label);
    ui.lastPaint = c;
    scheduleRecomposite();
  }
  requestDraw();
}

function onMouseUp(ev: MouseEvent): void {
  if (ui.panning) {
    const wasClick = !ui.panning.moved;
    ui.panning = null;
    if (wasClick && model.tool === 'select') {
      const pix = inImage(toImage(ev));
      const cell = model.labels.get('cell');
      if (pix && cell?.data) void selectCell(cell.data[pix[0] * model.X + pix[1]], false);
    }
  } else if (ui.dragBox) {
    const [a, b] = ui.dragBox;
    ui.dragBox = null;
    if (Math.abs(a[0] - b[0]) >= 1 && Math.abs(a[1] - b[1]) >= 1) {
      model.shapes.push(boxShape(a, b, model.tool === 'ellipse' ? 'ellipse' : 'rectangle'));
      shapesChanged();
    }
  } else if (ui.dragShape) {
    ui.dragShape = null;
    shapesChanged();
  } else if (ui.splitLine) {
    const [a, b] = ui.splitLine;
    ui.splitLine = null;
    const t = beginEdit();
    if (t) {
      // Continuous image coordinates: the line passes through the pixels that contain it (floor).
      const ok = splitAlongLine(t, a, b);
      commitEdit(ok);
      if (ok) recomposite();
      else $('editInfo').textContent = 'the line does not cut a label in two';
    }
  } else if (ui.lastPaint) {
    ui.lastPaint = null;
    commitEdit();
  }
  requestDraw();
}

const HOVER_NAMES = { rois: 'ROI', optional_region: 'region', cell: 'cell', marker: 'marker object', positive: 'positive cell' } as const;

function updateHover(p: [number, number]): void {
  const pix = inImage(p);
  const box = $('hover');
  if (!pix) { box.textContent = ''; return; }
  const [y, x] = pix;
  const i = y * model.X + x;
  const parts = [`(z, y, x) = (${model.zSel}, ${y}, ${x})`];
  for (const im of model.images) if (im.data) parts.push(`${im.name}: ${+Number(im.data[i]).toPrecision(6)}`);
  for (const l of model.labels.values()) if (l.data && l.data[i]) parts.push(`${HOVER_NAMES[l.name]}: ${l.data[i]}`);
  box.textContent = parts.join('  ');
}

export function wirePointer(): void {
  canvas.addEventListener('mousedown', onMouseDown);
  window.addEventListener('mousemove', onMouseMove);
  window.addEventListener('mouseup', onMouseUp);
  canvas.addEventListener('dblclick', () => { if (model.tool === 'polygon') closePolygon(); });
  canvas.addEventListener('contextmenu', (ev) => ev.preventDefault());
  canvas.addEventListener('mouseleave', () => { ui.cursor = null; requestDraw(); });
  canvas.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    zoomAbout(model.view, clientToScreen(canvas.getBoundingClientRect(), ev.clientX, ev.clientY), Math.exp(-ev.deltaY * 0.0015));
    requestDraw();
  }, { passive: false });
  window.addEventListener('resize', requestDraw);
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tools button')) b.onclick = () => setTool(b.dataset.tool as Tool);
}
