/**
 * Turns pipeline progress events into stderr output: a live bar on a TTY (cli-progress), plain
 * `cellcoloc: <stage> …` lines otherwise (CI logs, pipes).
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../pipeline/progress.js';

export interface ProgressReporter {
  onProgress(event: ProgressEvent): void;
  stop(): void;
}

export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr, quiet = false): ProgressReporter {
  if (quiet) return { onProgress() {}, stop() {} };
  if (!stream.isTTY) {
    let lastLine = '';
    return {
      onProgress(e) {
        const line =
          e.total !== undefined ? `cellcoloc: ${e.stage} (ROI ${e.done}/${e.total})` : `cellcoloc: ${e.stage}${e.message ? `: ${e.message}` : ''}`;
        // Per-ROI events of a many-ROI run would flood a log: print the first, the last and every 10th.
        if (e.total !== undefined && e.done !== e.total && e.done !== 1 && (e.done ?? 0) % 10 !== 0) return;
        if (line !== lastLine) stream.write(line + '\n');
        lastLine = line;
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream, format: 'cellcoloc {bar} {percentage}% | {stage}', hideCursor: true, clearOnComplete: true, barsize: 24 },
    cliProgress.Presets.shades_classic,
  );
  // Stages of a run with their share of a typical run's time; unknown stages keep the bar where it is.
  const weights: Record<string, [number, number]> = {
    load: [0, 15],
    rois: [15, 17],
    'segment cell': [17, 50],
    'segment marker': [50, 80],
    tables: [80, 88],
    export: [88, 100],
  };
  let started = false;
  return {
    onProgress(e) {
      if (!started) {
        bar.start(100, 0, { stage: e.stage });
        started = true;
      }
      const w = weights[e.stage];
      if (!w) {
        bar.update({ stage: e.stage });
        return;
      }
      const frac = e.total ? (e.done ?? 0) / e.total : 0;
      bar.update(Math.round(w[0] + (w[1] - w[0]) * frac), { stage: e.total ? `${e.stage} (ROI ${e.done}/${e.total})` : e.stage });
    },
    stop() {
      if (started) {
        bar.update(100);
        bar.stop();
      }
    },
  };
}
