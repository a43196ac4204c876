/**
 * Helpers of the experiment tests: the built CLI in a child process (batch starts real worker processes), and
 * small real images made at test time from the repository's demo image (CellProfiler ExampleHuman HT29, CC0):
 * quarter crops of its DNA and pH3 channels as single-channel OME-TIFFs (our own TIFF writer), a truncated copy as
 * a corrupt image.
 */
import { spawnSync, spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openImageStack } from '../../src/io/image-stack.js';
import { encodeTiffStack } from '../../src/io/tiff-writer.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const demoImage = join(root, 'data', 'demo', 'ht29_dna_ph3.ome.tif');
const bin = join(root, 'bin', 'cellcoloc.mjs');

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export function cellcoloc(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Same, without blocking the event loop (a test that writes into a FIFO meanwhile). */
export function cellcolocAsync(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => res({ code, out, err }));
  });
}

/** The demo's base config without `image` (everything else as shipped). */
export function demoBaseConfig(extra = ''): string {
  const text = readFileSync(join(root, 'data', 'demo', 'ht29_demo.yaml'), 'utf8');
  return text.replace(/^image:.*\n/m, '') + extra;
}

/**
 * Writes into `dir`: `demo.ome.tif` (the two-channel demo), `dna_<q>.tif` / `ph3_<q>.tif` for the quarters
 * q1 (top left) … q4 (bottom right) of 256 × 256 px, and `corrupt.tif` (the demo cut after 4 KiB).
 */
export async function writeTestImages(dir: string): Promise<void> {
  copyFileSync(demoImage, join(dir, 'demo.ome.tif'));
  const stack = await openImageStack(demoImage);
  const [, , , Y, X] = stack.rawShapeTzcyx;
  const channels = [await stack.readChannel(0, 0), await stack.readChannel(1, 0)];
  const h = Y / 2;
  const w = X / 2;
  const quarters: [string, number, number][] = [['q1', 0, 0], ['q2', 0, w], ['q3', h, 0], ['q4', h, w]];
  for (const [q, y0, x0] of quarters) {
    for (const [name, vol] of [['dna', channels[0]], ['ph3', channels[1]]] as const) {
      const data = new Uint8Array(h * w);
      for (let y = 0; y < h; y++) data.set((vol.data as Uint8Array).subarray((y0 + y) * X + x0, (y0 + y) * X + x0 + w), y * w);
      writeFileSync(join(dir, `${name}_${q}.tif`), encodeTiffStack({ data, shape: [1, h, w] }, { voxelSizeUm: [1, 1, 1] }));
    }
  }
  writeFileSync(join(dir, 'corrupt.tif'), readFileSync(demoImage).subarray(0, 4096));
}
