/**
 * Worker processes for a batch (issue 14.4, 14.6): `jobs` child processes, each running one sample at a time
 * (`sample-worker.ts`), fed from one queue in sheet order. A sample that exceeds the per-sample timeout has its
 * worker killed (SIGKILL: a hung read cannot be interrupted otherwise); a worker that dies (crash, the kernel's
 * out-of-memory killer) fails only the sample it was running. Either way the batch writes that sample's failed
 * done.json itself and starts a fresh worker for the rest.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProgressEvent } from '../pipeline/progress.js';
import { DONE_SCHEMA_VERSION, writeDoneRecord, type DoneRecord } from './sample-record.js';
import { SAMPLE_WORKER_ENV, SAMPLE_WORKER_URL, type SampleJob, type WorkerMessage } from './sample-worker.js';

export interface PoolOptions {
  jobs: number;
  /** Seconds; null = no limit. */
  timeoutPerSampleS: number | null;
  onStart?: (job: SampleJob) => void;
  onProgress?: (sample: string, event: ProgressEvent) => void;
  onDone?: (record: DoneRecord) => void;
}

export interface PoolResult {
  records: DoneRecord[];
  /** Peak RSS of each worker process that ran (MiB, from the workers' own reports), in start order. */
  workerPeakRssMiB: number[];
  workersStarted: number;
}

/** Node flags a forked worker needs: none for the built CLI; the TypeScript loader when running from sources. */
function workerExecArgv(entry: string): string[] {
  if (!entry.endsWith('.ts')) return [];
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if ((a === '--import' || a === '--require' || a === '--loader' || a === '-r') && i + 1 < argv.length) {
      out.push(a, argv[++i]);
    } else if (/^--(import|require|loader)=/.test(a)) out.push(a);
  }
  if (!out.some((a) => a.includes('tsx'))) out.push('--import', 'tsx');
  return out;
}

interface Slot {
  child: ChildProcess;
  job: SampleJob | null;
  timer: NodeJS.Timeout | null;
  peakRss: number;
  /** Set when the batch killed it on purpose (timeout): the exit is then not a crash. */
  killedFor: string | null;
  index: number;
}

export async function runSamplesInWorkers(queue: readonly SampleJob[], options: PoolOptions): Promise<PoolResult> {
  const entry = fileURLToPath(SAMPLE_WORKER_URL);
  const execArgv = workerExecArgv(entry);
  const records: DoneRecord[] = [];
  const peaks: number[] = [];
  let next = 0;
  let started = 0;
  const nWorkers = Math.max(1, Math.min(options.jobs, queue.length));
  if (queue.length === 0) return { records, workerPeakRssMiB: [], workersStarted: 0 };

  return new Promise<PoolResult>((resolveAll, rejectAll) => {
    let active = 0;
    const finish = () => {
      if (active === 0 && next >= queue.length) resolveAll({ records, workerPeakRssMiB: peaks, workersStarted: started });
    };

    const startWorker = (): Slot => {
      const child = fork(entry, [], {
        execArgv,
        env: { ...process.env, [SAMPLE_WORKER_ENV]: '1' },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
      });
      const slot: Slot = { child, job: null, timer: null, peakRss: 0, killedFor: null, index: started++ };
      peaks.push(0);
      active++;
      // A worker's stderr (warnings of its runs, a native crash's message) is kept for the failure record.
      let stderrTail = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderrTail = (stderrTail + d.toString('utf8')).slice(-2000);
      });
      child.on('message', (msg: WorkerMessage) => {
        if (!slot.job || msg.sample !== slot.job.sample) return;
        if (msg.type === 'progress') {
          options.onProgress?.(msg.sample, msg.event);
          return;
        }
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = null;
        const record = msg.record;
        if (record.workerPeakRssMiB) peaks[slot.index] = Math.max(peaks[slot.index], record.workerPeakRssMiB);
        slot.job = null;
        records.push(record);
        options.onDone?.(record);
        feed(slot);
      });
      child.on('error', (err) => {
        stderrTail += `\n${err.message}`;
      });
      child.on('exit', (code, signal) => {
        active--;
        if (slot.timer) clearTimeout(slot.timer);
        const job = slot.job;
        slot.job = null;
        if (!job) {
          finish();
          return;
        }
        const why =
          slot.killedFor ??
          `the worker process died while running it (${signal ? `signal ${signal}${signal === 'SIGKILL' ? ': killed, e.g. out of memory' : ''}` : `exit code ${code}`})${lastLine(stderrTail)}`;
        void recordFailure(job, why).then(
          (record) => {
            records.push(record);
            options.onDone?.(record);
            // A fresh worker for the rest of the queue.
            if (next < queue.length) feed(startWorker());
            finish();
          },
          (err) => rejectAll(err),
        );
      });
      return slot;
    };

    const feed = (slot: Slot) => {
      if (next >= queue.length) {
        slot.child.send({ type: 'exit' });
        return;
      }
      const job = queue[next++];
      slot.job = job;
      slot.killedFor = null;
      options.onStart?.(job);
      if (options.timeoutPerSampleS !== null) {
        slot.timer = setTimeout(() => {
          slot.killedFor = `timed out after ${options.timeoutPerSampleS} s (--timeout-per-sample); the worker was killed`;
          slot.child.kill('SIGKILL');
        }, options.timeoutPerSampleS * 1000);
      }
      slot.child.send({ type: 'run', job });
    };

    for (let i = 0; i < nWorkers; i++) feed(startWorker());
  });
}

function lastLine(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.length ? `: ${lines[lines.length - 1].slice(0, 300)}` : '';
}

/** The failed done.json of a sample whose worker was killed or died: written by the batch itself. */
async function recordFailure(job: SampleJob, error: string): Promise<DoneRecord> {
  const now = new Date().toISOString();
  const record: DoneRecord = {
    doneSchemaVersion: DONE_SCHEMA_VERSION,
    sample: job.sample,
    status: 'failed',
    error,
    index: job.index,
    metadata: job.metadata,
    kind: 'single_channel_config' in job.configObject && job.configObject.single_channel_config ? 'single-channel' : 'two-channel',
    stem: null,
    resultsSubdir: null,
    inputs: [],
    configHash: job.configHash,
    version: job.version,
    timings: { startedAt: now, finishedAt: now, wallMs: 0, stages: [] },
    workerPeakRssMiB: null,
  };
  await writeDoneRecord(job.sampleDir, record);
  return record;
}
