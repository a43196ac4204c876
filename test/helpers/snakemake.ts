/** Helpers of the Snakemake / SLURM tests (issue 14.9). */
import { spawnSync } from 'node:child_process';

/** Three quarter crops of the demo (two channels each) and a corrupt image, two conditions. */
export const SHEET_4 =
  ['sample,channel_0,channel_1,image,condition', 'q1,dna_q1.tif,ph3_q1.tif,,ctrl', 'q2,dna_q2.tif,ph3_q2.tif,,ctrl', 'q3,dna_q3.tif,ph3_q3.tif,,stim', 'broken,,,corrupt.tif,stim'].join('\n') + '\n';

/** null when `snakemake --version` works, else why not. */
export function snakemakeMissing(): string | null {
  const r = spawnSync('snakemake', ['--version'], { encoding: 'utf8' });
  if (r.error) return `snakemake not found (${(r.error as NodeJS.ErrnoException).code}); install it: apt-get install -y snakemake`;
  if (r.status !== 0) return `snakemake --version exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`;
  return null;
}
