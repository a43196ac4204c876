/**
 * `cellcoloc snapshot <config> --out view.png [--layers a,b] [--z N|max]`: the viewer's composite rendered
 * without a browser (same compositing code as the app), for reports.
 */
import { dirname, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { openViewerSession } from '../../viewer/server/single-channel-session.js';
import { renderSnapshot, SNAPSHOT_IMAGE_LAYERS, SNAPSHOT_LABEL_LAYERS } from '../../viewer/server/snapshot.js';
import type { Io } from '../io.js';

function plane(v: string): number | 'max' {
  if (v === 'max') return 'max';
  if (!/^\d{1,9}$/.test(v)) throw new InvalidArgumentError(`--z: expected max or a plane index (integer >= 0), got ${JSON.stringify(v)}`);
  return Number(v);
}

export function register(program: Command, io: Io): void {
  const names = [...Object.keys(SNAPSHOT_IMAGE_LAYERS), ...Object.keys(SNAPSHOT_LABEL_LAYERS)].join(',');
  program
    .command('snapshot')
    .description('render the viewer\'s composite (channels + label layers of the last run) to a PNG, without a browser')
    .argument('<config>', 'config file of the analysis (its results folder supplies the label layers)')
    .requiredOption('--out <png>', 'PNG file to write')
    .option('--layers <list>', `comma-separated layers to draw (default: all present; names: ${names})`)
    .option('--z <n|max>', 'plane index or max (default: 0 for 2D, max projection for a stack)', plane)
    .option('--results-dir <dir>', 'results folder, if not the config\'s (overrides results_dir)')
    .action(async (configPath: string, opts: { out: string; layers?: string; z?: number | 'max'; resultsDir?: string }) => {
      const session = await openViewerSession(configPath, opts.resultsDir !== undefined ? { resultsDir: opts.resultsDir } : {});
      const layers = opts.layers
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const snap = renderSnapshot(session, { layers, z: opts.z });
      const out = resolve(opts.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFileAtomic(out, snap.png);
      io.out(`wrote ${out} (${snap.width}×${snap.height}; layers: ${snap.layers.join(', ')})\n`);
    });
}
