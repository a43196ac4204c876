#!/usr/bin/env python3
"""Generate test/fixtures/intensity-colocalization/ (dev-time only; the tests never run this).

1. ExampleFly crop (CellProfiler's own run, issue 19.4): rows 241..459, cols 491..709 of site POS002's
   D (DNA), F (FITC) and R (rhodamine) channels, written as uint8 TIFFs, plus a uint16 ROI label TIFF whose
   ROI 1 is exactly CellProfiler's crop (rows 251..449, cols 501..699 of the full image = rows/cols 10..208 of
   ours), and CellProfiler's image-level Correlation_* values for POS002 copied from the 2017 Image.csv.
2. Per-cell and per-ROI expected values from a straightforward NumPy reference implementation of
   CellProfiler's MeasureColocalization definitions (one region at a time, boolean masks, no grouping tricks):
   fixed geometric "cells" over the real intensities, two ROIs (a cell crosses their border), the third
   channel, a float32 variant (non-integer values: sorted ranks, float Costes scale) and a one-voxel cell.

Definitions (CellProfiler cellprofiler_library/functions/measurement.py; issue 19.3): thresholds = percent/100
x the region's channel maximum, above = >=; Pearson over all voxels; slope = lstsq of y on [x, 1]; Manders;
RWC with dense ranks from 0 within the region, R = max rank + 1 over both channels; overlap, K1, K2; Costes as
`linear_costes` (orthogonal regression over voxels with x > 0 or y > 0, i decremented from step*(max//step + 1),
Pearson of the below set, fast/accurate steps) on the ROI, its thresholds applied to the ROI's cells.

Run with Debian's python3 (numpy + tifffile):
    /usr/bin/python3 scripts/make_intensity_coloc_fixtures.py [--fly-dir ../shared/data/cellprofiler-examplefly-kc167]
"""
import argparse
import csv
import json
import os

import numpy as np
import tifffile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "intensity-colocalization")

COEFFS = ["pearson", "slope", "manders_m1", "manders_m2", "rwc_1", "rwc_2", "overlap", "k1", "k2",
          "costes_m1", "costes_m2", "costes_threshold_1", "costes_threshold_2", "coloc2_tm1", "coloc2_tm2"]


def pearson(x, y):
    if len(x) < 2 or x.min() == x.max() or y.min() == y.max():
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def dense_rank(v):
    order = np.lexsort([v])
    step = np.hstack([[False], v[order[:-1]] != v[order[1:]]])
    r = np.zeros(v.shape, np.int64)
    r[order] = np.cumsum(step)
    return r


def div(a, b):
    return float(a / b) if b != 0 else float("nan")


def region_coefficients(x, y, percent, costes):
    """x, y: float64 1-D values of one region; costes: (thr1, thr2, divisor) in the divided scale or None."""
    out = {k: float("nan") for k in COEFFS}
    if len(x) == 0:
        return out
    out["pearson"] = pearson(x, y)
    if len(x) >= 2 and x.min() != x.max():
        out["slope"] = float(np.linalg.lstsq(np.vstack([x, np.ones_like(x)]).T, y, rcond=None)[0][0])
    t1 = percent / 100 * x.max()
    t2 = percent / 100 * y.max()
    a1 = x >= t1
    a2 = y >= t2
    both = a1 & a2
    out["manders_m1"] = div(x[both].sum(), x[a1].sum())
    out["manders_m2"] = div(y[both].sum(), y[a2].sum())
    r1 = dense_rank(x)
    r2 = dense_rank(y)
    R = max(r1.max(), r2.max()) + 1
    w = (R - np.abs(r1 - r2)) / R
    out["rwc_1"] = div((x[both] * w[both]).sum(), x[a1].sum())
    out["rwc_2"] = div((y[both] * w[both]).sum(), y[a2].sum())
    xy = (x[both] * y[both]).sum()
    xx = (x[both] ** 2).sum()
    yy = (y[both] ** 2).sum()
    out["overlap"] = div(xy, np.sqrt(xx * yy))
    out["k1"] = div(xy, xx)
    out["k2"] = div(xy, yy)
    if costes is not None:
        thr1, thr2, D = costes
        c1 = x / D >= thr1
        c2 = y / D >= thr2
        cb = c1 & c2
        out["costes_m1"] = div(x[cb].sum(), x[c1].sum())
        out["costes_m2"] = div(y[cb].sum(), y[c2].sum())
        out["costes_threshold_1"] = thr1 * D
        out["costes_threshold_2"] = thr2 * D
        out["coloc2_tm1"] = div(x[c2 & (y > 0)].sum(), x.sum())
        out["coloc2_tm2"] = div(y[c1 & (x > 0)].sum(), y.sum())
    return out


