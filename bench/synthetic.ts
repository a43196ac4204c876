/**
 * Synthetic benchmark images, generated at bench time (never committed): soft blobs for cells and
 * markers on a flat background with Gaussian noise, written as deflate OME-TIFFs like the fixtures.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { masksToFlows } from '../src/segmentation/cellpose/dynamics/index.js';

/** mulberry32: small deterministic PRNG so every bench run sees the same image (and every fuzz run the same mutants). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Blob {
  z: number;
  y: number;
  x: number;
  rz: number;
  r: number;
  amp: number;
}

function paint(img: Float32Array, shape: [number, number, number], b: Blob): void {
  const [Z, Y, X] = shape;
  const z0 = Math.max(0, Math.floor(b.z - 2 * b.rz)), z1 = Math.min(Z, Math.ceil(b.z + 2 * b.rz) + 1);
  const y0 = Math.max(0, Math.floor(b.y - 2 * b.r)), y1 = Math.min(Y, Math.ceil(b.y + 2 * b.r) + 1);
  const x0 = Math.max(0, Math.floor(b.x - 2 * b.r)), x1 = Math.min(X, Math.ceil(b.x + 2 * b.r) + 1);
  for (let z = z0; z < z1; z++) {
    const dz = Z === 1 ? 0 : (z - b.z) / b.rz;
    for (let y = y0; y < y1; y++) {
      const dy = (y - b.y) / b.r;
      for (let x = x0; x < x1; x++) {
        const dx = (x - b.x) / b.r;
        const d = Math.sqrt(dz * dz + dy * dy + dx * dx);
        // Soft-edged disc: the fixtures' synthesis profile I(d) = A / (1 + exp(-(1 - d) * 6)).
        img[(z * Y + y) * X + x] += b.amp / (1 + Math.exp(-(1 - d) * 6));
      }
    }
  }
}

function noisy(img: Float32Array, background: number, sigma: number, rand: () => number): Uint16Array {
  const out = new Uint16Array(img.length);
  for (let i = 0; i < img.length; i++) {
    // Box–Muller normal noise (Poisson-like scale).
    const u = rand() || 1e-12, v = rand();
    const n = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    const val = background + img[i] + sigma * Math.sqrt(1 + img[i] / 100) * n;
    out[i] = val < 0 ? 0 : val > 65535 ? 65535 : Math.round(val);
  }
  return out;
}

export interface SyntheticSpec {
  shape: [number, number, number];
  nCells: number;
  nMarkers: number;
  cellR: [number, number];
  markerR: [number, number];
  cellRz: [number, number];
  markerRz: [number, number];
  seed: number;
  /** 3 adds a smooth "optional region" channel (large soft blobs covering roughly a third of the image). */
  channels?: 2 | 3;
}

/** Writes a two- or three-channel OME-TIFF (CYX for z = 1, ZCYX otherwise). */
export function writeSyntheticTwoChannel(path: string, spec: SyntheticSpec): void {
  const rand = rng(spec.seed);
  const [Z, Y, X] = spec.shape;
  const n = Z * Y * X;
  const cells = new Float32Array(n);
  const markers = new Float32Array(n);
  const centres: Blob[] = [];
  const between = (r: [number, number]) => r[0] + (r[1] - r[0]) * rand();
  for (let i = 0; i < spec.nCells; i++) {
    const b: Blob = {
      z: Z === 1 ? 0 : 2 + rand() * (Z - 4),
      y: 20 + rand() * (Y - 40),
      x: 20 + rand() * (X - 40),
      rz: between(spec.cellRz),
      r: between(spec.cellR),
      amp: 500 + 500 * rand(),
    };
    centres.push(b);
    paint(cells, spec.shape, b);
  }
  for (let i = 0; i < spec.nMarkers; i++) {
    // 70 % of the markers sit inside a cell, the rest anywhere.
    const host = rand() < 0.7 ? centres[Math.floor(rand() * centres.length)] : null;
    const b: Blob = host
      ? { z: host.z, y: host.y + (rand() - 0.5) * host.r, x: host.x + (rand() - 0.5) * host.r, rz: between(spec.markerRz), r: between(spec.markerR), amp: 700 + 700 * rand() }
      : { z: Z === 1 ? 0 : 2 + rand() * (Z - 4), y: 10 + rand() * (Y - 20), x: 10 + rand() * (X - 20), rz: between(spec.markerRz), r: between(spec.markerR), amp: 700 + 700 * rand() };
    paint(markers, spec.shape, b);
  }
  const C = spec.channels ?? 2;
  const channelData = [noisy(cells, 100, 10, rand), noisy(markers, 80, 9, rand)];
  if (C === 3) {
    const region = new Float32Array(n);
    const nRegions = Math.max(4, Math.round((Y * X) / (160 * 160)));
    for (let i = 0; i < nRegions; i++) {
      paint(region, spec.shape, { z: Z / 2, y: rand() * Y, x: rand() * X, rz: Z, r: 40 + 40 * rand(), amp: 400 });
    }
    channelData.push(noisy(region, 90, 9, rand));
  }
  // OME DimensionOrder XYCZT: C varies fastest between pages, then Z.
  const pages = new Uint16Array(C * n);
  const plane = Y * X;
  for (let z = 0; z < Z; z++) {
    for (let c = 0; c < C; c++) pages.set(channelData[c].subarray(z * plane, (z + 1) * plane), (z * C + c) * plane);
  }
  const ome =
    `<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">` +
    `<Image ID="Image:0" Name="synthetic"><Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint16" ` +
    `SizeX="${X}" SizeY="${Y}" SizeC="${C}" SizeZ="${Z}" SizeT="1" PhysicalSizeX="0.5" PhysicalSizeXUnit="µm" ` +
    `PhysicalSizeY="0.5" PhysicalSizeYUnit="µm" PhysicalSizeZ="${Z === 1 ? 1 : 2}" PhysicalSizeZUnit="µm">` +
    `<Channel ID="Channel:0:0" Name="cells" SamplesPerPixel="1"/><Channel ID="Channel:0:1" Name="marker" SamplesPerPixel="1"/>` +
    (C === 3 ? `<Channel ID="Channel:0:2" Name="region" SamplesPerPixel="1"/>` : '') +
    `<TiffData IFD="0" PlaneCount="${C * Z}"/></Pixels></Image></OME>`;
  const bytes = encodeTiffStack({ data: pages, shape: [C * Z, Y, X] }, { compression: 'deflate', description: ome });
  writeFileSync(path, bytes);
}


