#!/usr/bin/python3
"""Generate the tiny TIFF test inputs in test/data/tiff/ and their expected values (dev-time only).

Run with Debian's python3 (python3-tifffile 2023.2.3, numpy; libtiff-tools for LZW/PackBits):

    /usr/bin/python3 scripts/make_test_tiffs.py

Writes every file plus `expected.json`: for each file the TZCYX shape, dtype, physical sizes and the
pixel values of every (t, c) channel as a flat ZYX list, computed here with numpy / read back with
tifffile -- independent of the TypeScript reader under test. Never run at test time.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import tifffile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'data', 'tiff')
TMP = '/tmp/cellcoloc_make_test_tiffs'
expected = {}


def ramp(shape, dtype, seed):
    """Deterministic values that exercise every byte (so byte order and predictor bugs show)."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in 'ui' else None
    if info is None:
        return (rng.standard_normal(shape) * 1000.0).astype(dtype)
    hi = min(int(info.max), 2**31 - 1)
    lo = max(int(info.min), -(2**31))
    return rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64).astype(dtype)


def record(name, tzcyx, physical=None, names=None, fmt=None):
    """tzcyx: numpy array (T, Z, C, Y, X) as the file should be read."""
    t, z, c, y, x = tzcyx.shape
    channels = {}
    for ti in range(t):
        for ci in range(c):
            vals = tzcyx[ti, :, ci].reshape(-1)
            channels[f'{ti},{ci}'] = [float(v) if tzcyx.dtype.kind == 'f' else int(v) for v in vals]
    expected[name] = {
        'shapeTzcyx': [t, z, c, y, x],
        'dtype': str(tzcyx.dtype),
        'format': fmt,
        'physicalSizeZyxUm': physical,
        'channelNames': names,
        'channels': channels,
    }


def path(name):
    return os.path.join(OUT, name)


