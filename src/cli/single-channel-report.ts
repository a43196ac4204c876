/**
 * `cellcoloc run` / `demo` on a config with `single_channel_config` (spec 13): runs the single-channel
 * workflow and prints per ROI the number of objects (objects touching the ROI) and the results folder.
 */
import type { AnalysisConfig } from '../config/types.js';
import { runSingleChannelWorkflow, type SingleChannelWorkflowResult } from '../pipeline/single-channel.js';
import { createProgressReporter } from './progress-reporter.js';

export interface ReportIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export async function runSingleChannelAndReport(config: AnalysisConfig, io: ReportIo, quiet: boolean): Promise<SingleChannelWorkflowResult> {
  const reporter = createProgressReporter(process.stderr, quiet);
  let res: SingleChannelWorkflowResult;
  try {
    res = await runSingleChannelWorkflow(config, { onProgress: (e) => reporter.onProgress(e), regionReads: true });
  } finally {
    reporter.stop();
  }
  for (const w of res.warnings) io.err(`cellcoloc: warning: ${w}\n`);
  const lines = ['ROI  objects'];
  for (const s of res.summary) lines.push(`${String(s.roiId).padStart(3)}  ${String(s.nObjects).padStart(7)}`);
  const total = res.timings.reduce((a, t) => a + t.ms, 0);
  io.out(`${lines.join('\n')}\nresults: ${res.paths.resultsDir}  (${(total / 1000).toFixed(2)} s)\n`);
  return res;
}
