/**
 * Writes one run's report.html (or `<stem>_report.html` when the folder holds several runs) and the
 * whole-image overlay beside it that experiment galleries reuse, atomically.
 */
import { join } from 'node:path';
import { writeFilesAtomically } from '../io/atomic-write.js';
import { listRunManifests, readRunFolder } from './run-folder.js';
import { buildRunReport } from './run-report.js';

export const REPORT_FILE = 'report.html';
/** The whole-image overlay a run report leaves beside itself for experiment galleries. */
export const THUMBNAIL_SUFFIX = '_report_thumbnail.png';

/** The run report (and its gallery thumbnail) of one run folder. */
export async function writeRunReport(dir: string, stem?: string): Promise<string> {
  const manifests = await listRunManifests(dir);
  const run = await readRunFolder(dir, stem);
  const report = await buildRunReport(run);
  const out = join(dir, manifests.length > 1 ? `${run.stem}_${REPORT_FILE}` : REPORT_FILE);
  await writeFilesAtomically([
    { path: out, data: report.html },
    { path: join(dir, `${run.stem}${THUMBNAIL_SUFFIX}`), data: report.galleryThumbnail.png },
  ]);
  return out;
}
