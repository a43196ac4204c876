/**
 * Progress of the viewer session's image load (issue 20.5): a large image takes seconds to read, and the page and
 * the command line should say how far it is. The session's reader is handed over when it opens (`track`); an
 * OME-Zarr reader counts the chunks it has read (`readStats`), and the first view (first-view.ts) knows how many
 * the analysed level has. Other formats report the elapsed time only.
 */
import type { ImageStack } from '../../io/image-stack.js';
import type { ProgressEvent } from '../../pipeline/progress.js';

export class LoadProgress {
  private stack: ImageStack | null = null;
  private readonly t0 = performance.now();
  private doneMs: number | null = null;

  /** `totalChunks`: chunks the session reads (null = unknown: not an OME-Zarr store). */
  constructor(private readonly totalChunks: number | null) {}

  /** The session's reader, once it is opened (before its pixels are read). */
  track(stack: ImageStack): void {
    this.stack = stack;
  }

  /** The load has ended (loaded or failed). */
  finish(): void {
    this.doneMs ??= performance.now() - this.t0;
  }

  get elapsedMs(): number {
    return this.doneMs ?? performance.now() - this.t0;
  }

  get finished(): boolean {
    return this.doneMs !== null;
  }

  /** Percent of the chunks read (0–99 while reading), or null where unknown. */
  percent(): number | null {
    const read = this.stack?.readStats?.().chunks;
    if (this.totalChunks === null || !this.totalChunks || read === undefined) return null;
    return Math.min(99, Math.floor((100 * read) / this.totalChunks));
  }

  /** The state's `progress` while loading: the page's progress bar shows `done` of `total` (percent). */
  event(): ProgressEvent {
    const p = this.percent();
    return p === null ? { stage: 'loading the image' } : { stage: 'loading the image', done: p, total: 100 };
  }

  /** One line for stderr: `reading the image: 37 % (2.1 s)`. */
  line(): string {
    const p = this.percent();
    return `reading the image${p === null ? '' : `: ${p} %`} (${(this.elapsedMs / 1000).toFixed(1)} s)`;
  }
}
