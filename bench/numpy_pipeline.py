#!/usr/bin/env python3
"""A minimal NumPy/SciPy/scikit-image pipeline doing the work of `cellcoloc run` with Otsu (issue 21).

The yardstick `npm run bench` (bench/numpy-side-by-side.ts) times `cellcoloc run` against: what a competent
scientist would script with the standard stack, fewer tables and no configuration, on the same two-channel image.

Per channel (spec 4.3, without Gaussian or background correction): Otsu threshold of the finite voxels > 0
(skimage.filters.threshold_otsu), mask = image > t, binary closing with disk(1) (2-D) or ball(1) (3-D),
remove_small_objects / remove_small_holes below 10 voxels (connectivity 1), full-connectivity labelling
(skimage.measure.label); cells below 100 voxels dropped (min_cell_voxels). Then overlap pairs (cell, marker) with at
least 10 shared voxels, marker-positive cells, per-object counts, sums, centroids, maxima and medians in both
channels (scipy.ndimage), perimeter and eccentricity (2-D, skimage.measure.regionprops) or the marching-cubes surface
area (3-D, skimage.measure.marching_cubes + mesh_surface_area), CSV tables and zlib-compressed label TIFFs.

Usage: numpy_pipeline.py IMAGE.ome.tif OUT_DIR  → prints one JSON line with the counts and the in-script seconds.
Needs python3-numpy, -scipy, -skimage, -tifffile (Debian).
"""
import csv
import json
import os
import sys
import time

t_start = time.perf_counter()
import numpy as np  # noqa: E402
import tifffile  # noqa: E402
from scipy import ndimage as ndi  # noqa: E402
from skimage import filters, measure, morphology  # noqa: E402

MIN_OBJECT = 10
MIN_HOLE = 10
MIN_CELL = 100
MIN_OVERLAP = 10


def load_channels(path):
    """The image as float32 channels of shape (Z, Y, X)."""
    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        data = series.asarray()
        axes = series.axes
    for ax in 'TQS':
        if ax in axes and data.shape[axes.index(ax)] == 1:
            data = np.take(data, 0, axis=axes.index(ax))
            axes = axes.replace(ax, '')
    if 'Z' not in axes:
        data = data[np.newaxis]
        axes = 'Z' + axes
    data = np.moveaxis(data, [axes.index('C'), axes.index('Z')], [0, 1])
    return [np.asarray(c, dtype=np.float32) for c in data]


def segment(img, is_3d):
    vals = img[np.isfinite(img) & (img > 0)]
    t = filters.threshold_otsu(vals)
    work = img if is_3d else img[0]
    mask = work > t
    footprint = morphology.ball(1) if is_3d else morphology.disk(1)
    mask = morphology.binary_closing(mask, footprint)
    mask = morphology.remove_small_objects(mask, min_size=MIN_OBJECT, connectivity=1)
    mask = morphology.remove_small_holes(mask, area_threshold=MIN_HOLE, connectivity=1)
    labels = measure.label(mask, connectivity=mask.ndim)
    return labels.astype(np.uint32), float(t)


def size_filter(labels, min_size):
    counts = np.bincount(labels.ravel())
    small = counts < min_size
    small[0] = False
    labels[small[labels]] = 0
    return labels


def object_table(labels, channels, is_3d):
    ids = np.unique(labels)
    ids = ids[ids > 0]
    rows = {'label': ids, 'voxels': ndi.sum_labels(np.ones_like(labels, dtype=np.uint8), labels, ids)}
    com = np.array(ndi.center_of_mass(np.ones_like(labels, dtype=np.uint8), labels, ids)).reshape(len(ids), -1)
    for k in range(com.shape[1]):
        rows[f'centroid_{k}'] = com[:, k]
    for ci, ch in enumerate(channels):
        rows[f'sum_ch{ci}'] = ndi.sum_labels(ch, labels, ids)
        rows[f'max_ch{ci}'] = ndi.maximum(ch, labels, ids)
        rows[f'median_ch{ci}'] = ndi.median(ch, labels, ids)
    if is_3d:
        surface = []
        for p in measure.regionprops(labels):
            padded = np.pad(p.image, 1).astype(np.uint8)
            verts, faces, _, _ = measure.marching_cubes(padded, 0.5)
            surface.append(measure.mesh_surface_area(verts, faces))
        rows['surface_area'] = np.array(surface)
    else:
        props = measure.regionprops(labels)
        rows['perimeter'] = np.array([p.perimeter for p in props])
        rows['eccentricity'] = np.array([p.eccentricity for p in props])
    return rows


def write_csv(path, rows):
    names = list(rows)
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(names)
        for r in zip(*(rows[n].tolist() for n in names)):
            w.writerow(r)


def main():
    image, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    cell_img, marker_img = load_channels(image)[:2]
    is_3d = cell_img.shape[0] > 1
    cells, _ = segment(cell_img, is_3d)
    markers, _ = segment(marker_img, is_3d)
    cells = size_filter(cells, MIN_CELL)
    channels = [cell_img, marker_img] if is_3d else [cell_img[0], marker_img[0]]

    both = (cells > 0) & (markers > 0)
    pairs = cells[both].astype(np.int64) * (int(markers.max()) + 1) + markers[both]
    keys, counts = np.unique(pairs, return_counts=True)
    keep = counts >= MIN_OVERLAP
    pair_cell = keys[keep] // (int(markers.max()) + 1)
    pair_marker = keys[keep] % (int(markers.max()) + 1)
    positive = np.unique(pair_cell)

    cell_rows = object_table(cells, channels, is_3d)
    cell_rows['marker_positive'] = np.isin(cell_rows['label'], positive)
    marker_rows = object_table(markers, channels, is_3d)
    write_csv(os.path.join(out, 'cell_summary.csv'), cell_rows)
    write_csv(os.path.join(out, 'marker_summary.csv'), marker_rows)
    write_csv(os.path.join(out, 'overlaps.csv'), {'cell_label': pair_cell, 'marker_label': pair_marker, 'overlap_voxels': counts[keep]})
    tifffile.imwrite(os.path.join(out, 'cell_labels.tif'), cells, compression='zlib')
    tifffile.imwrite(os.path.join(out, 'marker_labels.tif'), markers, compression='zlib')
    t1 = time.perf_counter()
    print(json.dumps({
        'cells': len(cell_rows['label']),
        'markers': len(marker_rows['label']),
        'positive': int(len(positive)),
        'import_s': round(t0 - t_start, 3),
        'work_s': round(t1 - t0, 3),
    }))


if __name__ == '__main__':
    main()
