/**
 * Atomic file writes: data goes to a hidden temporary file in the target's directory, then `rename`
 * (atomic within one file system on POSIX) replaces the target. A reader never sees a half-written
 * file, and a failed export leaves the previous results in place (fix Q39: the original overwrote silently,
 * file by file).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CellColocError } from '../core/errors.js';

/**
 * File content: bytes, text (UTF-8), a list of byte chunks written in order (no concatenation copy), or content
 * produced while it is written (`StreamedContent`: never held whole in memory).
 */
export type FileData = Uint8Array | string | readonly Uint8Array[] | StreamedContent;

/** Content written into the temporary file piece by piece as it is produced (a frame-sized TIFF streamed from its box). */
export interface StreamedContent {
  /** Writes the whole content through `sink` (any order of positions); resolves with the file's size in bytes. */
  stream(sink: FileSink): Promise<number>;
}

export interface FileSink {
  /** Writes `bytes` at byte `position` of the file. */
  writeAt(bytes: Uint8Array, position: number): Promise<void>;
}

export function isStreamed(data: FileData): data is StreamedContent {
  return typeof data === 'object' && 'stream' in data;
}

export interface AtomicEntry {
  path: string;
  data: FileData;
}

export const exportError = (m: string, cause?: unknown) => new CellColocError('ExportError', m, { cause });

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e && typeof e === 'object' && 'code' in e && e.code ? `${e.code}: ${e.message}` : String((err as Error)?.message ?? err);
}

/** `<dir>/.<name>.tmp-<pid>-<random hex>` — hidden, unique per process and call. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Writes `data` to `tmp` and fsyncs it, so the later rename publishes complete content. */
async function writeTemp(tmp: string, data: FileData): Promise<void> {
  const fh = await open(tmp, 'wx');
  try {
    if (typeof data === 'string') {
      await fh.writeFile(data, 'utf8');
    } else if (data instanceof Uint8Array) {
      await fh.writeFile(data);
    } else if (isStreamed(data)) {
      await data.stream({
        async writeAt(bytes, position) {
          // `write` may write less than asked (like write(2)): loop until every byte is out.
          for (let done = 0; done < bytes.length; ) {
            const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
            done += bytesWritten;
          }
        },
      });
    } else {
      // Sequential writes at the current position; `writeFile` loops over partial writes (> 2 GiB chunks).
      for (const chunk of data) await fh.writeFile(chunk);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function removeQuietly(p: string): Promise<void> {
  await rm(p, { force: true }).catch(() => undefined);
}

/** Write one file atomically (temporary name, then rename). Throws an `ExportError` naming `path`. */
export async function writeFileAtomic(path: string, data: FileData): Promise<void> {
  await writeFilesAtomically([{ path, data }]);
}

/**
 * Write several files so that nothing is replaced unless every file could be written: all temporary
 * files first (in parallel), then a check that no target is a directory, then the renames. On any failure
 * the temporary files are removed and one `ExportError` names the file that failed; earlier results stay intact.
 */
export async function writeFilesAtomically(entries: readonly AtomicEntry[]): Promise<void> {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.path)) throw exportError(`${e.path}: listed twice in one export`);
    seen.add(e.path);
  }
  const batch = new AtomicFileBatch();
  for (const e of entries) batch.add(e.path, e.data);
  await batch.commit();
}

/**
 * `writeFilesAtomically` for files whose contents become ready one after another: each file goes to its temporary
 * name as soon as it is added (a results folder's CSVs are written and synced while its workbook is still being
 * built, issue 21); `commit` then publishes all of them exactly as `writeFilesAtomically` does, or `abort` removes
 * every temporary file (a later content could not be produced).
 */
export class AtomicFileBatch {
  private readonly paths: string[] = [];
  private readonly temps: string[] = [];
  private readonly writes: Promise<void>[] = [];

  /** Starts writing `data` under a temporary name beside `path`. A path added twice is an ExportError. */
  add(path: string, data: FileData): void {
    if (this.paths.includes(path)) throw exportError(`${path}: listed twice in one export`);
    const temp = tempPathFor(path);
    const write = writeTemp(temp, data);
    write.catch(() => undefined); // reported by commit, in the order the files were added
    this.paths.push(path);
    this.temps.push(temp);
    this.writes.push(write);
  }

  /**
   * Waits until every file added so far is written (or has failed: `commit` reports it): a manifest listing the
   * sizes of streamed files is built only then.
   */
  async settled(): Promise<void> {
    await Promise.allSettled(this.writes);
  }

  /** Removes the temporary files (waiting for writes in progress first); the targets are left as they were. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.writes);
    await Promise.all(this.temps.map(removeQuietly));
  }

  /** Waits for every write, then renames every temporary file onto its target (see `writeFilesAtomically`). */
  async commit(): Promise<void> {
    const { paths, temps } = this;
    const results = await Promise.allSettled(this.writes);
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      await Promise.all(temps.map(removeQuietly));
      const err = (results[failed] as PromiseRejectedResult).reason;
      throw exportError(`${paths[failed]}: could not write the file (${reason(err)})`, err);
    }
    // A directory in a target's place would make that rename fail after earlier renames succeeded: check first.
    for (const p of paths) {
      const st = await stat(p).catch(() => null);
      if (st?.isDirectory()) {
        await Promise.all(temps.map(removeQuietly));
        throw exportError(`${p}: cannot write the file, a directory with this name exists`);
      }
    }
    for (let i = 0; i < paths.length; i++) {
      try {
        await rename(temps[i], paths[i]);
      } catch (err) {
        await Promise.all(temps.slice(i).map(removeQuietly));
        throw exportError(`${paths[i]}: could not replace the file (${reason(err)})`, err);
      }
    }
  }
}
