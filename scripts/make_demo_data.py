#!/usr/bin/env python3
"""Packs CellProfiler ExampleHuman HT29 d0 (DNA) and d1 (pH3) into one two-channel OME-TIFF for `cellcoloc demo`.

Dev-time only (Debian python3-tifffile). The source images are CC0 (see data/demo/README.md).
Usage: python3 scripts/make_demo_data.py ../shared/data/cellprofiler-examplehuman-ht29 data/demo/ht29_dna_ph3.ome.tif
"""
import sys
import numpy as np
import tifffile

src, out = sys.argv[1], sys.argv[2]
dna = tifffile.imread(f"{src}/AS_09125_050116030001_D03f00d0.tif")
ph3 = tifffile.imread(f"{src}/AS_09125_050116030001_D03f00d1.tif")
stack = np.stack([dna, ph3]).astype(np.uint8)  # (C, Y, X)
# The pixel size of these images is unknown: no PhysicalSize is written, the demo config sets it explicitly.
tifffile.imwrite(out, stack, ome=True, compression="zlib", metadata={"axes": "CYX", "Channel": {"Name": ["DNA", "pH3"]}})
print(out, stack.shape, stack.dtype)
