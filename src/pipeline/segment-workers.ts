/**
 * Segments one channel in a worker thread while the main thread segments the other: the per-ROI driver
 * of each channel is independent (spec 4.1: offsets are per channel), so the two run in parallel on two
 * cores. The image goes to the worker as a copy (structured clone); the labels come back transferred.
 *
 * The worker runs this very module (its own URL, or the bundle's when the CLI is bundled): at load time it
 * checks `workerData` and, inside a worker, serves segmentation jobs.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { CellColocError, type CellColocErrorTag } from '../core/errors.js';
import type { LabelVolume, RoiLabels, Volume } from '../core/volume.js';
import type { ModelConfig } from '../config/types.js';
import { segmentChannelByRoi, type RoiSegmentationCall } from '../segmentation/roi-driver.js';

const WORKER_FLAG = 'cellcolocSegmentationWorker';

export interface SegmentationJob {
  image: Volume;
  roiLabels: RoiLabels;
  config: ModelConfig;
  zBounds: [number, number] | null;
  voxelSizeUm: readonly [number, number, number];
  /** The window's origin in the frame (roi-driver.ts `frameOrigin`); absent = the whole frame. */
  frameOrigin?: readonly [number, number, number] | null;
}

export interface ChannelSegmentation {
  labels: LabelVolume;
  calls: RoiSegmentationCall[];
}

type WorkerReply =
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'done'; labels: LabelVolume; calls: RoiSegmentationCall[] }
  | { kind: 'error'; tag: CellColocErrorTag | null; message: string };

/**
 * Opt-in (`CELLCOLOC_THREADS=2`): measured on the 2-core bench machine, the worker saved only ~10 % of the
 * 3D run and nothing on the 2D one while adding ~80 MiB of peak memory — fresh memory (page faults), not
 * arithmetic, dominates these passes, and the two threads contend for it. Worth it with more cores or
 * heavier per-voxel work (prefilters, later backends).
 */
export function shouldUseWorker(voxels: number): boolean {
  const threads = Number(process.env.CELLCOLOC_THREADS ?? 1);
  return threads > 1 && availableParallelism() > 1 && voxels >= 1 << 20;
}

/** A worker started early (before the image is read) so that its start-up overlaps the loading. */
export class SegmentationWorker {
  private readonly worker: Worker;
  private busy = false;

  private constructor() {
    const url = new URL(import.meta.url);
    const options = { workerData: { [WORKER_FLAG]: true } };
    this.worker = url.pathname.endsWith('.ts')
      ? // Running from TypeScript sources (tests under tsx): register tsx in the worker before importing this module.
        new Worker(
          `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`,
          { ...options, eval: true },
        )
      : new Worker(url, options);
    this.worker.unref();
  }

  static start(): SegmentationWorker {
    return new SegmentationWorker();
  }

  segment(job: SegmentationJob, onRoi?: (done: number, total: number) => void): Promise<ChannelSegmentation> {
    if (this.busy) throw new Error('SegmentationWorker: one job at a time');
    this.busy = true;
    return new Promise<ChannelSegmentation>((resolve, reject) => {
      const onMessage = (msg: WorkerReply) => {
        if (msg.kind === 'progress') {
          onRoi?.(msg.done, msg.total);
          return;
        }
        cleanup();
        if (msg.kind === 'done') resolve({ labels: msg.labels, calls: msg.calls });
        else reject(msg.tag ? new CellColocError(msg.tag, msg.message) : new Error(msg.message));
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        this.busy = false;
        this.worker.off('message', onMessage);
        this.worker.off('error', onError);
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', onError);
      this.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

if (!isMainThread && workerData && (workerData as Record<string, unknown>)[WORKER_FLAG]) {
  const port = parentPort!;
  port.on('message', async (job: SegmentationJob) => {
    try {
      const r = await segmentChannelByRoi(job.image, job.roiLabels, job.config, {
        zBounds: job.zBounds,
        voxelSizeUm: job.voxelSizeUm,
        frameOrigin: job.frameOrigin ?? null,
        onRoi: (done, total) => port.postMessage({ kind: 'progress', done, total } satisfies WorkerReply),
      });
      port.postMessage({ kind: 'done', labels: r.labels, calls: r.calls } satisfies WorkerReply, [r.labels.data.buffer as ArrayBuffer]);
    } catch (err) {
      const tag = err instanceof CellColocError ? err._tag : null;
      port.postMessage({ kind: 'error', tag, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
    }
  });
}
