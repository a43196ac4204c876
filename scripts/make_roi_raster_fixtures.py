#!/usr/bin/env python3
"""Generate test/data/roi/*.json: expected ROI rasters from real matplotlib (dev-time only).

Reproduces the original CellColoc `rasterize_shapes_to_labelmask` polygon path (spec 9.2): vertices
(y, x) / scale, candidate box floor(min)..ceil(max)+1 clipped to the image, integer pixel
coordinates tested with `matplotlib.path.Path(np.column_stack([y, x])).contains_points(points)`,
1-based ids by position, later shapes overwrite. Only polygon-like shapes (no ellipses: the TS
port rasterises true ellipses, fix Q35).

Vertices are chosen so that many pixel centres lie exactly on edges and vertices (integer and
half-integer coordinates, axis-parallel and diagonal edges): those are the pixels whose
classification is "implementation defined" and that the TS port must match bit for bit.

Run with Debian's python3 (matplotlib 3.6.3, as used for the upstream fixtures):
    /usr/bin/python3 scripts/make_roi_raster_fixtures.py
"""
import json
import os

import matplotlib
import numpy as np
from matplotlib.path import Path as MplPath

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "data", "roi")


def rasterize(shapes_world, image_shape_yx, scale_yx):
    roi = np.zeros(image_shape_yx, dtype=np.uint16)
    yy_full, xx_full = np.mgrid[0:image_shape_yx[0], 0:image_shape_yx[1]]
    for roi_id, shape in enumerate(shapes_world, start=1):
        coords = np.asarray(shape, dtype=np.float64)
        y = coords[:, 0] / scale_yx[0]
        x = coords[:, 1] / scale_yx[1]
        y_min = max(int(np.floor(y.min())), 0)
        y_max = min(int(np.ceil(y.max())) + 1, image_shape_yx[0])
        x_min = max(int(np.floor(x.min())), 0)
        x_max = min(int(np.ceil(x.max())) + 1, image_shape_yx[1])
        if y_max <= y_min or x_max <= x_min:
            continue
        yy = yy_full[y_min:y_max, x_min:x_max]
        xx = xx_full[y_min:y_max, x_min:x_max]
        points = np.column_stack([yy.ravel(), xx.ravel()])
        mask = MplPath(np.column_stack([y, x])).contains_points(points).reshape(yy.shape)
        roi[y_min:y_max, x_min:x_max][mask] = roi_id
    return roi


def write(name, description, shapes_px, image_shape_yx, scale_yx=(1.0, 1.0)):
    shapes_world = [[[v[0] * scale_yx[0], v[1] * scale_yx[1]] for v in s["data"]] for s in shapes_px]
    roi = rasterize(shapes_world, image_shape_yx, scale_yx)
    doc = {
        "description": description,
        "generator": "scripts/make_roi_raster_fixtures.py",
        "matplotlib": matplotlib.__version__,
        "image_shape_yx": list(image_shape_yx),
        "scale_yx": list(scale_yx),
        "shapes": [{"type": s["type"], "data": w} for s, w in zip(shapes_px, shapes_world)],
        "expected_rows": ["".join(str(int(v)) for v in row) for row in roi],
    }
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f, indent=1)
    print(name, {int(k): int(v) for k, v in zip(*np.unique(roi, return_counts=True))})


def main():
    os.makedirs(OUT, exist_ok=True)
    # Integer vertices: every edge passes through pixel centres (edge/vertex pixels).
    write(
        "integer_vertices",
        "concave and diagonal polygons with integer vertices (pixel centres on edges and vertices), a triangle, overlap (later wins)",
        [
            {"type": "polygon", "data": [[2, 2], [2, 14], [9, 14], [9, 8], [5, 8], [14, 3]]},
            {"type": "polygon", "data": [[12, 12], [20, 20], [12, 28], [4, 20]]},  # diamond, diagonal edges
            {"type": "polygon", "data": [[16, 2], [27, 2], [27, 10]]},  # right triangle with a 45° hypotenuse
            {"type": "rectangle", "data": [[8, 10], [8, 18], [14, 18], [14, 10]]},  # overlaps ids 1 and 2
        ],
        (30, 32),
    )
    write(
        "self_intersecting_and_degenerate",
        "bow-tie (self-intersecting), a 2-vertex line (covers nothing, keeps id 2), a collinear triangle, a clipped polygon outside the image on two sides, repeated vertices",
        [
            {"type": "polygon", "data": [[1, 1], [11, 11], [1, 11], [11, 1]]},
            {"type": "polygon", "data": [[3, 15], [10, 20]]},
            {"type": "polygon", "data": [[14, 2], [14, 8], [14, 12]]},
            {"type": "polygon", "data": [[-4, 18], [9, 30], [20, 40], [22, 21]]},
            {"type": "polygon", "data": [[15, 3], [15, 3], [24, 3], [24, 10], [24, 10], [15, 10]]},
        ],
        (26, 28),
    )
    write(
        "rotated_rectangle_and_fractional",
        "rotated rectangle with half-integer corners, a polygon with arbitrary fractional vertices",
        [
            {"type": "rectangle", "data": [[2.5, 10.5], [10.5, 18.5], [16.5, 12.5], [8.5, 4.5]]},
            {"type": "polygon", "data": [[18.3, 3.7], [21.9, 24.2], [29.1, 17.05], [24.0, 9.0], [27.77, 2.1]]},
        ],
        (32, 28),
    )
    # Scaled: world = pixel * scale (exact in binary), divided back by the rasteriser.
    write(
        "scaled_quarter",
        "integer-pixel polygon given in world units with scale_yx (0.25, 0.5)",
        [
            {"type": "polygon", "data": [[1, 1], [1, 12], [7, 12], [13, 4]]},
            {"type": "polygon", "data": [[6, 6], [16, 16], [6, 16]]},
        ],
        (18, 18),
        (0.25, 0.5),
    )


if __name__ == "__main__":
    main()
