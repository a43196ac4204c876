/**
 * Issue 15.3: bounded parameters; JSON and YAML behave the same (duplicate keys refused, BOM accepted);
 * special files and read errors name the file; the YAML alias bomb names the file. Every reproducer of the
 * issue's config list is a test here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfigObject } from '../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-cfg-hard-'));
const image = join(dir, 'img.tif');
writeFileSync(image, 'II*\0');
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const base = { image, channel_config: { cell_channel: 0, marker_channel: 1 }, rois: 'full' };

async function refuses(p: Promise<unknown>, what: RegExp) {
  await assert.rejects(p, (e: any) => {
    assert.ok(e._tag === 'ConfigError' || e._tag === 'InputError', String(e?.stack ?? e));
    assert.ok(!e.message.includes('\n'), e.message);
    assert.match(e.message, what);
    return true;
  });
}

test('JSON duplicate keys are refused like YAML ones, with file:line:col and the key', async () => {
  const j = write('dup.json', JSON.stringify(base).replace('"rois":"full"', '"rois":"full",\n"rois":"full"'));
  await refuses(loadConfigFile(j), new RegExp(`^${j}:2:1: invalid JSON: duplicate key "rois"`));
  const nested = write('dup2.json', `{"image": ${JSON.stringify(image)}, "channel_config": {"cell_channel": 0, "cell_channel": 1, "marker_channel": 1}, "rois": "full"}`);
  await refuses(loadConfigFile(nested), /invalid JSON: duplicate key "cell_channel"/);
  const y = write('dup.yaml', `image: ${image}\nchannel_config: {cell_channel: 0, marker_channel: 1}\nrois: full\nrois: full\n`);
  await refuses(loadConfigFile(y), new RegExp(`^${y}:4:1: invalid YAML`));
});

test('a UTF-8 BOM is accepted in JSON as in YAML', async () => {
  const j = write('bom.json', '\uFEFF' + JSON.stringify(base));
  const y = write('bom.yaml', `\uFEFFimage: ${image}\nchannel_config: {cell_channel: 0, marker_channel: 1}\nrois: full\n`);
  assert.equal((await loadConfigFile(j)).image, image);
  assert.equal((await loadConfigFile(y)).image, image);
});

test('the YAML alias bomb is one error naming the file', async () => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 10; i++) {
    const p = String.fromCharCode(96 + i);
    const q = String.fromCharCode(97 + i);
    lines.push(`${q}: &${q} [${new Array(9).fill(`*${p}`).join(',')}]`);
  }
  const p = write('bomb.yaml', lines.join('\n') + '\n');
  await refuses(loadConfigFile(p), new RegExp(`^${p}: invalid YAML: Excessive alias count`));
});

test('special files as the config: directory, FIFO, device, /proc/self/mem name the file', async () => {
  const d = join(dir, 'cfgdir.yaml');
  mkdirSync(d);
  await refuses(loadConfigFile(d), new RegExp(`^${d}: is a directory`));
  const fifo = join(dir, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  await refuses(loadConfigFile(fifo), new RegExp(`^${fifo}: not a regular file`));
  await refuses(loadConfigFile('/dev/zero'), /^\/dev\/zero: not a regular file/);
  // /proc/self/mem is a "regular" file whose read fails with EIO: the message names it.
  const mem = join(dir, 'mem.yaml');
  execFileSync('ln', ['-s', '/proc/self/mem', mem]);
  await refuses(loadConfigFile(mem), new RegExp(`^${mem}: cannot read the config file \\(EIO`));
});

test('numeric fields are bounded: voxel counts, filter sizes and radii, axes, ROI vertices', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ colocalization_config: { min_overlap_voxels: 1e308 } }, /colocalization_config\.min_overlap_voxels: expected a number from 0 to 2147483647, got 1e\+308/],
    [{ colocalization_config: { min_cell_voxels: 3e9 } }, /min_cell_voxels: expected a number from 0 to 2147483647/],
    [{ cell_model_config: { prefilter: 'gaussian', prefilter_sigma_xy: 1e6 } }, /cell_model_config\.prefilter_sigma_xy: expected a number from 0 to 50, got 1000000/],
    [{ cell_model_config: { prefilter: 'median', prefilter_median_size_xy: 1000 } }, /prefilter_median_size_xy: expected an integer from 1 to 31, got 1000/],
    [{ cell_model_config: { threshold_background_sigma: 5000 } }, /threshold_background_sigma: expected a number from 0 to 200/],
    [{ cell_model_config: { local_contrast_shell_outer_radius: 10000 } }, /local_contrast_shell_outer_radius: expected an integer from 1 to 50/],
    [{ cell_model_config: { diameter: 0.001 } }, /diameter: expected a number from 1 to 2000/],
    [{ cell_model_config: { threshold_min_object_voxels: 2 ** 40 } }, /threshold_min_object_voxels: expected an integer from -2147483647 to 2147483647/],
    [{ cell_model_config: { z_crop: [0, 1e12] } }, /z_crop/],
    [{ runtime_config: { t: 2 ** 31 } }, /runtime_config\.t: expected an integer from 0 to 2147483647/],
  ];
  for (const [extra, what] of bad) {
    assert.throws(() => parseConfigObject({ ...base, ...extra }, join(dir, 'c.yaml')), (e: any) => {
      assert.equal(e._tag, 'ConfigError');
      assert.match(e.message, what);
      return true;
    }, JSON.stringify(extra));
  }
  const vertices = Array.from({ length: 100_001 }, (_, i) => [i % 7, i % 11]);
  assert.throws(() => parseConfigObject({ ...base, rois: { shapes: [{ type: 'polygon', data: vertices }] } }), /at most 100000 \[y, x\] vertices/);
  // In-range values still pass.
  const ok = parseConfigObject({ ...base, cell_model_config: { prefilter: 'gaussian', prefilter_sigma_xy: 50 }, colocalization_config: { min_overlap_voxels: 2 ** 31 - 1 } });
  assert.equal(ok.cellModelConfig.prefilterSigmaXy, 50);
});
