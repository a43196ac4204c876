/**
 * Progress of a batch on stderr: on a terminal one live bar (done / failed / total, ETA, the samples in flight);
 * otherwise one plain line per finished sample (`cellcoloc: [12/48] A01_1 ok (1.4 s)`), for logs and cluster jobs.
 */
import cliProgress from 'cli-progress';
import type { BatchEvent } from '../experiment/batch.js';

export interface BatchReporter {
  onEvent(e: BatchEvent): void;
  stop(): void;
}

export function createBatchReporter(stream: NodeJS.WriteStream = process.stderr, quiet = false): BatchReporter {
  if (quiet) return { onEvent() {}, stop() {} };
  let total = 0;
  let finished = 0;
  let failed = 0;
  const inFlight = new Set<string>();
  const plan = (e: Extract<BatchEvent, { type: 'plan' }>) =>
    `cellcoloc: ${e.total} sample${e.total === 1 ? '' : 's'}: ${e.toRun} to run, ${e.upToDate} up to date; ${e.jobs.jobs} worker${e.jobs.jobs === 1 ? '' : 's'} (${e.jobs.reason}); results: ${e.resultsDir}\n`;
  if (!stream.isTTY) {
    return {
      onEvent(e) {
        if (e.type === 'plan') {
          total = e.toRun;
          stream.write(plan(e));
        } else if (e.type === 'done') {
          finished++;
          const r = e.record;
          const secs = r.timings?.wallMs ? ` (${(r.timings.wallMs / 1000).toFixed(1)} s)` : '';
          stream.write(`cellcoloc: [${finished}/${total}] ${r.sample} ${r.status === 'ok' ? `ok${secs}` : `FAILED: ${r.error}`}\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'cellcoloc batch {bar} {value}/{total} | failed {failed} | ETA {eta_formatted} | {running}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const running = () => {
    const names = [...inFlight];
    return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} +${names.length - 3}`;
  };
  return {
    onEvent(e) {
      if (e.type === 'plan') {
        total = e.toRun;
        stream.write(plan(e));
        if (total > 0) {
          bar.start(total, 0, { failed: 0, running: '' });
          started = true;
        }
      } else if (e.type === 'start') {
        inFlight.add(e.sample);
        if (started) bar.update({ running: running() });
      } else if (e.type === 'done') {
        inFlight.delete(e.record.sample);
        finished++;
        if (e.record.status !== 'ok') {
          failed++;
          // A failure stays visible above the bar.
          if (started) bar.stop();
          stream.write(`cellcoloc: ${e.record.sample} FAILED: ${e.record.error}\n`);
          if (started && finished < total) bar.start(total, finished, { failed, running: running() });
        }
        if (started) bar.update(finished, { failed, running: running() });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
