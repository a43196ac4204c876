/**
 * `DIR/samples/<sample>/done.json` (issue 14.3): written last, after every result file of the sample, so that its
 * presence with `status: "ok"` means "this folder holds a complete run of these inputs with this config and
 * version". A sample that fails gets `status: "failed"` and its one-line error; a sample whose process was killed
 * before it could write anything has no done.json, and `cellcoloc merge` reports it as not finished.
 *
 * Resume (issue 14.5): a sample is skipped when its done.json says ok and matches the inputs' SHA-256s, the
 * effective config's hash and the package version; otherwise it runs again (its old done.json is removed first, so
 * an interrupted rerun never leaves a stale "ok" beside half-replaced files).
 */
import { LOCK_NAME } from '../export/results-lock.js';
import { readFile, rm, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { sha256File } from '../export/manifest.js';

export const DONE_FILE = 'done.json';
export const DONE_SCHEMA_VERSION = 1;

export interface InputFingerprint {
  /** Absolute path when the sample ran (provenance only: resume compares the hashes). */
  path: string;
  sha256: string;
  sizeBytes: number;
}

export interface DoneRecord {
  doneSchemaVersion: number;
  sample: string;
  status: 'ok' | 'failed';
  /** One line; null when ok. */
  error: string | null;
  /** Position in the sheet (0-based) and the sheet's metadata cells, so that `merge` needs nothing else. */
  index: number;
  metadata: Record<string, string>;
  /** Which tables the sample has (decided by its config). */
  kind: 'two-channel' | 'single-channel';
  /** File stem and the results folder relative to the sample folder ('' = the sample folder itself). */
  stem: string | null;
  resultsSubdir: string | null;
  inputs: InputFingerprint[];
  configHash: string;
  version: string | null;
  timings: { startedAt: string; finishedAt: string; wallMs: number; stages: { stage: string; ms: number }[] };
  /** Peak RSS of the worker process that ran the sample, so far in its life (MiB). */
  workerPeakRssMiB: number | null;
}

export async function readDoneRecord(sampleDir: string): Promise<DoneRecord | null> {
  try {
    const j = JSON.parse(await readFile(join(sampleDir, DONE_FILE), 'utf8')) as DoneRecord;
    return j && typeof j === 'object' && typeof j.status === 'string' ? j : null;
  } catch {
    return null;
  }
}

export async function writeDoneRecord(sampleDir: string, record: DoneRecord): Promise<void> {
  await writeFileAtomic(join(sampleDir, DONE_FILE), JSON.stringify(record, null, 2) + '\n');
}

export async function fingerprintInputs(paths: readonly string[]): Promise<InputFingerprint[]> {
  const { stat } = await import('node:fs/promises');
  return Promise.all(
    paths.map(async (path) => {
      const [sha256, st] = await Promise.all([sha256File(path), stat(path)]);
      return { path, sha256, sizeBytes: st.size };
    }),
  );
}

export type ResumeDecision = { run: false; reason: 'up to date' } | { run: true; reason: string };

/**
 * Whether a sample must run: missing / failed / changed inputs, config or version → run; `force` → run.
 * Hashes the inputs only when everything else already matches.
 */
export async function resumeDecision(
  sampleDir: string,
  expected: { inputs: readonly string[]; configHash: string; version: string | null },
  force: boolean,
): Promise<ResumeDecision> {
  if (force) return { run: true, reason: '--force' };
  const done = await readDoneRecord(sampleDir);
  if (!done) return { run: true, reason: 'not run yet' };
  if (done.status !== 'ok') return { run: true, reason: 'failed before' };
  if (done.version !== expected.version) return { run: true, reason: `package version changed (${done.version} → ${expected.version})` };
  if (done.configHash !== expected.configHash) return { run: true, reason: 'config changed' };
  if (done.inputs.length !== expected.inputs.length) return { run: true, reason: 'input files changed' };
  let now: InputFingerprint[];
  try {
    now = await fingerprintInputs(expected.inputs);
  } catch {
    return { run: true, reason: 'input files unreadable' };
  }
  for (let i = 0; i < now.length; i++) if (now[i].sha256 !== done.inputs[i].sha256) return { run: true, reason: 'input files changed' };
  return { run: false, reason: 'up to date' };
}

/**
 * Before a (re)run: the sample folder is emptied of an earlier run's files (so that it holds exactly what this run
 * writes), keeping the Cellpose network caches (`*_cellpose_cache`: the network output of unchanged network
 * settings is reused, issue 7) and the batch's lock on the sample. done.json goes first.
 */
export async function clearSampleDir(sampleDir: string): Promise<void> {
  await rm(join(sampleDir, DONE_FILE), { force: true });
  let names: string[];
  try {
    names = await readdir(sampleDir);
  } catch {
    return;
  }
  // The batch's lock on this sample (results-lock.ts) stays: it is held while this very run works.
  const keep = (n: string) => n.endsWith('_cellpose_cache') || n === LOCK_NAME || n.startsWith(`${LOCK_NAME}.tmp-`);
  await Promise.all(names.filter((n) => !keep(n)).map((n) => rm(join(sampleDir, n), { recursive: true, force: true })));
}
