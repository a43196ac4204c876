/** The CLI side of the results-folder lock (src/export/results-lock.ts): which folder a config writes to. */
import type { AnalysisConfig } from '../config/types.js';
import { withResultsLock } from '../export/results-lock.js';
import { buildResultsPaths } from '../export/results-paths.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/**
 * Runs `fn` holding the lock of the config's results folder (issue 15.4: one run per folder; a stale lock
 * of a killed run is taken over and its temporary files removed, with a notice on stderr).
 */
export async function withConfigResultsLock<T>(config: AnalysisConfig, command: string, io: Io, fn: () => Promise<T>): Promise<T> {
  const first = Array.isArray(config.image) ? config.image[0] : config.image;
  const dir = buildResultsPaths(first, { resultsDir: config.resultsDir, cropForTesting: config.runtimeConfig.cropForTesting }).resultsDir;
  return withResultsLock(dir, command, (n) => io.err(`cellcoloc: notice: ${n}\n`), fn);
}

