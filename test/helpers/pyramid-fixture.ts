/**
 * A two-channel multiscale OME-Zarr image whose levels show DIFFERENT patterns (for the viewer's first-view
 * tests): which level is on screen, and where, can then be read off the pixels. Level 0 (N×N, 0.5 µm): the cell
 * channel bright in the right half, the marker channel in the bottom half. Level 1 (N/2, 2×): the cell channel
 * bright in the top half, the marker channel dark. Level 2 (N/4, 4×): the cell channel bright in `CELL_RECT`, the
 * marker channel in `MARKER_RECT` (analysed-level pixels; the level's pixels are 4× larger). Levels 1 and 2 carry
 * the centring translation ((f − 1)/2 level-0 pixels), so their pixels cover exactly f×f level-0 pixels.
 * Bright = 1000, dark = 100.
 */
import { writeMultiscaleV3Store } from './zarr-store.js';

export const BRIGHT = 1000;
export const DARK = 100;

/** `[[y0, y1], [x0, x1]]` in analysed (level-0) pixels, as fractions of N. */
export const cellRect = (n: number): [[number, number], [number, number]] => [[n / 8, (3 * n) / 8], [n / 16, (3 * n) / 16]];
export const markerRect = (n: number): [[number, number], [number, number]] => [[(5 * n) / 8, (7 * n) / 8], [(5 * n) / 8, (7 * n) / 8]];

function plane(size: number, bright: (y: number, x: number) => boolean): Uint16Array {
  const a = new Uint16Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) a[y * size + x] = bright(y, x) ? BRIGHT : DARK;
  return a;
}

const inRect = (r: [[number, number], [number, number]], f: number) => (y: number, x: number) =>
  y >= r[0][0] / f && y < r[0][1] / f && x >= r[1][0] / f && x < r[1][1] / f;

/** Writes the store (N divisible by 64) at `path`. */
export async function writePyramidFixture(path: string, n: number): Promise<void> {
  const s0 = 0.5;
  const chunk = (size: number) => [1, Math.min(size, 512), Math.min(size, 512)];
  await writeMultiscaleV3Store(path, [
    {
      channels: [plane(n, (_y, x) => x >= n / 2), plane(n, (y) => y >= n / 2)],
      shape: [2, n, n],
      chunkShape: chunk(n),
      scale: [1, s0, s0],
    },
    {
      channels: [plane(n / 2, (y) => y < n / 4), plane(n / 2, () => false)],
      shape: [2, n / 2, n / 2],
      chunkShape: chunk(n / 2),
      scale: [1, 2 * s0, 2 * s0],
      translation: [0, 0.5 * s0, 0.5 * s0],
    },
    {
      channels: [plane(n / 4, inRect(cellRect(n), 4)), plane(n / 4, inRect(markerRect(n), 4))],
      shape: [2, n / 4, n / 4],
      chunkShape: chunk(n / 4),
      scale: [1, 4 * s0, 4 * s0],
      translation: [0, 1.5 * s0, 1.5 * s0],
    },
  ]);
}