def tiffcp(args, src, dst):
    subprocess.run(['tiffcp', *args, src, dst], check=True)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    os.makedirs(TMP, exist_ok=True)

    # 1. OME ZCYX uint16, deflate + horizontal predictor, 2 rows per strip (several strips per page).
    a = ramp((3, 2, 5, 7), np.uint16, 1)
    tifffile.imwrite(path('ome_zcyx_deflate_pred.ome.tif'), a, photometric='minisblack', compression='zlib',
                     predictor=True, rowsperstrip=2,
                     metadata={'axes': 'ZCYX', 'PhysicalSizeX': 0.25, 'PhysicalSizeY': 0.25, 'PhysicalSizeZ': 1.5,
                               'PhysicalSizeXUnit': 'µm', 'PhysicalSizeYUnit': 'µm', 'PhysicalSizeZUnit': 'µm',
                               'Channel': {'Name': ['dapi', 'gfp']}})
    record('ome_zcyx_deflate_pred.ome.tif', a[None], [1.5, 0.25, 0.25], ['dapi', 'gfp'], 'ome')

    # 2. Same data, big-endian (byte swap + predictor on swapped values).
    tifffile.imwrite(path('ome_bigendian_deflate_pred.ome.tif'), a, photometric='minisblack', compression='zlib',
                     predictor=True, rowsperstrip=2, byteorder='>',
                     metadata={'axes': 'ZCYX', 'PhysicalSizeX': 0.25, 'PhysicalSizeY': 0.25, 'PhysicalSizeZ': 1.5})
    record('ome_bigendian_deflate_pred.ome.tif', a[None], [1.5, 0.25, 0.25], ['', ''], 'ome')

    # 3. BigTIFF OME CYX uint16, uncompressed.
    b = ramp((2, 6, 9), np.uint16, 2)
    tifffile.imwrite(path('bigtiff_cyx.ome.tif'), b, bigtiff=True, photometric='minisblack',
                     metadata={'axes': 'CYX', 'PhysicalSizeX': 0.5, 'PhysicalSizeY': 0.5})
    record('bigtiff_cyx.ome.tif', b[None, None], [None, 0.5, 0.5], ['', ''], 'ome')

    # 4. Tiled OME ZYX uint16 (20 x 36 with 16x16 tiles -> partial edge tiles), deflate + predictor.
    c = ramp((2, 20, 36), np.uint16, 3)
    tifffile.imwrite(path('tiled_zyx.ome.tif'), c, tile=(16, 16), photometric='minisblack', compression='zlib',
                     predictor=True, metadata={'axes': 'ZYX', 'PhysicalSizeX': 0.3, 'PhysicalSizeY': 0.3,
                                               'PhysicalSizeZ': 2.0})
    record('tiled_zyx.ome.tif', c[None, :, None], [2.0, 0.3, 0.3], [''], 'ome')

    # 5./6. Plain multi-page uint16 (no description) -> LZW with predictor and PackBits via libtiff's tiffcp.
    d = ramp((3, 7, 10), np.uint16, 4)
    plain = os.path.join(TMP, 'plain_u16.tif')
    tifffile.imwrite(plain, d, photometric='minisblack', metadata=None, rowsperstrip=3)
    tiffcp(['-c', 'lzw:2', '-r', '3'], plain, path('plain_lzw_pred.tif'))
    record('plain_lzw_pred.tif', d[None, :, None], [None, None, None], [''], 'plain')
    d8 = ramp((2, 7, 10), np.uint8, 5)
    d8[0, 2, :] = 7  # runs for PackBits
    plain8 = os.path.join(TMP, 'plain_u8.tif')
    tifffile.imwrite(plain8, d8, photometric='minisblack', metadata=None)
    tiffcp(['-c', 'packbits'], plain8, path('plain_packbits_u8.tif'))
    record('plain_packbits_u8.tif', d8[None, :, None], [None, None, None], [''], 'plain')

    # 7. uint8 / uint32 / float32 / int16 plain multi-page.
    for name, dt, seed, kw in [('plain_u8.tif', np.uint8, 6, {}),
                               ('plain_u32_deflate.tif', np.uint32, 7, {'compression': 'zlib', 'predictor': True}),
                               ('plain_f32.tif', np.float32, 8, {}),
                               ('plain_f32_bigendian.tif', np.float32, 9, {'byteorder': '>'}),
                               ('plain_i16_deflate.tif', np.int16, 11, {'compression': 'zlib'})]:
        v = ramp((2, 4, 6), dt, seed)
        tifffile.imwrite(path(name), v, photometric='minisblack', metadata=None, **kw)
        record(name, v[None, :, None], [None, None, None], [''], 'plain')
    # float32 deflate with the floating-point predictor (3): not in the fast path (geotiff fallback).
    v = ramp((2, 4, 6), np.float32, 10)
    plainf = os.path.join(TMP, 'plain_f32.tif')
    tifffile.imwrite(plainf, v, photometric='minisblack', metadata=None)
    tiffcp(['-c', 'zip:3'], plainf, path('plain_f32_deflate_fpred.tif'))
    record('plain_f32_deflate_fpred.tif', v[None, :, None], [None, None, None], [''], 'plain')

    # 8. Palette images: grey ramp (indices are the values) and a real colour map (must be rejected).
    p = ramp((5, 8), np.uint8, 12)
    ramp_map = np.tile((np.arange(256, dtype=np.uint16) * 257)[None, :], (3, 1))
    tifffile.imwrite(path('palette_grey.tif'), p, photometric='palette', colormap=ramp_map, metadata=None)
    record('palette_grey.tif', p[None, None, None], [None, None, None], [''], 'plain')
    cmap = ramp_map.copy()
    cmap[0] = np.arange(256)[::-1] * 257
    tifffile.imwrite(path('palette_color.tif'), p, photometric='palette', colormap=cmap, metadata=None)

    # 9. ImageJ hyperstack ZCYX (C fastest in page order), spacing 2.0, unit micron, 0.5 um pixels.
    ij = ramp((3, 2, 6, 5), np.uint16, 13)
    tifffile.imwrite(path('imagej_zcyx.tif'), ij, imagej=True, resolution=(2.0, 2.0),
                     metadata={'axes': 'ZCYX', 'spacing': 2.0, 'unit': 'micron'})
    record('imagej_zcyx.tif', ij[None], [2.0, 0.5, 0.5], ['', ''], 'imagej')
    # ImageJ's own escape for the micro sign, nm-class unit for a TZCYX stack with T=2.
    ij2 = ramp((2, 2, 2, 4, 3), np.uint8, 14)
    tifffile.imwrite(path('imagej_tzcyx_escaped_unit.tif'), ij2, imagej=True, resolution=(1 / 0.2, 1 / 0.2),
                     metadata={'axes': 'TZCYX', 'spacing': 0.75, 'unit': '\\u00B5m'})
    record('imagej_tzcyx_escaped_unit.tif', ij2, [0.75, 0.2, 0.2], ['', ''], 'imagej')

    # 10. Interleaved 2-sample (YXS, PlanarConfiguration 1) and planar 2-sample (SYX, PlanarConfiguration 2).
    s = ramp((6, 5, 2), np.uint16, 15)
    tifffile.imwrite(path('interleaved_yxs.tif'), s, photometric='minisblack', planarconfig='contig',
                     compression='zlib', predictor=True, metadata=None)
    record('interleaved_yxs.tif', np.moveaxis(s, 2, 0)[None, None], [None, None, None], ['', ''], 'plain')
    sp = ramp((2, 6, 5), np.uint16, 16)
    tifffile.imwrite(path('planar_syx.tif'), sp, photometric='minisblack', planarconfig='separate', metadata=None)
    record('planar_syx.tif', sp[None, None], [None, None, None], ['', ''], 'plain')
    rgb = ramp((2, 4, 5, 3), np.uint8, 17)  # two RGB pages, tiled interleaved
    tifffile.imwrite(path('rgb_zyxs_tiled.tif'), rgb, photometric='rgb', planarconfig='contig', tile=(16, 16),
                     compression='zlib', metadata=None)
    record('rgb_zyxs_tiled.tif', np.moveaxis(rgb, 3, 1)[None], [None, None, None], ['', '', ''], 'plain')

    # 11. OME with T=2 and Z=1 (TCYX): T must stay T (Q19).
    tt = ramp((2, 2, 4, 6), np.uint16, 18)
    tifffile.imwrite(path('ome_tcyx_t2.ome.tif'), tt, photometric='minisblack',
                     metadata={'axes': 'TCYX', 'PhysicalSizeX': 0.5, 'PhysicalSizeY': 0.5})
    record('ome_tcyx_t2.ome.tif', tt[:, None], [None, 0.5, 0.5], ['', ''], 'ome')

    # 12. Greek mu (U+03BC) and a cm-class z unit; 13. no PhysicalSize at all.
    g = ramp((2, 3, 4), np.uint16, 19)
    tifffile.imwrite(path('ome_greek_mu.ome.tif'), g, photometric='minisblack',
                     metadata={'axes': 'ZYX', 'PhysicalSizeX': 0.1, 'PhysicalSizeXUnit': '\u03bcm',
                               'PhysicalSizeY': 0.2, 'PhysicalSizeYUnit': '\u03bcm',
                               'PhysicalSizeZ': 0.0003, 'PhysicalSizeZUnit': 'cm'})
    record('ome_greek_mu.ome.tif', g[None, :, None], [3.0, 0.2, 0.1], [''], 'ome')
    tifffile.imwrite(path('ome_no_physical.ome.tif'), g, photometric='minisblack', metadata={'axes': 'ZYX'})
    record('ome_no_physical.ome.tif', g[None, :, None], [None, None, None], [''], 'ome')

    # 14. Hand-written OME-XML with per-plane TiffData in a shuffled IFD order (DimensionOrder XYZCT, Z=2, C=2).
    planes = ramp((4, 3, 4), np.uint16, 20)  # IFD k holds planes[k]
    # (z, c) -> IFD: z0c0->2, z1c0->0, z0c1->3, z1c1->1
    ifd_of = {(0, 0): 2, (1, 0): 0, (0, 1): 3, (1, 1): 1}
    tds = ''.join(f'<TiffData FirstZ="{z}" FirstC="{c}" FirstT="0" IFD="{i}" PlaneCount="1"/>'
                  for (z, c), i in sorted(ifd_of.items(), key=lambda kv: (kv[0][1], kv[0][0])))
    xml = ('<?xml version="1.0" encoding="UTF-8"?>'
           '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image ID="Image:0"><Pixels ID="Pixels:0" '
           'DimensionOrder="XYZCT" Type="uint16" SizeX="4" SizeY="3" SizeZ="2" SizeC="2" SizeT="1" '
           'PhysicalSizeX="650" PhysicalSizeXUnit="nm" PhysicalSizeY="0.65" PhysicalSizeZ="0.002" PhysicalSizeZUnit="mm">'
           '<Channel ID="Channel:0:0" Name="a" SamplesPerPixel="1"/><Channel ID="Channel:0:1" Name="b" SamplesPerPixel="1"/>'
           f'{tds}</Pixels></Image></OME>')
    tifffile.imwrite(path('ome_tiffdata_per_plane.ome.tif'), planes, photometric='minisblack', description=xml,
                     metadata=None)
    zc = np.zeros((1, 2, 2, 3, 4), np.uint16)
    for (z, ch), i in ifd_of.items():
        zc[0, z, ch] = planes[i]
    record('ome_tiffdata_per_plane.ome.tif', zc, [2.0, 0.65, 0.65], ['a', 'b'], 'ome')

    # 15. Stacked single-channel files (+ one with a different shape for the error).
    s0 = ramp((2, 3, 4), np.uint16, 21)
    s1 = ramp((2, 3, 4), np.uint16, 22)
    tifffile.imwrite(path('stack_c0.ome.tif'), s0, photometric='minisblack',
                     metadata={'axes': 'ZYX', 'PhysicalSizeX': 0.4, 'PhysicalSizeY': 0.4, 'PhysicalSizeZ': 1.2})
    tifffile.imwrite(path('stack_c1.tif'), s1, photometric='minisblack', metadata=None)
    tifffile.imwrite(path('stack_other_shape.tif'), ramp((2, 3, 5), np.uint16, 23), photometric='minisblack',
                     metadata=None)
    record('stack_c0.ome.tif+stack_c1.tif', np.stack([s0, s1], axis=1)[None], [1.2, 0.4, 0.4], ['', ''], 'stacked')

    # 16. Corrupt inputs. (a) truncated.tif: a plain 3-page deflate file (no description) cut in the middle of
    # the last strip of the last page -> the strip message. (b) truncated.ome.tif: the OME file cut the same
    # way; tifffile writes the OME-XML at the end, so the ImageDescription itself is past the end of the file.
    tr = ramp((3, 5, 7), np.uint16, 24)
    tifffile.imwrite(path('truncated.tif'), tr, photometric='minisblack', compression='zlib', rowsperstrip=2,
                     metadata=None)
    for name in ['truncated.tif', 'truncated.ome.tif']:
        src = path('truncated.tif') if name == 'truncated.tif' else path('ome_zcyx_deflate_pred.ome.tif')
        data = open(src, 'rb').read()
        with tifffile.TiffFile(src) as tf:
            last = tf.pages[-1]
            off, cnt = last.dataoffsets[-1], last.databytecounts[-1]
            n_strips = len(last.dataoffsets)
            n_pages = len(tf.pages)
            desc = tf.pages[0].tags['ImageDescription'] if 'ImageDescription' in tf.pages[0].tags else None
        cut = off + cnt // 2
        assert cut + 1 < len(data)
        entry = {'page': n_pages - 1, 'strip': n_strips - 1, 'stripEnd': off + cnt, 'fileSize': cut}
        if desc is not None:
            entry['descriptionStart'] = desc.valueoffset
            entry['descriptionEnd'] = desc.valueoffset + desc.count
        with open(path(name), 'wb') as f:
            f.write(data[:cut])
        expected[name] = entry
    with open(path('not_a_tiff.tif'), 'w') as f:
        f.write('this is not a TIFF file\n')

    with open(path('expected.json'), 'w') as f:
        json.dump(expected, f, separators=(',', ':'))
    # Independent read-back check: tifffile must see what we recorded.
    with tifffile.TiffFile(path('ome_zcyx_deflate_pred.ome.tif')) as tf:
        assert np.array_equal(tf.asarray(), a)
    with tifffile.TiffFile(path('ome_tiffdata_per_plane.ome.tif')) as tf:  # tifffile honours the TiffData map
        assert tf.series[0].axes == 'CZYX'
        assert np.array_equal(np.moveaxis(tf.series[0].asarray(), 0, 1), zc[0])
    with tifffile.TiffFile(path('imagej_zcyx.tif')) as tf:
        assert np.array_equal(tf.asarray(), ij)
    total = sum(os.path.getsize(path(n)) for n in os.listdir(OUT))
    print(f'wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.normpath(OUT)}', file=sys.stderr)


if __name__ == '__main__':
    main()
