/**
 * An experiment folder in issue 14's layout (COORDINATION.md: samples/<s>/ = what `cellcoloc run` writes,
 * failures.csv, experiment_summary.csv, batch_manifest.json), built from real single runs of the shipped demo
 * image with different configs — until `cellcoloc batch` writes such folders itself. Sample s05 has a far
 * higher min_cell_voxels, so its cell count is an outlier; s06 "failed".
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.js';

export const DEMO_IMAGE = resolve('data/demo/ht29_dna_ph3.ome.tif');

export interface DemoSample {
  sample: string;
  condition: string;
  well: string;
  coloc: string;
  /** Write the run's own report at the end of the run (else the experiment report has to write it). */
  report: boolean;
}

export const DEMO_SAMPLES: DemoSample[] = [
  { sample: 's01', condition: 'ctrl', well: 'A01', coloc: '{min_cell_voxels: 30, overlap_fraction_threshold: 0.05, min_overlap_voxels: 10}', report: true },
  { sample: 's02', condition: 'ctrl', well: 'A02', coloc: '{min_cell_voxels: 35, overlap_fraction_threshold: 0.05, min_overlap_voxels: 10}', report: false },
  { sample: 's03', condition: 'drug', well: 'B01', coloc: '{min_cell_voxels: 30, overlap_fraction_threshold: 0.2, min_overlap_voxels: 10}', report: true },
  { sample: 's04', condition: 'drug', well: 'B02', coloc: '{min_cell_voxels: 30, overlap_fraction_threshold: 0.4, min_overlap_voxels: 10}', report: false },
  { sample: 's05', condition: 'drug', well: 'B03', coloc: '{min_cell_voxels: 150, overlap_fraction_threshold: 0.05, min_overlap_voxels: 10}', report: false },
];

export function demoConfig(coloc: string): string {
  return `image: ${DEMO_IMAGE}
voxel_scale_zyx: [1.0, 1.0]
channel_config: {cell_channel: 0, marker_channel: 1}
display_names: {cell: DNA (nuclei), marker: pH3}
cell_model_config: {segmentation_method: otsu, prefilter: gaussian, prefilter_sigma_xy: 1.0, threshold_min_object_voxels: 20, threshold_min_hole_voxels: 20}
marker_model_config: {segmentation_method: otsu, prefilter: gaussian, prefilter_sigma_xy: 1.0, threshold_min_object_voxels: 10, threshold_min_hole_voxels: 10}
colocalization_config: ${coloc}
rois: full
`;
}

export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Overview numbers of one sample folder, read straight from its CSV. */
export function overviewCounts(sampleDir: string, stem = 'ht29_dna_ph3.ome'): { nCells: number; nPositive: number } {
  const [head, ...rows] = readFileSync(join(sampleDir, `${stem}_roi_coloc_overview.csv`), 'utf8').trim().split('\n');
  const h = head.split(',');
  let nCells = 0;
  let nPositive = 0;
  for (const r of rows) {
    const f = r.split(',');
    nCells += Number(f[h.indexOf('n_cells')]);
    nPositive += Number(f[h.indexOf('n_marker_positive_cells')]);
  }
  return { nCells, nPositive };
}

/** Runs the samples into `dir/samples/<s>/` and writes the experiment-level files. */
export async function buildDemoExperiment(dir: string, samples: DemoSample[] = DEMO_SAMPLES): Promise<void> {
  mkdirSync(join(dir, 'configs'), { recursive: true });
  const summary = ['sample,condition,well,roi_id,n_cells,n_marker_positive_cells'];
  for (const s of samples) {
    const cfg = join(dir, 'configs', `${s.sample}.yaml`);
    writeFileSync(cfg, demoConfig(s.coloc));
    const sdir = join(dir, 'samples', s.sample);
    const r = await cli(['run', cfg, '--results-dir', sdir, '-q', ...(s.report ? [] : ['--no-report'])]);
    if (r.code !== 0) throw new Error(`sample ${s.sample}: ${r.err}`);
    writeFileSync(join(sdir, 'done.json'), JSON.stringify({ sample: s.sample }));
    const c = overviewCounts(sdir);
    summary.push(`${s.sample},${s.condition},${s.well},1,${c.nCells},${c.nPositive}`);
  }
  mkdirSync(join(dir, 'samples', 's06'), { recursive: true });
  writeFileSync(join(dir, 'samples.csv'), ['sample,image,condition,well', ...samples.map((s) => `${s.sample},${DEMO_IMAGE},${s.condition},${s.well}`), `s06,missing.tif,drug,B04`].join('\n') + '\n');
  writeFileSync(join(dir, 'experiment_summary.csv'), summary.join('\n') + '\n');
  writeFileSync(join(dir, 'failures.csv'), 'sample,error\ns06,"missing.tif: no such file (expected an image, sample sheet row 7)"\n');
  writeFileSync(join(dir, 'batch_manifest.json'), JSON.stringify({ createdAt: '2026-01-01T00:00:00.000Z', samples: [...samples.map((s) => s.sample), 's06'] }, null, 2));
}
