/**
 * Label TIFFs encoded ahead of the export (issue 21). `writeResultFiles` used to start every TIFF once the tables
 * were done, so their deflates (~10 ms each for a 2048² mask on this 2-core machine) competed with the CSVs and the
 * workbook at the very end of the run, while the second core sat idle through segmentation and tables. A run hands
 * each raster here as soon as it is final — the ROI labels before segmentation, the cell and marker labels after
 * their filters — and the export takes the finished (or running) job instead of encoding again.
 *
 * The caller's promise: a raster handed over is never changed afterwards. A job is taken only for the same raster
 * object with the same TIFF options (else the export encodes as before), so the bytes are those of the export.
 */
import type { LabelVolume, RoiLabels, Volume } from '../core/volume.js';
import type { TiffVoxelData, TiffWriteOptions } from '../io/tiff-writer.js';
import { encodeLabelTiffAsync, type LabelArrayRuns } from './label-tiff.js';
import { encodeRoiLabelsTiffAsync } from './placed-tiff.js';

/** The TIFF-related fields of the export's options (`ExportOptions` in export-outputs.ts). */
export interface TiffExportSettings {
  voxelSizeUm: readonly [number, number, number];
  compression?: 'none' | 'deflate';
  deflateLevel?: number;
}

/** The TIFF options of the ROI label raster (and the base of the masks') for the export's options. */
export function baseTiffOptions(options: TiffExportSettings): TiffWriteOptions {
  return {
    voxelSizeUm: options.voxelSizeUm,
    compression: options.compression ?? 'deflate',
    deflateLevel: options.deflateLevel ?? 1,
    description: 'ome',
  };
}

/**
 * Label masks: z stacks carry ImageJ's description (unit=micron, spacing=) so that Fiji without Bio-Formats shows
 * the z scale, single planes OME-XML.
 */
export function maskTiffOptions(volume: Volume<TiffVoxelData>, base: TiffWriteOptions): TiffWriteOptions {
  return volume.shape[0] > 1 ? { ...base, description: 'imagej' } : base;
}

export class TiffsAhead {
  private readonly jobs = new Map<object, { options: string; job: Promise<Uint8Array[]> }>();
  private readonly base: TiffWriteOptions;

  /** `options`: those the export will be called with (only the TIFF-related fields matter). */
  constructor(options: TiffExportSettings) {
    this.base = baseTiffOptions(options);
  }

  /** Starts the TIFF of a final label mask; `knownRuns`: runs of label arrays (fills it without a scan). */
  mask(volume: LabelVolume, knownRuns: readonly LabelArrayRuns[] = []): void {
    const options = maskTiffOptions(volume, this.base);
    this.start(volume, options, () => encodeLabelTiffAsync(volume, options, knownRuns));
  }

  /** Starts the TIFF of the ROI label raster (`{stem}_roi_labelmask.tif`). */
  roiLabels(roi: RoiLabels): void {
    this.start(roi, this.base, () => encodeRoiLabelsTiffAsync(roi, this.base));
  }

  /** The job started for `raster` with these options, handed out once; null when there is none. */
  take(raster: object, options: TiffWriteOptions): Promise<Uint8Array[]> | null {
    const entry = this.jobs.get(raster);
    if (!entry || entry.options !== JSON.stringify(options)) return null;
    this.jobs.delete(raster);
    return entry.job;
  }

  private start(raster: object, options: TiffWriteOptions, encode: () => Promise<Uint8Array[]>): void {
    let job: Promise<Uint8Array[]>;
    try {
      job = encode();
    } catch (err) {
      job = Promise.reject(err);
    }
    // a failure surfaces where the export awaits the job (or not at all when the run fails before exporting)
    job.catch(() => undefined);
    this.jobs.set(raster, { options: JSON.stringify(options), job });
  }
}
