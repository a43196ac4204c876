#!/usr/bin/env python3
"""Generate test/data/postfilters/*.json: postfilter results computed with scikit-image/SciPy (dev-time only).

An independent Python implementation of spec 6 (the original CellColoc `apply_postfilters`) built on
the same library calls the original uses — `skimage.measure.regionprops` (labels ascending, bounding
boxes computed once), `skimage.morphology.dilation` (= `scipy.ndimage.grey_dilation`, mode 'reflect')
with `disk(r)` (label image with one plane) or `ball(r)`, NumPy medians on float32 intensities — on
small random 2D/3D label images. Objects touch the image border and each other, and some are a single
voxel or one voxel thick, so the reflect border and the bbox-restricted shell (Q15) are exercised.

Intensities are integers (or multiples of 1/4), so float32 and float64 statistics coincide.

Run with Debian's python3 (scikit-image 0.19.3, SciPy 1.10.1, NumPy 1.24, as for the upstream fixtures):
    /usr/bin/python3 scripts/make_postfilter_fixtures.py
"""
import json
import os

import numpy as np
import scipy
import skimage
from skimage.measure import regionprops
from skimage.morphology import ball, dilation, disk

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "data", "postfilters")


def present(labels):
    u = np.unique(labels)
    return [int(v) for v in u if v != 0]


def f_min_size(labels, image, p):
    n = p["postfilter_min_object_voxels"]
    out = labels.copy()
    ids, counts = np.unique(out, return_counts=True)
    for i, c in zip(ids, counts):
        if i != 0 and c < n:
            out[out == i] = 0
    return out


def f_min_intensity(labels, image, p):
    out = labels.copy()
    for i in present(out):
        vals = image[out == i]
        m = p["min_intensity_measure"]
        s = float(vals.mean() if m == "mean" else np.median(vals) if m == "median" else vals.max())
        if s <= p["min_intensity_threshold"]:
            out[out == i] = 0
    return out


def f_bright(labels, image, p):
    out = labels.copy()
    for i in present(out):
        vals = image[out == i]
        c = int(np.count_nonzero(vals > p["bright_pixel_threshold"]))
        if p["bright_pixel_measure"] == "count":
            keep = c >= int(p["bright_pixel_min_count"])
        else:
            keep = c / float(vals.size) >= float(p["bright_pixel_min_fraction"])
        if not keep:
            out[out == i] = 0
    return out


def f_local_contrast(labels, image, p):
    inner = p["local_contrast_shell_inner_radius"]
    outer = p["local_contrast_shell_outer_radius"]
    k = p["local_contrast_k"]
    out = labels.copy()
    three_d = out.shape[0] > 1
    for region in regionprops(out):  # computed once, ascending ids
        lab = region.label
        sl = region.slice
        crop = out[sl]  # a view: labels deleted earlier in this loop are already 0
        obj = crop == lab
        if three_d:
            o = dilation(obj, ball(outer))
            i = dilation(obj, ball(inner)) if inner > 0 else obj
            shell = o & ~i
        else:
            o = dilation(obj[0], disk(outer))
            i = dilation(obj[0], disk(inner)) if inner > 0 else obj[0]
            shell = (o & ~i)[np.newaxis]
        shell = shell & ~obj & (crop == 0)
        if not shell.any():
            continue
        icrop = image[sl]
        om = float(np.median(icrop[obj]))
        sv = icrop[shell]
        bm = float(np.median(sv))
        mad = float(np.median(np.abs(sv - bm)))
        if om <= bm + k * mad:
            out[out == lab] = 0
    return out


FILTERS = {
    "min_size": f_min_size,
    "min_intensity": f_min_intensity,
    "bright_pixel_support": f_bright,
    "local_contrast": f_local_contrast,
}


