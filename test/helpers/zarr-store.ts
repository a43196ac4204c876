/**
 * A small NGFF 0.5 (Zarr v3) image written by zarrita, for the region-read tests: channels `(c, [z,] y, x)` as uint16
 * in zstd chunks of `chunkShape`, y/x spacing 0.5 µm (z 2 µm). Expected chunk counts in the tests come from this grid.
 */
import { mkdirSync } from 'node:fs';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';

/** One level of a multiscale store: channels `(c, [z,] y, x)` as uint16, its chunk grid and NGFF transforms. */
export interface StoreLevel {
  channels: Uint16Array[];
  shape: number[];
  chunkShape: number[];
  /** NGFF `scale` per axis (c first). */
  scale: number[];
  /** NGFF `translation` per axis (c first); none when absent. */
  translation?: number[];
}

/**
 * A multiscale NGFF 0.5 (Zarr v3) image written by zarrita: level i at array path `i`, with the given scale (and
 * translation) per level, zstd chunks. The levels' contents are whatever the test gives (a pyramid need not be
 * a downsampling: the viewer tests give each level its own pattern to see which one is on screen).
 */
export async function writeMultiscaleV3Store(path: string, levels: StoreLevel[]): Promise<void> {
  mkdirSync(path);
  const root = zarr.root(new FileSystemStore(path));
  const spatial = levels[0].shape.length === 4 ? ['z', 'y', 'x'] : ['y', 'x'];
  await zarr.create(root, {
    attributes: {
      ome: {
        version: '0.5',
        multiscales: [
          {
            axes: [{ name: 'c', type: 'channel' }, ...spatial.map((n) => ({ name: n, type: 'space', unit: 'micrometer' }))],
            datasets: levels.map((lv, i) => ({
              path: String(i),
              coordinateTransformations: [{ type: 'scale', scale: lv.scale }, ...(lv.translation ? [{ type: 'translation', translation: lv.translation }] : [])],
            })),
          },
        ],
      },
    },
  });
  for (const [i, lv] of levels.entries()) {
    const arr = await zarr.create(root.resolve(String(i)), {
      shape: lv.shape,
      chunkShape: lv.chunkShape,
      dtype: 'uint16',
      codecs: [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'zstd', configuration: { level: 1, checksum: false } }],
    });
    const all = new Uint16Array(lv.channels.length * lv.channels[0].length);
    lv.channels.forEach((c, k) => all.set(c, k * c.length));
    const stride = lv.shape.map((_, d) => lv.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    await zarr.set(arr, null, { data: all, shape: lv.shape, stride });
  }
}

/** A single-level store (level 0 at path `0`), y/x spacing 0.5 µm (z 2 µm). */
export async function writeV3Store(path: string, channels: Uint16Array[], shape: number[], chunkShape: number[]): Promise<void> {
  const scale = [1, ...(shape.length === 4 ? [2, 0.5, 0.5] : [0.5, 0.5])];
  await writeMultiscaleV3Store(path, [{ channels, shape, chunkShape, scale }]);
}
