/**
 * One run per results folder (issue 15.4). A run holds `<dir>/.cellcoloc.lock` (JSON: pid, host, start time,
 * command) while it works; a second run into the same folder refuses with one line naming the holder. A
 * lock left by a dead process on this host (kill -9, power loss) is taken over with a notice. The lock file
 * is created complete or not at all: written under a temporary name, then hard-linked to its final name
 * (`link` fails if the name exists — the atomic "create if absent" of POSIX file systems, NFS included).
 *
 * The same lock guards an experiment folder (`batch`, `merge`, `report`), and each sample folder
 * (`samples/<sample>/`) while a batch runs that sample: two `batch --only` jobs (which run side by side in one
 * experiment folder) given the same sample cannot both run it.
 *
 * After taking the lock, temporary files of killed runs (`.<name>.tmp-<pid>-<hex>`, src/export/atomic.ts)
 * whose process is gone are removed, so killed runs never litter a results folder for good.
 */
import { hostname } from 'node:os';
import { link, mkdir, readFile, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { exportError } from '../io/atomic-write.js';

export const LOCK_NAME = '.cellcoloc.lock';

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  command: string;
}

export interface ResultsLock {
  readonly path: string;
  /** Notices for the user (a stale lock taken over, stale temporary files removed). */
  readonly notices: string[];
  release(): Promise<void>;
}

/** True when process `pid` exists on this host (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    const h = JSON.parse(await readFile(path, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/** The lock file's holder and whether it is stale (its process gone on this host, or unreadable for a minute). */
async function inspectLock(path: string): Promise<{ holder: LockHolder | null; stale: boolean }> {
  const holder = await readHolder(path);
  const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
  const stale =
    holder === null
      ? age > 60_000 // unreadable: a writer killed mid-write long ago (link publishes whole files, so only foreign files)
      : holder.host === hostname() && !processAlive(holder.pid);
  return { holder, stale };
}

function inUse(dir: string, path: string, holder: LockHolder | null, sample?: string) {
  if (sample !== undefined) {
    return exportError(
      holder
        ? `${dir}: sample ${JSON.stringify(sample)} is being run by another cellcoloc batch (${describe(holder)}); wait for it to ` +
            `finish (if that run is gone for good, delete ${path})`
        : `${dir}: sample ${JSON.stringify(sample)} is locked (${path} exists but is unreadable); delete it if no other batch runs this sample`,
    );
  }
  return exportError(
    holder
      ? `${dir}: the results folder is in use by another cellcoloc run (${describe(holder)}); wait for it to finish or choose ` +
          `another --results-dir (if that run is gone for good, delete ${path})`
      : `${dir}: the results folder is locked (${path} exists but is unreadable); delete it if no other run uses this folder`,
  );
}

/**
 * Refuses (one ExportError naming the holder) when a live run holds `dir`'s lock, without taking it: the
 * `batch --only` jobs of one experiment (Snakemake/SLURM chunks) run side by side in its folder, each writing
 * only its own samples, but never beside a full `batch`, `merge` or `report` of that folder.
 */
export async function assertResultsFolderFree(dir: string): Promise<void> {
  const path = join(dir, LOCK_NAME);
  if (!existsSync(path)) return;
  const { holder, stale } = await inspectLock(path);
  if (!stale) throw inUse(dir, path, holder);
}

const describe = (h: LockHolder) => `pid ${h.pid} on ${h.host}, started ${h.started}${h.command ? `: ${h.command}` : ''}`;

/**
 * Takes the results folder's lock (creating the folder). Throws one ExportError naming the folder and the
 * holder when another live run holds it. With `sample`, the folder is one sample's folder of an experiment
 * (`samples/<sample>/`, locked by the batch that runs it) and the messages say so.
 */
export async function acquireResultsLock(dir: string, command = '', options: { sample?: string } = {}): Promise<ResultsLock> {
  let created = false;
  try {
    created = (await mkdir(dir, { recursive: true })) !== undefined;
  } catch (e) {
    throw exportError(`${dir}: cannot create the results folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, e);
  }
  const path = join(dir, LOCK_NAME);
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
  const notices: string[] = [];
  const tmp = join(dir, `${LOCK_NAME}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  await writeFile(tmp, JSON.stringify(me) + '\n');
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) {
          throw exportError(`${dir}: cannot create the lock file ${LOCK_NAME} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, e);
        }
      }
      const { holder, stale } = await inspectLock(path);
      if (!stale) throw inUse(dir, path, holder, options.sample);
      notices.push(
        `${options.sample !== undefined ? `sample folder` : 'results folder'} ${dir}: took over the lock of a run that is no longer running (${holder ? describe(holder) : 'unreadable lock file'})`,
      );
      await rm(path, { force: true });
    }
  } finally {
    await rm(tmp, { force: true });
  }
  const removed = await removeStaleTempFiles(dir);
  if (removed.length > 0) {
    notices.push(`results folder ${dir}: removed ${removed.length} temporary file${removed.length === 1 ? '' : 's'} left by killed runs`);
  }
  let released = false;
  return {
    path,
    notices,
    async release() {
      if (released) return;
      released = true;
      const h = await readHolder(path);
      if (h && h.pid === me.pid && h.host === me.host) await rm(path, { force: true });
      // A run that failed before writing anything leaves no empty results folder behind.
      if (created) await rmdir(dir).catch(() => undefined);
    },
  };
}

/** `.<name>.tmp-<pid>-<12 hex>` (atomic.ts) and `.cellcoloc.lock.tmp-<pid>-<hex>`. */
const TEMP_RE = /^\..+\.tmp-(\d+)-[0-9a-f]{12}$/;

/**
 * Removes temporary files of processes that no longer exist, in `dir` and its subfolders (two levels:
 * the Cellpose cache and other per-run folders). Returns the removed paths.
 */
export async function removeStaleTempFiles(dir: string, depth = 2): Promise<string[]> {
  const removed: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (depth > 0 && !e.name.startsWith('.')) removed.push(...(await removeStaleTempFiles(p, depth - 1)));
      continue;
    }
    const m = TEMP_RE.exec(e.name);
    if (!m || !e.isFile()) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    await rm(p, { force: true });
    removed.push(p);
  }
  return removed;
}

/** Runs `fn` holding the results folder's lock; notices go to `notice`. */
export async function withResultsLock<T>(dir: string, command: string, notice: (s: string) => void, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireResultsLock(dir, command);
  for (const n of lock.notices) notice(n);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * `withResultsLock` for commands that read an existing folder (`report`, `merge`): a folder that does not exist is
 * not created for the lock — the command itself reports it missing.
 */
export async function withFolderLock<T>(dir: string, command: string, notice: (s: string) => void, fn: () => Promise<T>): Promise<T> {
  return existsSync(dir) ? withResultsLock(dir, command, notice, fn) : fn();
}
