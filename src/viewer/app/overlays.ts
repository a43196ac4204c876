/**
 * Vector overlays drawn in screen space over the composite (issue 16.1): ROI shapes (finished, being drawn,
 * selected), the brush cursor and the split line. Every position goes through geometry.ts's imageToScreen,
 * the one image `[y, x]` → screen `{x, y}` conversion.
 */
import { model } from './state.js';
import { imageToScreen, toScreenLength, type ScreenPoint } from './geometry.js';
import { boxShape, shapeCentroid } from './shapes.js';
import type { RoiShape } from './api.js';

/** Overlay colours (the screen-level tests look for them). */
export const OVERLAY = {
  shape: '#f8f9fa',
  active: '#ffd43b',
  split: '#ff6b6b',
  brush: '#ffffff',
  eraser: '#ff6b6b',
} as const;

const toScreen = (p: readonly [number, number]): ScreenPoint => imageToScreen(model.view, p);

function shapePath(ctx: CanvasRenderingContext2D, s: RoiShape): void {
  ctx.beginPath();
  if (s.type === 'ellipse') {
    const ys = s.data.map((p) => p[0]);
    const xs = s.data.map((p) => p[1]);
    const a = toScreen([Math.min(...ys), Math.min(...xs)]);
    const b = toScreen([Math.max(...ys), Math.max(...xs)]);
    ctx.ellipse((a.x + b.x) / 2, (a.y + b.y) / 2, Math.abs(b.x - a.x) / 2, Math.abs(b.y - a.y) / 2, 0, 0, 2 * Math.PI);
  } else {
    polyline(ctx, s.data);
    ctx.closePath();
  }
}

function polyline(ctx: CanvasRenderingContext2D, pts: readonly (readonly [number, number])[]): void {
  pts.forEach((p, i) => {
    const q = toScreen(p);
    if (i === 0) ctx.moveTo(q.x, q.y);
    else ctx.lineTo(q.x, q.y);
  });
}

export function drawOverlays(ctx: CanvasRenderingContext2D): void {
  drawShapes(ctx);
  drawCursor(ctx);
}

function drawShapes(ctx: CanvasRenderingContext2D): void {
  const { shapes, selectedShape, ui, tool } = model;
  ctx.lineWidth = 2;
  ctx.font = 'bold 14px "DejaVu Sans", sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  shapes.forEach((s, i) => {
    shapePath(ctx, s);
    ctx.strokeStyle = i === selectedShape ? OVERLAY.active : OVERLAY.shape;
    ctx.stroke();
    const c = toScreen(shapeCentroid(s));
    ctx.fillStyle = '#fff';
    ctx.fillText(`ROI ${i + 1}`, c.x, c.y);
  });
  if (ui.drawing && ui.drawing.length > 0) {
    ctx.beginPath();
    polyline(ctx, ui.cursor ? [...ui.drawing, ui.cursor] : ui.drawing);
    ctx.strokeStyle = OVERLAY.active;
    ctx.stroke();
  }
  if (ui.dragBox) {
    shapePath(ctx, boxShape(ui.dragBox[0], ui.dragBox[1], tool === 'ellipse' ? 'ellipse' : 'rectangle'));
    ctx.strokeStyle = OVERLAY.active;
    ctx.stroke();
  }
  if (ui.splitLine) {
    ctx.beginPath();
    polyline(ctx, ui.splitLine);
    ctx.strokeStyle = OVERLAY.split;
    ctx.stroke();
  }
}

/** The brush circle, centred on the pointer (the painted disc's centre), diameter = brush size in image px. */
function drawCursor(ctx: CanvasRenderingContext2D): void {
  const { ui, tool } = model;
  if (!ui.cursor || (tool !== 'paint' && tool !== 'erase') || ui.spacePan) return;
  const c = toScreen(ui.cursor);
  const r = Math.max(1, toScreenLength(model.view, model.brush / 2));
  ctx.beginPath();
  ctx.arc(c.x, c.y, r, 0, 2 * Math.PI);
  // A dark halo under the 2-px line keeps the circle visible on bright signal.
  ctx.lineWidth = 4;
  ctx.strokeStyle = 'rgba(0,0,0,0.55)';
  ctx.stroke();
  ctx.lineWidth = 2;
  ctx.strokeStyle = tool === 'erase' ? OVERLAY.eraser : OVERLAY.brush;
  ctx.stroke();
}
