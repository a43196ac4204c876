/**
 * The answer of `GET /api/channel/<role>?step=` from a multiscale store's coarser level (first-view.ts): the same
 * wire format as the block-mean preview of the analysed level (server.ts), plus the level it came from and where
 * it lies on the analysed grid (`X-Origin`, `X-Pixel`: analysed-level pixels, `y,x`), so that the app places it
 * over the analysed image whatever the level's scale factors and translation.
 */
import type { ServerResponse } from 'node:http';
import { send } from './http-io.js';
import type { LevelPreview } from './first-view.js';

/** Decimal text of a placement value (at most 6 decimals: scale ratios such as 0.65 / 0.1625 are not exact). */
const num = (v: number): string => String(Math.round(v * 1e6) / 1e6);

export function sendLevelPreview(res: ServerResponse, p: LevelPreview, step: number): void {
  const [lo, hi] = p.contrast;
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'X-Dtype': p.plane.dtype,
    'X-Shape': `${p.plane.shapeYx[0]},${p.plane.shapeYx[1]}`,
    'X-Step': String(step),
    // The coarse plane's percentiles: provisional (the app keeps the analysed plane's as the channel's limits).
    'X-Contrast': `${lo},${hi}`,
    'X-Level': String(p.level),
    'X-Origin': `${num(p.originYx[0])},${num(p.originYx[1])}`,
    'X-Pixel': `${num(p.pixelYx[0])},${num(p.pixelYx[1])}`,
  };
  if (p.scaled) headers['X-Scaled'] = `${lo},${hi}`;
  send(res, 200, p.plane.bytes, headers);
}
