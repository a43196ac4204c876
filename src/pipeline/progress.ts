/**
 * Progress events emitted by the pipeline. The pipeline never touches process.* itself: the CLI
 * turns these events into a progress bar (TTY) or plain lines on stderr.
 */
export interface ProgressEvent {
  /** Stage name, e.g. `load`, `segment cell`, `segment marker`, `tables`, `export`. */
  stage: string;
  /** Units done within the stage (ROIs for segmentation), when known. */
  done?: number;
  total?: number;
  message?: string;
}

export type ProgressCallback = (event: ProgressEvent) => void;

/** Wall-clock timings per stage in milliseconds, in the order the stages ran. */
export class StageTimer {
  readonly timings: { stage: string; ms: number }[] = [];
  private readonly t0 = performance.now();

  async time<T>(stage: string, fn: () => Promise<T> | T): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.timings.push({ stage, ms: round3(performance.now() - start) });
    }
  }

  totalMs(): number {
    return round3(performance.now() - this.t0);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
