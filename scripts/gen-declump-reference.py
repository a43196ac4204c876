#!/usr/bin/python3
"""Reference outputs for test/segmentation-declump.test.ts, made with SciPy / scikit-image (Debian packages:
apt-get install -y python3-skimage python3-scipy python3-tifffile). Run once by hand:

    /usr/bin/python3 scripts/gen-declump-reference.py [BBBC039_DEV_DIR]

Writes (committed; never run at test time):
- test/data/declump/reference.json: constructed touching disks / spheres (2D, 3D, anisotropic 3D) with
  scipy.ndimage.distance_transform_edt (sampling = voxel size), skimage.feature.peak_local_max (ellipsoidal
  footprint of radius r um, min_distance, labels, exclude_border=False, p_norm=2) and
  skimage.segmentation.watershed(-distance, markers, mask, connectivity=full) -- the seeded watershed
  CellProfiler IdentifyPrimaryObjects runs with "Shape" / "Shape".
- test/data/declump/bbbc039-dev/: two crops of BBBC039 dev images with their ground-truth labels (CC0).
"""
import base64, gzip, json, os, sys
import numpy as np
import scipy, skimage
from scipy import ndimage as ndi
from skimage.feature import peak_local_max
from skimage.segmentation import watershed
from skimage.measure import label

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "data", "declump")


def b64(a, dtype):
    return base64.b64encode(gzip.compress(np.ascontiguousarray(a, dtype=dtype).tobytes(), mtime=0)).decode("ascii")


def balls(shape, spacing, centres, radii):
    """Union of balls (um) on a voxel grid with the given spacing [z, y, x]."""
    grids = np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing)], indexing="ij")
    m = np.zeros(shape, bool)
    for c, r in zip(centres, radii):
        d2 = sum((g - cc) ** 2 for g, cc in zip(grids, c))
        m |= d2 <= r * r
    return m


def footprint(radius, spacing):
    half = [int(np.floor(radius / s)) for s in spacing]
    grids = np.meshgrid(*[np.arange(-h, h + 1) * s for h, s in zip(half, spacing)], indexing="ij")
    return sum(g ** 2 for g in grids) <= radius * radius * (1 + 1e-12)


def case(name, shape, spacing, centres, radii, min_distance):
    mask = balls(shape, spacing, centres, radii)
    sq = [s for s in spacing]
    dist = ndi.distance_transform_edt(mask, sampling=sq)
    regions = label(mask, connectivity=mask.ndim)
    fp = footprint(min_distance, spacing)
    # min_distance in voxels for _ensure_spacing is isotropic; with anisotropic spacing the footprint does the
    # work (plateau-free maxima), so pass the smallest in-voxel radius.
    md = int(np.floor(min_distance / max(spacing)))
    peaks = peak_local_max(dist, min_distance=max(md, 1), footprint=fp, labels=regions, exclude_border=False, p_norm=2)
    markers = np.zeros(shape, np.int32)
    for k, p in enumerate(peaks):
        markers[tuple(p)] = k + 1
    ws = watershed(-dist, markers, mask=mask, connectivity=np.ones((3,) * mask.ndim, bool))
    flat = sorted(int(np.ravel_multi_index(tuple(p), shape)) for p in peaks)
    return {
        "name": name,
        "shape": [1] * (3 - len(shape)) + list(shape),
        "spacing": ([1.0] * (3 - len(spacing))) + list(spacing),
        "minDistance": min_distance,
        "components": int(regions.max()),
        "mask": b64(mask, np.uint8),
        "distance": b64(dist, np.float32),
        "peaks": flat,
        "labels": b64(ws, np.uint16),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = [
        # Two touching disks and a chain of three (one component each), plus an isolated disk.
        case("2d-disks", (64, 96), (1.0, 1.0), [(20.3, 18.6), (22.1, 37.2), (44.7, 30.4), (47.2, 49.9), (45.6, 68.3), (15.2, 75.1)],
             [10.5, 9.0, 9.5, 10.0, 9.2, 7.5], 6.0),
        # Touching spheres, isotropic.
        case("3d-spheres", (28, 48, 52), (1.0, 1.0, 1.0), [(13.2, 15.4, 14.1), (14.1, 22.3, 27.2), (13.7, 30.5, 12.4)], [8.5, 8.0, 7.5], 5.0),
        # Touching spheres (in um) sampled with 2 um planes and 0.5 um pixels.
        case("3d-anisotropic", (14, 64, 110), (2.0, 0.5, 0.5), [(13.1, 15.3, 14.2), (14.2, 16.1, 27.0), (12.6, 15.2, 40.5)], [8.0, 7.6, 7.9], 4.5),
    ]
    ref = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__, "skimage": skimage.__version__}, "cases": cases}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f)
    for c in cases:
        print(c["name"], "components", c["components"], "peaks", len(c["peaks"]))

    dev = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "data", "bbbc039-u2os-nuclei", "dev")
    if os.path.isdir(dev):
        import tifffile
        crops = {"IXMtest_A02_s1": (slice(200, 456), slice(150, 406)), "IXMtest_B21_s3": (slice(100, 356), slice(300, 556))}
        d = os.path.join(OUT, "bbbc039-dev")
        os.makedirs(d, exist_ok=True)
        for name, (ys, xs) in crops.items():
            img = tifffile.imread(os.path.join(dev, "images", name + ".tif"))[ys, xs]
            lab = tifffile.imread(os.path.join(dev, "labels", name + "_labels.tif"))[ys, xs]
            tifffile.imwrite(os.path.join(d, name + "_crop.tif"), img.astype(np.uint16), compression="zlib")
            tifffile.imwrite(os.path.join(d, name + "_crop_labels.tif"), lab.astype(np.uint16), compression="zlib")
            print(name, "crop", ys, xs, "GT objects", len(np.unique(lab)) - 1)


if __name__ == "__main__":
    main()
