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

/**
 * Wall-clock timings per stage in milliseconds, in the order the stages ran, announcing each stage to the
 * progress callback as it starts. Shared by every workflow (run, single channel, reanalyze).
 */
export function stageTimer(onProgress?: ProgressCallback): {
  timings: { stage: string; ms: number }[];
  timed: <T>(stage: string, fn: () => Promise<T> | T) => Promise<T>;
} {
  const timings: { stage: string; ms: number }[] = [];
  const timed = async <T>(stage: string, fn: () => Promise<T> | T): Promise<T> => {
    onProgress?.({ stage });
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings.push({ stage, ms: Math.round((performance.now() - t0) * 1000) / 1000 });
    }
  };
  return { timings, timed };
}
