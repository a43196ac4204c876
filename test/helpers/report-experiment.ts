/**
 * Runs and experiments for the report tests. Experiments are made by a real `cellcoloc batch` (issue 14) of the
 * shipped demo image with per-sample config overrides from the sheet: s05 has a far higher min_cell_voxels, so
 * its cell count is an outlier; s06 (a truncated copy of the image) fails alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'cellcoloc.mjs');
export const DEMO_IMAGE = join(ROOT, 'data', 'demo', 'ht29_dna_ph3.ome.tif');

export interface DemoSample {
  sample: string;
  condition: string;
  well: string;
  coloc: string;
}

export const DEMO_SAMPLES: DemoSample[] = [
  { sample: 's01', condition: 'ctrl', well: 'A01', coloc: '{min_cell_voxels: 30, overlap_fraction_threshold: 0.05, min_overlap_voxels: 10}' },
  { sample: 's02', condition: 'ctrl', well: 'A02', coloc: '{min_cell_voxels: 35, overlap_fraction_threshold: 0.05, min_overlap_voxels: 10}' },
  { sample: 's03', condition: 'drug', well: 'B01', coloc: '{min_cell_voxels: 30, overlap_fraction_threshold: 0.2, min_overlap_voxels: 10}' },
  { sample: 's04', condition: 'drug', well: 'B02', coloc: '{min_cell_voxels: 30, overlap_fraction_threshold: 0.4, min_overlap_voxels: 10}' },
  { sample: 's05', condition: 'drug', well: 'B03', coloc: '{min_cell_voxels: 150, overlap_fraction_threshold: 0.05, min_overlap_voxels: 10}' },
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

/**
 * A real `cellcoloc batch` (the built CLI, two worker processes) of the demo image with per-sample config
 * overrides from the sheet, plus a truncated copy of the image (`s06`) that fails alone. The batch writes the
 * experiment report itself at the end (its report wiring); `cellcoloc report DIR` rebuilds it.
 */
export function buildDemoExperiment(dir: string, samples: DemoSample[] = DEMO_SAMPLES): { out: string; code: number | null; err: string } {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'base.yaml'), demoConfig('{min_cell_voxels: 30, overlap_fraction_threshold: 0.05, min_overlap_voxels: 10}').replace(/^image:.*\n/m, ''));
  writeFileSync(join(dir, 'corrupt.tif'), readFileSync(DEMO_IMAGE).subarray(0, 4096));
  const rows = samples.map((s) => {
    const c = /min_cell_voxels: (\d+), overlap_fraction_threshold: ([\d.]+)/.exec(s.coloc)!;
    return `${s.sample},${DEMO_IMAGE},${s.condition},${s.well},${c[1]},${c[2]}`;
  });
  writeFileSync(
    join(dir, 'samples.csv'),
    ['sample,image,condition,well,config.colocalization_config.min_cell_voxels,config.colocalization_config.overlap_fraction_threshold', ...rows, 's06,corrupt.tif,drug,B04,30,0.05'].join('\n') + '\n',
  );
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, [BIN, 'batch', 'samples.csv', '--config', 'base.yaml', '--results-dir', out, '--jobs', '2', '-q'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  return { out, code: r.status, err: r.stderr };
}
