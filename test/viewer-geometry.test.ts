/**
 * The viewer's coordinate module (issue 16.1): image `[y, x]` ↔ canvas `{x, y}`. Expected values are worked
 * out by hand from the definition screen = t + image · scale (per axis), not from the module.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageToScreen, screenToImage, pixelAt, zoomAbout, fitView, centreOn, clientToScreen } from '../src/viewer/app/geometry.js';

test('imageToScreen puts image x on the horizontal axis and y on the vertical one', () => {
  // A wide point: y = 10, x = 200 at 2 px/pixel, pan (5, 7) → screen x = 5 + 400, y = 7 + 20.
  assert.deepEqual(imageToScreen({ scale: 2, tx: 5, ty: 7 }, [10, 200]), { x: 405, y: 27 });
});

test('screenToImage inverts imageToScreen and returns [y, x]', () => {
  const v = { scale: 3.5, tx: -40, ty: 12 };
  assert.deepEqual(screenToImage(v, { x: 100, y: 50 }), [(50 - 12) / 3.5, (100 + 40) / 3.5]);
  for (const p of [[0, 0], [10.25, 300.5], [511.5, 3]] as [number, number][]) {
    const back = screenToImage(v, imageToScreen(v, p));
    assert.ok(Math.abs(back[0] - p[0]) < 1e-9 && Math.abs(back[1] - p[1]) < 1e-9);
  }
});

test('clientToScreen subtracts the canvas corner; pixelAt floors and bounds-checks', () => {
  assert.deepEqual(clientToScreen({ left: 290, top: 3 }, 300, 53), { x: 10, y: 50 });
  assert.deepEqual(pixelAt([4.99, 7.0], 10, 20), [4, 7]);
  assert.equal(pixelAt([-0.01, 3], 10, 20), null);
  assert.equal(pixelAt([3, 20], 10, 20), null);
  assert.deepEqual(pixelAt([9.9, 19.9], 10, 20), [9, 19]);
});

test('zoomAbout keeps the image point under the pointer fixed', () => {
  const v = { scale: 2, tx: 10, ty: 20 };
  // Under screen (110, 60): image x = 50, y = 20. After ×2: scale 4, and x = 50 must still map to 110.
  zoomAbout(v, { x: 110, y: 60 }, 2);
  assert.deepEqual(v, { scale: 4, tx: 110 - 200, ty: 60 - 80 });
  zoomAbout(v, { x: 0, y: 0 }, 1000);
  assert.equal(v.scale, 64);
});

test('fitView centres the image; centreOn puts a point at the canvas centre', () => {
  const v = { scale: 1, tx: 0, ty: 0 };
  fitView(v, 800, 600, 100, 200); // 200 wide, 100 tall: limited by width, scale 4, 400 px tall → ty 100
  assert.deepEqual(v, { scale: 4, tx: 0, ty: 100 });
  centreOn(v, [10, 30], 800, 600, 2);
  assert.deepEqual(v, { scale: 2, tx: 400 - 60, ty: 300 - 20 });
});
