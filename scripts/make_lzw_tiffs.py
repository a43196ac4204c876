#!/usr/bin/env python3
"""LZW test TIFFs written by libtiff (`tiffcp -c lzw[:2] -r 20` from libtiff-tools on Pillow's uncompressed TIFF), with the
pixel values numpy generated stored beside them as raw little-endian arrays: the outside reference for
CellColoc's own bounded LZW decoder (src/io/tiff-codecs.ts, issue 15).

  /usr/bin/python3 scripts/make_lzw_tiffs.py [out_dir]   (default test/data/tiff-lzw; needs numpy, Pillow, tiffcp;
  Debian: apt-get install python3-pil libtiff-tools)

Images are large enough for the code table to fill (4096 entries) and be cleared several times, with
smooth and noisy parts so both long and short strings occur; several strips per image.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

out = Path(sys.argv[1] if len(sys.argv) > 1 else "test/data/tiff-lzw")
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(15)
yy, xx = np.mgrid[0:96, 0:160]
smooth = (np.sin(xx / 9.0) * 60 + np.cos(yy / 7.0) * 50 + 128).astype(np.uint8)
noise = rng.integers(0, 256, size=(96, 160), dtype=np.uint8)
u8 = np.where((xx // 40) % 2 == 0, smooth, noise).astype(np.uint8)
u16 = (u8.astype(np.uint16) * 251 + (yy.astype(np.uint16) * 7)).astype(np.uint16)

meta = {}
for name, arr, mode, codec in [
    ("lzw_u8.tif", u8, "L", "lzw"),
    ("lzw_u16.tif", u16, "I;16", "lzw"),
    ("lzw_u16_pred.tif", u16, "I;16", "lzw:2"),
]:
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.tif"
        Image.fromarray(arr, mode=mode).save(plain)
        # Strips of 20 rows: several per image, so strip boundaries are exercised too.
        subprocess.run(["tiffcp", "-c", codec, "-r", "20", str(plain), str(out / name)], check=True)
    raw = name.replace(".tif", ".raw")
    arr.astype(arr.dtype.newbyteorder("<")).tofile(out / raw)
    meta[name] = {"shape": list(arr.shape), "dtype": str(arr.dtype), "raw": raw}
(out / "expected.json").write_text(json.dumps(meta, indent=1) + "\n")
(out / "README.md").write_text(
    "# LZW references\n\nWritten by `scripts/make_lzw_tiffs.py`: libtiff's LZW encoder (via Pillow) compressed the\n"
    "numpy arrays stored raw (little-endian) in the `.raw` files; `expected.json` gives shape and dtype.\n"
)
print("wrote", ", ".join(meta))
