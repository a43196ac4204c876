/**
 * ImageJ TIFF ImageDescription (`ImageJ=1.x\nimages=..\nchannels=..\nslices=..\nframes=..\nhyperstack=true\n
 * unit=micron\nspacing=..`), as written by ImageJ/Fiji and tifffile (`imagej=True`).
 *
 * Page order of an ImageJ hyperstack: C varies fastest, then Z, then T (ImageJ `ImageStack` index
 * `c + C·(z + Z·t)`, i.e. OME order XYCZT). Pixel width/height come from XResolution/YResolution
 * (pixels per `unit`), the z step from `spacing` (in `unit`).
 */

export interface ImageJDescription {
  /** ImageJ version string after `ImageJ=` ('' if empty). */
  version: string;
  images: number;
  channels: number;
  slices: number;
  frames: number;
  hyperstack: boolean;
  /** Raw unit string with ImageJ's `\u00B5` escape decoded (`µm`); null when absent. */
  unit: string | null;
  /** z step in `unit`, null when absent/invalid. */
  spacing: number | null;
  /** Every key=value pair as text (for diagnostics). */
  raw: Record<string, string>;
}

/** True when the description starts with ImageJ's marker line. */
export function isImageJDescription(description: string | null): boolean {
  return description !== null && /^ImageJ=/.test(description.trimStart());
}

/** Decodes ImageJ's Java-style `\uXXXX` escapes (ImageJ writes `unit=\u00B5m` for µm). */
function unescapeJava(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function intOr(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 ? n : dflt;
}

/**
 * Parses an ImageJ description. Missing counts default to 1; when only `images` is given (a plain
 * ImageJ stack), the planes become slices (ImageJ's own reading of a non-hyperstack).
 * `pageCount` is the number of IFDs (used when `images` is absent).
 */
export function parseImageJDescription(description: string, pageCount: number): ImageJDescription {
  const raw: Record<string, string> = {};
  for (const line of description.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    raw[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  const images = intOr(raw.images, pageCount);
  const channels = intOr(raw.channels, 1);
  let slices = intOr(raw.slices, 1);
  const frames = intOr(raw.frames, 1);
  if (raw.slices === undefined && raw.frames === undefined && images > channels) {
    slices = Math.max(1, Math.floor(images / channels));
  }
  const spacingNum = raw.spacing === undefined ? NaN : Number(raw.spacing);
  return {
    version: raw.ImageJ ?? '',
    images,
    channels,
    slices,
    frames,
    hyperstack: raw.hyperstack === 'true',
    unit: raw.unit === undefined ? null : unescapeJava(raw.unit),
    spacing: Number.isFinite(spacingNum) && spacingNum > 0 ? spacingNum : null,
    raw,
  };
}

/** IFD index of (c, z, t) in an ImageJ hyperstack: C fastest, then Z, then T. */
export function imageJPageIndex(d: Pick<ImageJDescription, 'channels' | 'slices'>, c: number, z: number, t: number): number {
  return c + d.channels * (z + d.slices * t);
}
