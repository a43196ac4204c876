#!/usr/bin/python3
"""Generate small expected arrays for test/segmentation-*.test.ts with the Debian SciPy 1.10.1 /
scikit-image 0.19.3 / NumPy 1.24.2 (the versions that made the upstream fixtures).

Run once by hand:  /usr/bin/python3 scripts/gen-segmentation-test-data.py
Writes test/data/segmentation/reference.json (committed). Never run at test time."""
import json, os
import numpy as np
import scipy, skimage
from scipy import ndimage as ndi
from scipy.ndimage._filters import _gaussian_kernel1d
from skimage import filters, morphology, measure

rng = np.random.default_rng(20261125)
out = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__, "skimage": skimage.__version__}}

def arr(a):
    return {"shape": list(a.shape), "dtype": str(a.dtype), "data": [float(v) for v in np.asarray(a).ravel()]}

# 1. kernels
out["kernels"] = []
for sigma in [0.1, 0.5, 0.8, 1.0, 1.6, 2.0, 3.3, 15.0]:
    for order in [0, 1, 2]:
        radius = int(4.0 * sigma + 0.5)
        k = _gaussian_kernel1d(sigma, order, radius)
        out["kernels"].append({"sigma": sigma, "order": order, "radius": radius, "data": [float(v) for v in k]})

# 2. gaussian_filter / gaussian_laplace / skimage gaussian / median on small float32 images
img2 = (rng.random((7, 9)) * 1000).astype(np.float32)
img3 = (rng.random((4, 6, 5)) * 1000).astype(np.float32)
img3rgb = (rng.random((3, 5, 3)) * 1000).astype(np.float32)
out["img2"] = arr(img2); out["img3"] = arr(img3); out["img3rgb"] = arr(img3rgb)
cases = []
for name, img in [("img2", img2), ("img3", img3)]:
    for sig in ([1.0, 1.0], [0.8, 0.8], [1.6, 2.0], [3.3, 3.3], [0.0, 1.0]) if img.ndim == 2 else \
               ([1.0, 1.0, 1.0], [0.5, 1.0, 1.0], [0.0, 1.0, 1.0], [0.1, 1.0, 1.0], [2.0, 0.8, 1.6], [5.0, 5.0, 5.0]):
        cases.append({"op": "gaussian_filter", "input": name, "sigma": sig,
                      "out": arr(ndi.gaussian_filter(img, sig, mode="reflect", truncate=4.0))})
        cases.append({"op": "gaussian_laplace", "input": name, "sigma": sig,
                      "out": arr(ndi.gaussian_laplace(img, sig, mode="reflect", truncate=4.0))})
    for s in [1.0, 2.5, 15.0]:
        g = filters.gaussian(img, s, mode="nearest", truncate=4.0, preserve_range=True)
        cases.append({"op": "skimage_gaussian", "input": name, "sigma": s, "out": arr(g)})
g = filters.gaussian(img3rgb, 1.0, mode="nearest", truncate=4.0, preserve_range=True)
cases.append({"op": "skimage_gaussian", "input": "img3rgb", "sigma": 1.0, "out": arr(g)})
for name, img, sizes in [("img2", img2, [[3, 3], [2, 2], [4, 4], [5, 5], [1, 1], [9, 9]]),
                         ("img3", img3, [[3, 3, 3], [1, 3, 3], [2, 3, 3], [5, 5, 5], [3, 1, 1]])]:
    for size in sizes:
        cases.append({"op": "median_filter", "input": name, "size": size,
                      "out": arr(ndi.median_filter(img, size=size, mode="reflect"))})
out["filters"] = cases

# 3. thresholds on 1-D float32 value sets
th = []
samples = {
    "uniform": (rng.random(1000) * 500 + 1).astype(np.float32),
    "bimodal": np.concatenate([rng.normal(100, 10, 3000), rng.normal(400, 40, 700)]).astype(np.float32),
    "small": np.array([3.5, 1.25, 7.0, 7.0, 2.0], dtype=np.float32),
    "ints": rng.integers(50, 1300, 3000).astype(np.float32),
    "constant": np.full(7, 4.5, dtype=np.float32),
    "two": np.array([1.0, 2.0], dtype=np.float32),
    "lognormal": rng.lognormal(5, 0.7, 4000).astype(np.float32),
}
for name, v in samples.items():
    v = v[v > 0]
    th.append({"name": name, "values": [float(x) for x in v],
               "otsu": float(filters.threshold_otsu(v)), "li": float(filters.threshold_li(v)),
               "p98": float(np.percentile(v, 98.0)), "p50": float(np.percentile(v, 50.0)),
               "p0": float(np.percentile(v, 0.0)), "p100": float(np.percentile(v, 100.0)),
               "p33_3": float(np.percentile(v, 33.3))})
out["thresholds"] = th

# 4. morphology + labels on random binary images
morph = []
for shape, p in [((12, 15), 0.45), ((5, 9, 8), 0.4), ((1, 10, 10), 0.5)]:
    m = rng.random(shape) < p
    plane = m[0] if (len(shape) == 3 and shape[0] == 1) else m
    fp = morphology.disk(1) if plane.ndim == 2 else morphology.ball(1)
    closed = morphology.binary_closing(plane, fp)
    rso = morphology.remove_small_objects(plane, min_size=4, connectivity=1)
    rsh = morphology.remove_small_holes(plane, area_threshold=4, connectivity=1)
    morph.append({"shape": list(shape), "mask": [int(x) for x in m.ravel()],
                  "closing": [int(x) for x in closed.ravel()],
                  "small_objects_4": [int(x) for x in rso.ravel()],
                  "small_holes_4": [int(x) for x in rsh.ravel()],
                  "label_full": [int(x) for x in measure.label(plane, connectivity=plane.ndim).ravel()],
                  "label_face": [int(x) for x in measure.label(plane, connectivity=1).ravel()]})
out["morphology"] = morph

path = os.path.join(os.path.dirname(__file__), "..", "test", "data", "segmentation", "reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")
