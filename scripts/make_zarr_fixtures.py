#!/usr/bin/env python3
"""
Writes the OME-Zarr (NGFF 0.4, Zarr v2) test fixtures of test/fixtures/zarr/ with Debian's python3-zarr
(2.13) and numcodecs (0.11) — an independent writer, so the reader is tested against files it did not make.

Usage (Debian 12): apt-get install -y python3-zarr python3-numcodecs python3-tifffile
                   /usr/bin/python3 scripts/make_zarr_fixtures.py

Inputs are the upstream parity fixtures' images (test/fixtures/upstream/<case>/input.ome.tif), so that the
tables computed from the Zarr copies can be compared with the original's expected outputs.

Stores written (one codec / layout variant each, all small):
- 2d_otsu_blosc_lz4.ome.zarr: 2D two-channel (c, y, x), blosc lz4 + bitshuffle, 64² chunks, '/' separator,
  two levels (level 1 = 2× downsampled y/x), channel labels DAPI / pH3, scale 0.5 µm.
- 3d_otsu_zstd.ome.zarr: 3D two-channel (c, z, y, x), zstd, '.' separator, chunks (1, 4, 64, 64),
  scale [z 2.0, y 0.5, x 0.5] micrometer.
- 3d_otsu_tczyx_gzip.ome.zarr: the same as (t, c, z, y, x) with t = 2 (t = 1 is the image + 1000), gzip,
  blosc-zstd + shuffle on level 0? no: gzip; units in nanometer (500 nm) to test unit conversion.
- plate_2wells.ome.zarr: an HCS plate (NGFF 0.4 `plate`/`well`), rows A, columns 1 and 2, wells A/1 and A/2 with
  one field each (field 0), images = the 2D fixture's left and right halves (c, y, x), blosc zstd.
- bad stores for the error tests: missing_zattrs.ome.zarr (no .zattrs), missing_chunk.ome.zarr (one chunk file
  deleted), truncated_chunk.ome.zarr (one chunk file cut to 10 bytes), bad_axes.ome.zarr (axes y, y).
"""
import json
import os
import shutil
import sys

import numcodecs
import numpy as np
import tifffile
import zarr

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
UP = os.path.join(ROOT, 'test', 'fixtures', 'upstream')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'zarr')


def read_case(case):
    with tifffile.TiffFile(os.path.join(UP, case, 'input.ome.tif')) as t:
        s = t.series[0]
        return s.axes, s.asarray()


def multiscales(axes, scales, units):
    ax = []
    for a in axes:
        kind = {'t': 'time', 'c': 'channel'}.get(a, 'space')
        d = {'name': a, 'type': kind}
        if kind == 'space':
            d['unit'] = units
        ax.append(d)
    return [{
        'version': '0.4',
        'name': 'image',
        'axes': ax,
        'datasets': [
            {'path': str(i), 'coordinateTransformations': [{'type': 'scale', 'scale': list(map(float, sc))}]}
            for i, sc in enumerate(scales)
        ],
    }]


def omero(labels):
    return {'channels': [{'label': l, 'color': 'FFFFFF', 'window': {'start': 0, 'end': 4095, 'min': 0, 'max': 65535}} for l in labels]}


def write_image(group, levels, axes, scales, units, labels, compressor, chunks, sep):
    for i, a in enumerate(levels):
        ch = tuple(min(c, s) for c, s in zip(chunks, a.shape))
        group.create_dataset(str(i), data=a, chunks=ch, compressor=compressor, dimension_separator=sep, overwrite=True)
    group.attrs['multiscales'] = multiscales(axes, scales, units)
    if labels:
        group.attrs['omero'] = omero(labels)


def fresh(name):
    p = os.path.join(OUT, name)
    shutil.rmtree(p, ignore_errors=True)
    return p


