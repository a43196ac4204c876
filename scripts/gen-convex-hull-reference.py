#!/usr/bin/python3
"""Reference pixel counts of convex hulls for test/declump-convex.test.ts, made with scikit-image (Debian
package python3-skimage). Run once by hand:

    /usr/bin/python3 scripts/gen-convex-hull-reference.py

Writes test/data/declump/convex-hull.json (committed; never run at test time): small 2-D masks (rows of '0'/'1')
(one 8-connected component each) with skimage.morphology.convex_hull_image(mask, offset_coordinates=False).sum() -- the pixels whose centres lie
in the convex hull of the mask's pixel centres -- and regionprops' area.
"""
import json, os
import numpy as np
import skimage
from skimage.morphology import convex_hull_image
from skimage.measure import label

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "data", "declump", "convex-hull.json")


def disk(shape, c, r):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - c[0]) ** 2 + (xx - c[1]) ** 2 <= r * r


cases = []
rng = np.random.default_rng(7)
shapes = {}
shapes["disk r9"] = disk((21, 21), (10, 10), 9)
shapes["ellipse"] = ((np.mgrid[:19, :31][0] - 9) / 8.0) ** 2 + ((np.mgrid[:19, :31][1] - 15) / 14.0) ** 2 <= 1
shapes["two touching disks"] = disk((21, 37), (10, 10), 9) | disk((21, 37), (10, 26), 9)
l = np.zeros((15, 12), bool)
l[1:14, 1:4] = True
l[10:14, 1:11] = True
shapes["L"] = l
t = np.zeros((13, 25), bool)
for y in range(13):
    t[y, 12 - y : 13 + y] = True
shapes["triangle"] = t
# (Collinear masks are left out: qhull cannot build their hull and skimage returns an empty image; the test
# checks them by hand.)
blob = disk((27, 27), (13, 13), 11) & ~disk((27, 27), (3, 13), 5)
blob |= disk((27, 27), (20, 20), 5)
shapes["notched blob"] = blob
noisy = disk((25, 25), (12, 12), 10) ^ (rng.random((25, 25)) < 0.04) & disk((25, 25), (12, 12), 11)
noisy = noisy | disk((25, 25), (12, 12), 7)
lab = label(noisy, connectivity=2)
shapes["ragged disk"] = lab == np.argmax(np.bincount(lab.ravel())[1:]) + 1  # its largest 8-connected component
for name, m in shapes.items():
    hull = convex_hull_image(m, offset_coordinates=False)
    cases.append({
        "name": name,
        "rows": ["".join("1" if v else "0" for v in row) for row in m],
        "area": int(m.sum()),
        "hull_pixels": int(hull.sum()),
    })
with open(OUT, "w") as f:
    json.dump({"generator": "scripts/gen-convex-hull-reference.py", "skimage": skimage.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
print(OUT, [(c["name"], c["area"], c["hull_pixels"]) for c in cases])
