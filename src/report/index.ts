/**
 * `writeReport(dir)`: the self-contained `report.html` of a run's results folder or of an experiment folder
 * (issue 17), rebuilt from the files alone — no re-analysis. A folder with one `<stem>_run_manifest.json` is a
 * run (also a crop run's `crop_…/` folder, single-channel and three-channel runs); a folder with
 * `batch_manifest.json` and `samples/` is an experiment (COORDINATION: issue 14's layout).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inputError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { listRunManifests } from './run-folder.js';
import { buildExperimentReport } from './experiment-report.js';
import { REPORT_FILE, writeRunReport } from './write-run.js';

export { REPORT_FILE, THUMBNAIL_SUFFIX, writeRunReport } from './write-run.js';

export interface WriteReportOptions {
  /** Which run, when a folder holds several manifests (the report is then `<stem>_report.html`). */
  stem?: string;
  /** Progress lines (experiment reports of many samples). */
  onProgress?: (message: string) => void;
}

export type ReportTarget = { kind: 'run'; dir: string } | { kind: 'experiment'; dir: string };

export async function detectReportTarget(dir: string): Promise<ReportTarget> {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw inputError(`${abs}: no such folder (expected a run's results folder or an experiment folder)`);
  if (existsSync(join(abs, 'batch_manifest.json'))) return { kind: 'experiment', dir: abs };
  const manifests = await listRunManifests(abs);
  if (manifests.length > 0) return { kind: 'run', dir: abs };
  throw inputError(
    `${abs}: neither a run's results folder (no <stem>_run_manifest.json) nor an experiment folder (no batch_manifest.json)`,
  );
}

/** Writes the report of `dir` and returns its path. */
export async function writeReport(dir: string, opts: WriteReportOptions = {}): Promise<string> {
  const target = await detectReportTarget(dir);
  if (target.kind === 'experiment') {
    const html = await buildExperimentReport(target.dir, opts.onProgress);
    const out = join(target.dir, REPORT_FILE);
    await writeFileAtomic(out, html);
    return out;
  }
  return writeRunReport(target.dir, opts.stem);
}

