#!/usr/bin/python3
"""Expected outputs for test/segmentation-bitmask.test.ts (issue 21: bit-packed closing / cleanup / labelling,
integer-histogram thresholds) from the Debian NumPy 1.24.2 / scikit-image 0.19.3 that made the upstream fixtures.

Masks are wider than one 32-bit word (rows of 31..97 voxels, word boundaries crossed, widths that are and are
not multiples of 32); integer images are uint8/uint16/int16 with zeros and negatives, thresholded the way the
original does (`W = img.astype(float32)`, values = W[(W > 0) & isfinite(W)]).

Run once by hand:  /usr/bin/python3 scripts/gen-bitmask-reference.py
Writes test/data/segmentation/bitmask-reference.json (committed). Never run at test time."""
import json, os
import numpy as np
import scipy, skimage
from skimage import filters, morphology, measure

rng = np.random.default_rng(20261206)
out = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__, "skimage": skimage.__version__}}

def bits(a):
    return "".join("1" if v else "0" for v in np.asarray(a).ravel())

morph = []
for shape, p in [((1, 23, 97), 0.5), ((1, 9, 64), 0.6), ((1, 5, 32), 0.55), ((1, 11, 33), 0.45), ((1, 7, 31), 0.5),
                 ((3, 13, 70), 0.5), ((4, 9, 65), 0.45), ((2, 6, 96), 0.6)]:
    m = rng.random(shape) < p
    # a few solid stretches so that runs span whole words
    m[..., 2, 5:60] = True
    plane = m[0] if shape[0] == 1 else m
    fp = morphology.disk(1) if plane.ndim == 2 else morphology.ball(1)
    morph.append({"shape": list(shape), "mask": bits(m),
                  "closing": bits(morphology.binary_closing(plane, fp)),
                  "small_objects_5": bits(morphology.remove_small_objects(plane, min_size=5, connectivity=1)),
                  "small_holes_5": bits(morphology.remove_small_holes(plane, area_threshold=5, connectivity=1)),
                  "label_full": [int(x) for x in measure.label(plane, connectivity=plane.ndim).ravel()]})
out["morphology"] = morph

# integer images: the positive values as float32, thresholded by skimage / NumPy
th = []
imgs = {
    "uint16_wide": rng.integers(0, 65536, 5000).astype(np.uint16),
    "uint16_bimodal": np.clip(np.concatenate([rng.normal(300, 40, 4000), rng.normal(2500, 300, 900), np.zeros(500)]), 0, 65535).astype(np.uint16),
    "uint16_narrow": rng.integers(0, 6, 800).astype(np.uint16),
    "uint16_two": np.array([0, 7, 7, 9, 0], dtype=np.uint16),
    "uint16_const": np.array([0, 0, 42, 42, 42], dtype=np.uint16),
    "uint8": rng.integers(0, 256, 3000).astype(np.uint8),
    "int16": rng.integers(-2000, 3000, 3000).astype(np.int16),
    "int8": rng.integers(-128, 128, 2000).astype(np.int8),
}
for name, img in imgs.items():
    W = img.astype(np.float32)
    v = W[(W > 0) & np.isfinite(W)]
    th.append({"name": name, "dtype": str(img.dtype), "data": [int(x) for x in img],
               "otsu": float(filters.threshold_otsu(v)),
               "p98": float(np.percentile(v, 98.0)), "p50": float(np.percentile(v, 50.0)), "p0": float(np.percentile(v, 0.0)),
               "p100": float(np.percentile(v, 100.0)), "p33_3": float(np.percentile(v, 33.3))})
out["thresholds"] = th

path = os.path.join(os.path.dirname(__file__), "..", "test", "data", "segmentation", "bitmask-reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")