def random_scene(rng, shape, n_objects, quarter=False):
    """Random blobs (ellipsoids/boxes, some at the border, some one voxel), ids in random order."""
    Z, Y, X = shape
    labels = np.zeros(shape, np.uint32)
    zz, yy, xx = np.mgrid[0:Z, 0:Y, 0:X]
    ids = rng.permutation(np.arange(1, n_objects + 1))
    amps = {}
    for idx, lab in enumerate(ids):
        kind = rng.integers(0, 5)
        cz, cy, cx = rng.integers(0, Z), rng.integers(0, Y), rng.integers(0, X)
        if kind == 0:  # single voxel
            m = (zz == cz) & (yy == cy) & (xx == cx)
        elif kind == 1:  # thin line
            m = (zz == cz) & (yy == cy) & (np.abs(xx - cx) <= rng.integers(1, 4))
        else:
            rz, ry, rx = max(1, rng.integers(1, 3)) if Z > 1 else 0.5, rng.integers(2, 6), rng.integers(2, 6)
            m = ((zz - cz) / max(rz, 0.5)) ** 2 + ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
            if kind == 3:  # hollow-ish: remove the centre so the bbox contains background
                m &= ((yy - cy) ** 2 + (xx - cx) ** 2) > 1
            if kind == 4:  # L shape: a large background corner inside the bbox
                m &= ~((yy > cy) & (xx > cx))
        labels[m] = lab  # later objects overwrite: touching / overlapping neighbours
        amps[int(lab)] = float(rng.choice([0, 2, 5, 20, 60, 150, 400]))
    image = rng.poisson(30, size=shape).astype(np.float64)
    # a brighter background band so that some dim objects sit in a bright surround
    image[:, :, : X // 3] += rng.poisson(25, size=image[:, :, : X // 3].shape)
    for lab, a in amps.items():
        m = labels == lab
        image[m] += rng.poisson(a, size=int(m.sum()))
    if quarter:
        image = image + rng.integers(0, 4, size=shape) / 4.0
    return labels, image.astype(np.float32)


def write(name, labels, image, steps_params):
    doc = {
        "generator": "scripts/make_postfilter_fixtures.py",
        "versions": {"scikit-image": skimage.__version__, "scipy": scipy.__version__, "numpy": np.__version__},
        "shape": list(labels.shape),
        "labels": [int(v) for v in labels.ravel()],
        "intensity": [float(v) for v in image.ravel()],
        "runs": [],
    }
    for params in steps_params:
        cur = labels.copy()
        steps = []
        for f in params["postfilters"]:
            before = present(cur)
            cur = FILTERS[f](cur, image, params)
            after = present(cur)
            steps.append({"postfilter": f, "n_in": len(before), "n_out": len(after),
                          "removed": sorted(set(before) - set(after))})
        doc["runs"].append({"params": params, "steps": steps, "final_labels": [int(v) for v in cur.ravel()]})
    with open(os.path.join(OUT, name + ".json"), "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))
    print(name, [[(s["postfilter"], s["removed"]) for s in r["steps"]] for r in doc["runs"]])


BASE = {
    "postfilter_min_object_voxels": None, "min_intensity_measure": "mean", "min_intensity_threshold": None,
    "local_contrast_k": 1.0, "local_contrast_shell_inner_radius": 1, "local_contrast_shell_outer_radius": 4,
    "bright_pixel_measure": "count", "bright_pixel_threshold": None, "bright_pixel_min_count": None,
    "bright_pixel_min_fraction": None,
}


def P(**kw):
    d = dict(BASE)
    d.update(kw)
    return d


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261125)
    lc_variants = [(1.0, 1, 4), (0.5, 0, 2), (3.0, 2, 3), (0.0, 1, 2), (1.5, 0, 1)]
    for name, shape, n, quarter in [
        ("random_2d_a", (1, 28, 30), 14, False),
        ("random_2d_b", (1, 24, 24), 12, True),
        ("random_3d_a", (5, 18, 20), 10, False),
        ("random_3d_b", (3, 16, 16), 9, True),
    ]:
        labels, image = random_scene(rng, shape, n, quarter)
        runs = [P(postfilters=["local_contrast"], local_contrast_k=k, local_contrast_shell_inner_radius=i,
                  local_contrast_shell_outer_radius=o) for k, i, o in lc_variants]
        med = float(np.median(image[labels > 0]))
        runs += [
            P(postfilters=["min_intensity"], min_intensity_measure="mean", min_intensity_threshold=med),
            P(postfilters=["min_intensity"], min_intensity_measure="median", min_intensity_threshold=med),
            P(postfilters=["min_intensity"], min_intensity_measure="max", min_intensity_threshold=med + 20),
            P(postfilters=["bright_pixel_support"], bright_pixel_measure="count", bright_pixel_threshold=med,
              bright_pixel_min_count=3),
            P(postfilters=["bright_pixel_support"], bright_pixel_measure="fraction", bright_pixel_threshold=med,
              bright_pixel_min_fraction=0.5),
            P(postfilters=["min_size", "local_contrast", "min_intensity", "bright_pixel_support"],
              postfilter_min_object_voxels=4, min_intensity_measure="median", min_intensity_threshold=40.0,
              bright_pixel_measure="fraction", bright_pixel_threshold=60.0, bright_pixel_min_fraction=0.25),
        ]
        write(name, labels, image, runs)


if __name__ == "__main__":
    main()