def main():
    os.makedirs(OUT, exist_ok=True)
    # 2D: CYX uint16 256²
    axes2, img2 = read_case('2d_two_channel_otsu_fullroi')
    assert axes2 == 'CYX', axes2
    lz4 = numcodecs.Blosc(cname='lz4', clevel=5, shuffle=numcodecs.Blosc.BITSHUFFLE)
    g = zarr.open_group(fresh('2d_otsu_blosc_lz4.ome.zarr'), mode='w')
    lvl1 = img2[:, ::2, ::2]
    write_image(g, [img2, lvl1], 'cyx', [[1, 0.5, 0.5], [1, 1.0, 1.0]], 'micrometer', ['DAPI', 'pH3'], lz4, (1, 64, 64), '/')

    # 3D: ZCYX uint16 (12, 2, 128, 128) → c, z, y, x
    axes3, img3 = read_case('3d_two_channel_otsu_fullroi')
    assert axes3 == 'ZCYX', axes3
    czyx = np.ascontiguousarray(np.moveaxis(img3, 1, 0))
    g = zarr.open_group(fresh('3d_otsu_zstd.ome.zarr'), mode='w')
    write_image(g, [czyx], 'czyx', [[1, 2.0, 0.5, 0.5]], 'micrometer', ['nuclei', 'marker'], numcodecs.Zstd(level=3), (1, 4, 64, 64), '.')

    # 3D as TCZYX with two time points, gzip, nanometres
    tczyx = np.stack([czyx, czyx + 1000]).astype(np.uint16)
    g = zarr.open_group(fresh('3d_otsu_tczyx_gzip.ome.zarr'), mode='w')
    write_image(g, [tczyx], 'tczyx', [[1, 1, 2000.0, 500.0, 500.0]], 'nanometer', ['nuclei', 'marker'], numcodecs.GZip(level=5), (1, 1, 6, 128, 128), '/')

    # HCS plate: 2 wells, 1 field each
    p = fresh('plate_2wells.ome.zarr')
    root = zarr.open_group(p, mode='w')
    bz = numcodecs.Blosc(cname='zstd', clevel=3, shuffle=numcodecs.Blosc.SHUFFLE)
    halves = {'1': img2[:, :, :128], '2': img2[:, :, 128:]}
    root.attrs['plate'] = {
        'version': '0.4', 'name': 'fixture plate', 'field_count': 1,
        'rows': [{'name': 'A'}], 'columns': [{'name': '1'}, {'name': '2'}],
        'wells': [{'path': 'A/1', 'rowIndex': 0, 'columnIndex': 0}, {'path': 'A/2', 'rowIndex': 0, 'columnIndex': 1}],
        'acquisitions': [{'id': 0, 'name': 'acq'}],
    }
    for col, a in halves.items():
        well = root.require_group('A').require_group(col)
        well.attrs['well'] = {'version': '0.4', 'images': [{'path': '0', 'acquisition': 0}]}
        field = well.require_group('0')
        write_image(field, [np.ascontiguousarray(a)], 'cyx', [[1, 0.5, 0.5]], 'micrometer', ['DAPI', 'pH3'], bz, (1, 64, 64), '/')

    # Bad stores
    src = os.path.join(OUT, '2d_otsu_blosc_lz4.ome.zarr')
    for name in ['missing_zattrs', 'missing_chunk', 'truncated_chunk', 'bad_axes']:
        d = fresh(name + '.ome.zarr')
        shutil.copytree(src, d)
        shutil.rmtree(os.path.join(d, '1'))
        ms = json.load(open(os.path.join(d, '.zattrs')))
        ms['multiscales'][0]['datasets'] = ms['multiscales'][0]['datasets'][:1]
        json.dump(ms, open(os.path.join(d, '.zattrs'), 'w'))
    os.remove(os.path.join(OUT, 'missing_zattrs.ome.zarr', '.zattrs'))
    os.remove(os.path.join(OUT, 'missing_chunk.ome.zarr', '0', '1', '1', '1'))
    with open(os.path.join(OUT, 'truncated_chunk.ome.zarr', '0', '0', '2', '2'), 'r+b') as f:
        f.truncate(10)
    d = os.path.join(OUT, 'bad_axes.ome.zarr')
    ms = json.load(open(os.path.join(d, '.zattrs')))
    ms['multiscales'][0]['axes'][0] = {'name': 'y', 'type': 'space', 'unit': 'micrometer'}
    json.dump(ms, open(os.path.join(d, '.zattrs'), 'w'))
    print('wrote', OUT)


if __name__ == '__main__':
    sys.exit(main())
