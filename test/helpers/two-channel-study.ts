/**
 * A two-channel 2-D study on disk for viewer tests: one TIFF per channel (`c0.tif`, `c1.tif`, each `[1, N, N]`) and a
 * `config.yaml` naming them, the results folder `DIR/results`, 1 µm pixels and the given config sections.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeTiffStack } from '../../src/io/tiff-writer.js';

export function writeTwoChannelStudy(dir: string, planes: readonly Uint16Array[], N: number, sections: readonly string[]): { cfg: string; images: string[] } {
  const images = planes.map((data, c) => {
    const f = join(dir, `c${c}.tif`);
    writeFileSync(f, encodeTiffStack({ data, shape: [1, N, N] }, {}));
    return f;
  });
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    [
      `image: [${images.map((f) => JSON.stringify(f)).join(', ')}]`,
      `results_dir: ${JSON.stringify(join(dir, 'results'))}`,
      'voxel_scale_zyx: [1.0, 1.0]',
      ...sections,
      '',
    ].join('\n'),
  );
  return { cfg, images };
}