def costes_search(x, y, divisor, step, mode):
    """CellProfiler's linear_costes on one region, one full Pearson per candidate; returns (thr1, thr2) or None."""
    fi = x / divisor
    si = y / divisor
    nz = (fi > 0) | (si > 0)
    if nz.sum() < 2:
        return None
    xvar = np.var(fi[nz], ddof=1)
    yvar = np.var(si[nz], ddof=1)
    zvar = np.var(fi[nz] + si[nz], ddof=1)
    cov = 0.5 * (zvar - (xvar + yvar))
    with np.errstate(divide="ignore", invalid="ignore"):
        a = ((yvar - xvar) + np.sqrt((yvar - xvar) ** 2 + 4 * cov * cov)) / (2 * cov)
    b = si[nz].mean() - a * fi[nz].mean()
    if not (np.isfinite(a) and a > 0 and np.isfinite(b)):
        return None
    i = step * ((max(fi.max(), si.max()) // step) + 1)
    thr1, thr2 = i, a * i + b
    while i > fi.max() and a * i + b > si.max():
        i -= step
    last = None
    r = float("nan")
    while i > step:
        thr1, thr2 = i, a * i + b
        below = (fi < thr1) | (si < thr2)
        n = int(below.sum())
        if n != last:
            if n < 2:
                break
            r = pearson(fi[below], si[below])
            last = n
        if r <= 0:
            break
        elif mode == "accurate" or i < step * 10:
            i -= step
        elif r > 0.45:
            i -= step * 10
        elif r > 0.35:
            i -= step * 5
        elif r > 0.25:
            i -= step * 2
        else:
            i -= step
    return thr1, thr2


def jsonable(v):
    return None if isinstance(v, float) and np.isnan(v) else v


def reference_tables(channels, labels, roi, percent, mode, integer):
    """channels: list of float64 2-D arrays; returns {"roi": [...rows], "cell": [...rows]} for all channel pairs."""
    pairs = [("", 0, 1)]
    if len(channels) == 3:
        pairs += [("cell_optional_region_", 0, 2), ("marker_optional_region_", 1, 2)]
    roi_rows, cell_rows = [], []
    roi_ids = [int(r) for r in np.unique(roi) if r != 0]
    costes = {}
    for k in roi_ids:
        m = roi == k
        row = {"roi_id": k, "n_voxels": int(m.sum())}
        for prefix, c1, c2 in pairs:
            x, y = channels[c1][m], channels[c2][m]
            c = None
            if mode != "none":
                mx = max(x.max(), y.max())
                divisor, step = (255.0, 1 / 255.0) if integer else (mx, 1 / 65535.0)
                t = costes_search(x, y, divisor, step, mode)
                c = None if t is None else (t[0], t[1], divisor)
            costes[(k, prefix)] = c
            for name, v in region_coefficients(x, y, percent, c).items():
                row[prefix + name] = jsonable(v)
        roi_rows.append(row)
    for k in roi_ids:
        for lab in [int(v) for v in np.unique(labels[roi == k]) if v != 0]:
            m = (labels == lab) & (roi == k)
            row = {"roi_id": k, "cell_label": lab, "n_voxels": int(m.sum())}
            for prefix, c1, c2 in pairs:
                x, y = channels[c1][m], channels[c2][m]
                for name, v in region_coefficients(x, y, percent, costes[(k, prefix)]).items():
                    row[prefix + name] = jsonable(v)
            cell_rows.append(row)
    return {"roi": roi_rows, "cell": cell_rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fly-dir", default=os.path.join(HERE, "..", "..", "shared", "data", "cellprofiler-examplefly-kc167"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    y0, y1, x0, x1 = 241, 460, 491, 710
    crops = {}
    for ch in "DFR":
        img = tifffile.imread(os.path.join(args.fly_dir, f"01_POS002_{ch}.TIF"))
        assert img.dtype == np.uint8
        crops[ch] = img[y0:y1, x0:x1].copy()
        tifffile.imwrite(os.path.join(OUT, f"fly_{ch}_crop.tif"), crops[ch])
    Y, X = crops["D"].shape
    roi = np.zeros((Y, X), np.uint16)
    roi[251 - y0:450 - y0, 501 - x0:700 - x0] = 1  # CellProfiler's crop exactly
    tifffile.imwrite(os.path.join(OUT, "fly_roi.tif"), roi)

    # CellProfiler's own numbers (ImageNumber 1 = POS002), copied unchanged
    with open(os.path.join(args.fly_dir, "cellprofiler_output_2017", "Image.csv")) as f:
        row = next(r for r in csv.DictReader(f) if r["ImageNumber"] == "1")
    cp = {k: float(v) for k, v in row.items() if k.startswith("Correlation_")}
    with open(os.path.join(OUT, "cellprofiler_image_pos002.json"), "w") as f:
        json.dump(cp, f, indent=1, sort_keys=True)

    # geometric cells over the real intensities; two ROIs whose border crosses cell 3
    labels = np.zeros((Y, X), np.uint32)
    yy, xx = np.mgrid[0:Y, 0:X]
    centres = [(40, 40, 14), (60, 120, 18), (110, 100, 16), (150, 60, 12), (170, 170, 20), (100, 180, 9)]
    for lab, (cy, cx, r) in enumerate(centres, start=1):
        labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = lab
    labels[5:9, 200:204] = 7  # small square in the corner, outside CellProfiler's crop
    labels[210, 5] = 8  # one voxel
    rois2 = np.zeros((Y, X), np.uint16)
    rois2[:, :100] = 1
    rois2[:, 100:] = 2
    rois2[200:, :30] = 0
    rois2[210, 5] = 1
    np.save(os.path.join(OUT, "cells.npy"), labels)
    np.save(os.path.join(OUT, "rois2.npy"), rois2)

    D = crops["D"].astype(np.float64)
    F = crops["F"].astype(np.float64)
    R = crops["R"].astype(np.float64)
    # a float32 variant with non-integer values (sorted ranks, float Costes scale)
    Ff32 = (crops["F"].astype(np.float32) * np.float32(1.37) + np.float32(0.25)).astype(np.float32)
    Df32 = (crops["D"].astype(np.float32) * np.float32(0.83) + np.float32(0.5)).astype(np.float32)
    np.save(os.path.join(OUT, "fly_D_crop_f32.npy"), Df32)
    np.save(os.path.join(OUT, "fly_F_crop_f32.npy"), Ff32)
    expected = {
        "uint8_two_rois_fast_3ch": reference_tables([D, F, R], labels, rois2, 15, "fast", True),
        "uint8_fly_roi_accurate": reference_tables([D, F], labels, roi, 15, "accurate", True),
        "uint8_two_rois_none_pct25": reference_tables([D, F], labels, rois2, 25, "none", True),
        "uint8_full_roi_fast": reference_tables([D, F], labels, np.ones((Y, X), np.uint16), 15, "fast", True),
        "float32_two_rois_fast": reference_tables([Df32.astype(np.float64), Ff32.astype(np.float64)], labels, rois2, 15, "fast", False),
    }
    with open(os.path.join(OUT, "expected_numpy_reference.json"), "w") as f:
        json.dump(expected, f, indent=0, sort_keys=True)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
