/**
 * Issue 16.7: the config edit "Save ROIs" proposes is minimal — only the `rois` value changes, every comment,
 * blank line, quoting and key order stays byte for byte — and it is written only when applied. Expected texts
 * are written out by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { proposeRoisChange, applyRoisChange, lineDiff } from '../src/viewer/server/config-edit.js';

function withConfig(name: string, text: string, fn: (path: string, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-cfgedit-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return fn(p, dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('rois: full → one changed line; comments, quoting and flow maps elsewhere untouched; the file is written only on apply', async () => {
  const text = `# analysis of plate 3\nimage: "my image.tif"   # quoted on purpose\n\nchannel_config: {cell_channel: 0, marker_channel: 1}\nrois: full # whole image for now\nresults_dir: out\n`;
  await withConfig('exp.yaml', text, async (p, dir) => {
    const ch = await proposeRoisChange(p, join(dir, 'exp_rois.tif'));
    assert.equal(ch.upToDate, false);
    assert.equal(ch.line, 'rois: {label_image: exp_rois.tif}');
    assert.equal(ch.after, text.replace('rois: full #', 'rois: {label_image: exp_rois.tif} #'));
    assert.equal(ch.diff, '@@ line 5\n- rois: full # whole image for now\n+ rois: {label_image: exp_rois.tif} # whole image for now');
    assert.equal(readFileSync(p, 'utf8'), text, 'proposing writes nothing');
    await applyRoisChange(ch);
    assert.equal(readFileSync(p, 'utf8'), ch.after);
    const again = await proposeRoisChange(p, join(dir, 'exp_rois.tif'));
    assert.equal(again.upToDate, true);
  });
});

test('an existing block-style label_image: only the path changes; a missing rois key: one line appended', async () => {
  const block = `image: a.tif\nrois:\n  # drawn in the viewer\n  label_image: old/masks.tif   # keep\nresults_dir: out\n`;
  await withConfig('c.yaml', block, async (p, dir) => {
    const ch = await proposeRoisChange(p, join(dir, 'c_rois.tif'));
    assert.equal(ch.after, block.replace('old/masks.tif', 'c_rois.tif'));
  });
  const none = `image: a.tif\nresults_dir: out   # last line, no newline`;
  await withConfig('d.yml', none, async (p, dir) => {
    const ch = await proposeRoisChange(p, join(dir, 'sub', 'd_rois.tif'));
    assert.equal(ch.after, `${none}\nrois: {label_image: sub/d_rois.tif}\n`);
  });
  // A shapes list (block sequence of maps) is replaced as a whole; everything after it stays.
  const shapes = `rois:\n  shapes:\n    - {type: polygon, data: [[0, 0], [0, 5], [5, 0]]}\n# tail comment\nresults_dir: out\n`;
  await withConfig('e.yaml', shapes, async (p, dir) => {
    const ch = await proposeRoisChange(p, join(dir, 'e_rois.tif'));
    assert.match(ch.after, /^rois:\n\s*\{label_image: e_rois\.tif\}\n# tail comment\nresults_dir: out\n$/);
  });
});

test('JSON configs get the same minimal edit; a file changed since the proposal is not overwritten', async () => {
  const json = `{\n    "image": "a.tif",\n    "rois": "full",\n    "results_dir": "out"\n}\n`;
  await withConfig('j.json', json, async (p, dir) => {
    const ch = await proposeRoisChange(p, join(dir, 'j_rois.tif'));
    assert.equal(ch.after, json.replace('"rois": "full"', '"rois": {"label_image": "j_rois.tif"}'));
    writeFileSync(p, json.replace('out', 'out2'));
    await assert.rejects(applyRoisChange(ch), /changed since the ROIs were saved/);
    assert.equal(readFileSync(p, 'utf8'), json.replace('out', 'out2'));
  });
});

test('lineDiff shows only the changed lines', () => {
  assert.equal(lineDiff('a\nb\nc\n', 'a\nB\nc\n'), '@@ line 2\n- b\n+ B');
  assert.equal(lineDiff('a\n', 'a\nb\n'), '@@ line 2\n+ b');
});