/** The 2048×2048 two-channel benchmark image (bench/run.ts's `2d_2048x2048`): 300 soft discs of radius 10–16 px
 * for cells, some touching, and 300 of 3–6 px for markers. */
export const BENCH_2D_SPEC: SyntheticSpec = { shape: [1, 2048, 2048], nCells: 300, nMarkers: 300, cellR: [10, 16], markerR: [3, 6], cellRz: [1, 1], markerRz: [1, 1], seed: 1 };

/** `dir/2d_2048x2048.ome.tif`, generated on first use (the benches share one file; never committed). */
export function bench2dImage(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const image = join(dir, '2d_2048x2048.ome.tif');
  if (!existsSync(image)) writeSyntheticTwoChannel(image, BENCH_2D_SPEC);
  return image;
}
/** Disks of radius 9–16 px, centres on a jittered grid so some touch; labels 1..N (raster order of centres). */
export function syntheticDiskMasks(L: number, nCells: number, seed: number): { masks: Uint32Array; centres: { y: number; x: number; r: number }[] } {
  const r = rng(seed);
  const m = new Uint32Array(L * L);
  const centres: { y: number; x: number; r: number }[] = [];
  const step = Math.floor(L / Math.ceil(Math.sqrt(nCells)));
  let id = 0;
  for (let cy = step / 2; cy < L; cy += step)
    for (let cx = step / 2; cx < L; cx += step) {
      if (id >= nCells) break;
      const rad = 9 + r() * 7;
      const y0 = cy + (r() - 0.5) * step * 0.4;
      const x0 = cx + (r() - 0.5) * step * 0.4;
      id++;
      centres.push({ y: y0, x: x0, r: rad });
      for (let y = Math.max(0, Math.floor(y0 - rad)); y <= Math.min(L - 1, Math.ceil(y0 + rad)); y++)
        for (let x = Math.max(0, Math.floor(x0 - rad)); x <= Math.min(L - 1, Math.ceil(x0 + rad)); x++)
          if ((y - y0) ** 2 + (x - x0) ** 2 <= rad * rad && m[y * L + x] === 0) m[y * L + x] = id;
    }
  return { masks: m, centres };
}

/**
 * Cellpose-like network output for synthetic disk cells: dP = 5·μ with μ from our `masksToFlows` (v4, the
 * training target), plus a strong smooth perturbation in every 10th cell so the flow-error QC removes some.
 * cellprob: `binary` = +4 inside, −4 outside; `smooth` = a logit falling from +7 at the centre to −1 at the rim
 * (8·(1 − r/R) − 1) and on to −4 outside, so thresholds in [−1, 1] move each boundary by ±R/8 like a real network.
 */
export function syntheticCellposeFlows(
  L: number,
  nCells: number,
  seed: number,
  cellprobKind: 'binary' | 'smooth' = 'binary',
): { dP: Float32Array; cellprob: Float32Array; nCells: number } {
  const { masks, centres } = syntheticDiskMasks(L, nCells, seed);
  const mu = masksToFlows(masks, L, L, 4);
  const dP = new Float32Array(2 * L * L);
  const cellprob = new Float32Array(L * L);
  for (let q = 0; q < L * L; q++) {
    const y = Math.floor(q / L);
    const x = q % L;
    const id = masks[q];
    const wob = id % 10 === 0 && id ? 4 * Math.sin(y / 3) * Math.cos(x / 4) : 0;
    dP[q] = 5 * mu[q] + wob;
    dP[L * L + q] = 5 * mu[L * L + q] - wob;
    if (cellprobKind === 'binary' || !id) cellprob[q] = id ? 4 : -4;
    else {
      const c = centres[id - 1];
      cellprob[q] = 8 * (1 - Math.hypot(y - c.y, x - c.x) / c.r) - 1;
    }
  }
  return { dP, cellprob, nCells: centres.length };
}
