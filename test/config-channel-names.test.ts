/**
 * Channels by name (issue 20.2): `cell_channel: DAPI` resolves against the image's own channel names (OME-Zarr
 * omero labels, OME-TIFF Channel Name), exact then case-insensitive; an unknown name lists the channels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfigObject } from '../src/config/load-config.js';
import { resolveChannelNames } from '../src/config/channel-names.js';
import { caseDir, FIXTURES } from './helpers/fixtures.js';

const zarr2d = join(FIXTURES, 'zarr', '2d_otsu_blosc_lz4.ome.zarr'); // omero labels DAPI, pH3
const tiff2d = join(caseDir('2d_two_channel_otsu_fullroi'), 'input.ome.tif'); // OME channel names cells, marker

test('channel names resolve to indices: OME-Zarr labels and OME-TIFF names, exact then case-insensitive', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-chnames-'));
  try {
    const a = join(dir, 'a.yaml');
    writeFileSync(a, `image: ${zarr2d}\nchannel_config: {cell_channel: pH3, marker_channel: dapi}\n`);
    const ca = await loadConfigFile(a);
    assert.deepEqual([ca.channelConfig.cellChannel, ca.channelConfig.markerChannel], [1, 0]);
    const b = join(dir, 'b.yaml');
    writeFileSync(b, `image: ${tiff2d}\nchannel_config: {cell_channel: cells, marker_channel: 1, optional_region_channel: marker}\n`);
    const cb = await loadConfigFile(b);
    assert.deepEqual([cb.channelConfig.cellChannel, cb.channelConfig.markerChannel, cb.channelConfig.optionalRegionChannel], [0, 1, 1]);
    const s = join(dir, 's.yaml');
    writeFileSync(s, `image: ${zarr2d}\nsingle_channel_config: {channel_index: DAPI}\nmodel_config: {segmentation_method: otsu}\n`);
    assert.equal((await loadConfigFile(s)).singleChannel!.channelIndex, 0);
    // In-memory configs (batch samples, library callers) resolve through the same function.
    const mem = parseConfigObject({ image: zarr2d, channel_config: { cell_channel: 'DAPI', marker_channel: 'pH3' } });
    assert.equal(mem.channelConfig.cellChannel, -1);
    const r = await resolveChannelNames(mem);
    assert.deepEqual([r.channelConfig.cellChannel, r.channelConfig.markerChannel], [0, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown channel name is one error naming the key and listing the image channels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-chnames-'));
  try {
    const p = join(dir, 'c.yaml');
    writeFileSync(p, `image: ${zarr2d}\nchannel_config: {cell_channel: Hoechst, marker_channel: pH3}\n`);
    await assert.rejects(loadConfigFile(p), (e: Error) => {
      assert.equal(e.message, `${p}: channel_config.cell_channel: no channel named "Hoechst"; the image's channels are 0: "DAPI", 1: "pH3"`);
      return true;
    });
    const q = join(dir, 'd.yaml');
    writeFileSync(q, `image: ${zarr2d}\nchannel_config: {cell_channel: "", marker_channel: 1}\n`);
    await assert.rejects(loadConfigFile(q), /channel_config\.cell_channel: expected a channel index \(an integer >= 0\) or a channel name/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
