/**
 * `cellcoloc init [path] [--image FILE] [--force]`: writes a fully commented config. With `--image`, the
 * image's metadata (channel count and names, z planes, voxel size) fills in the channels, 2D/3D starting
 * values and `voxel_scale_zyx`; no pixels are read.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { exampleConfigYaml, type ImageFacts } from '../../config/example-config.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { openImageStack } from '../../io/image-stack.js';
import type { Io } from '../io.js';

/** Reads what the config needs from the image's metadata. `configDir`: the image path is written relative to it. */
export async function imageFactsFor(imagePath: string, configDir: string): Promise<ImageFacts> {
  const abs = resolve(imagePath);
  if (!existsSync(abs)) throw new Error(`--image ${imagePath}: no such file`);
  const stack = await openImageStack(abs);
  const [T, Z, C, Y, X] = stack.rawShapeTzcyx;
  let rel = relative(configDir, abs);
  if (rel === '' || rel.startsWith('..' + sep + '..' + sep + '..')) rel = abs; // far away: keep it absolute
  return {
    image: rel.split(sep).join('/'),
    channels: C,
    planes: Z,
    height: Y,
    width: X,
    timePoints: T,
    dtype: stack.dtype,
    channelNames: Array.from({ length: C }, (_, c) => stack.channelNames[c] ?? ''),
    voxelSizeUm: stack.physicalSize.zyxUm,
  };
}

export function register(program: Command, io: Io): void {
  program
    .command('init')
    .description('write a fully commented config with every field; with --image, filled in from that image')
    .argument('[path]', 'where to write it', 'cellcoloc.yaml')
    .option('--image <file>', 'read the channels (and their names), 2D or 3D and the voxel size from this image')
    .option('-f, --force', 'overwrite an existing file')
    .action(async (path: string, opts: { force?: boolean; image?: string }) => {
      const target = resolve(path);
      if (existsSync(target) && !opts.force) {
        throw new Error(`${target} already exists (use --force to overwrite)`);
      }
      const facts = opts.image !== undefined ? await imageFactsFor(opts.image, dirname(target)) : undefined;
      await mkdir(dirname(target), { recursive: true });
      await writeFileAtomic(target, exampleConfigYaml(facts));
      const shown = relative(process.cwd(), target) || target;
      const next = facts
        ? `check the channel choice in it, then run: cellcoloc run ${shown}`
        : `edit \`image\` and the channel indices (or use --image <file>), then run: cellcoloc run ${shown}`;
      io.out(`wrote ${target}\n${next}\n`);
    });
}
