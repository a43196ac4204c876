/**
 * `DIR/batch_sheet.json`: the experiment's sample list as the last `cellcoloc batch` read it (sample names in
 * sheet order, their metadata, the sheet's and base config's hashes). It lets `cellcoloc merge DIR` list every
 * sample — also one whose job never wrote anything (killed by a cluster scheduler) — without the sheet at hand.
 * Every `batch` invocation writes it atomically with the same content for the same sheet, so parallel
 * `batch --only` jobs of one experiment do not conflict.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { SampleSheet } from './sheet.js';
import type { BaseConfig } from './sample-config.js';

export const SHEET_RECORD_FILE = 'batch_sheet.json';

export interface SheetRecord {
  sheetRecordSchemaVersion: number;
  sheet: { path: string; sha256: string };
  baseConfig: { path: string; sha256: string };
  version: string | null;
  metadataColumns: string[];
  samples: { sample: string; metadata: Record<string, string> }[];
}

export function sheetRecordOf(sheet: SampleSheet, base: BaseConfig, version: string | null): SheetRecord {
  return {
    sheetRecordSchemaVersion: 1,
    sheet: { path: sheet.path, sha256: sheet.sha256 },
    baseConfig: { path: base.path, sha256: base.sha256 },
    version,
    metadataColumns: sheet.metadataColumns,
    samples: sheet.rows.map((r) => ({ sample: r.sample, metadata: r.metadata })),
  };
}

export async function writeSheetRecord(dir: string, record: SheetRecord): Promise<void> {
  await writeFileAtomic(join(dir, SHEET_RECORD_FILE), JSON.stringify(record, null, 2) + '\n');
}

export async function readSheetRecord(dir: string): Promise<SheetRecord> {
  const path = join(dir, SHEET_RECORD_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw inputError(`${dir}: not an experiment folder (no ${SHEET_RECORD_FILE}; \`cellcoloc batch\` writes it)`);
  }
  try {
    const r = JSON.parse(text) as SheetRecord;
    if (!Array.isArray(r.samples) || !Array.isArray(r.metadataColumns)) throw new Error('samples or metadataColumns missing');
    return r;
  } catch (err) {
    throw inputError(`${path}: corrupt experiment record (${(err as Error).message}); run \`cellcoloc batch\` again to rewrite it`);
  }
}
