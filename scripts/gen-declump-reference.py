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

    /usr/bin/python3 scripts/gen-declump-reference.py --pipeline-3d

writes only test/fixtures/declump-3d/ (test/declump-pipeline.test.ts): a 3D OME-TIFF of touching spheres with
1.5 x 0.5 x 0.5 um voxels and the labels of the same chain done with scikit-image (see pipeline_3d below).
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


def pipeline_3d():
    """Three touching spheres (um) on 1.5 x 0.5 x 0.5 um voxels, bright centres, dim background, as an OME-TIFF;
    expected labels from the chain cellcoloc runs with segmentation_method otsu + declump_method shape, done with
    scikit-image / SciPy: Otsu of the positive values, binary closing with ball(1), small objects and holes
    (< 10 voxels) removed, distance_transform_edt(sampling = voxel size), peak_local_max with an ellipsoidal
    footprint of radius 3.0833 um (the seed distance cellcoloc derives from typical_diameter_um [10, 18] at
    0.5 um pixels: max(1, 20 / 3 - 0.5) px) and watershed(-distance, markers, mask, connectivity=full)."""
    import tifffile
    from skimage.filters import threshold_otsu
    from skimage.morphology import binary_closing, ball, remove_small_objects, remove_small_holes
    out = os.path.join(HERE, "..", "test", "fixtures", "declump-3d")
    os.makedirs(out, exist_ok=True)
    shape, spacing = (14, 40, 100), (1.5, 0.5, 0.5)
    centres = [(10.4, 10.2, 10.3), (10.9, 10.6, 23.1), (9.8, 9.7, 36.2)]
    radii = [7.0, 6.5, 6.8]
    grids = np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing)], indexing="ij")
    img = np.full(shape, 100.0)
    for c, r in zip(centres, radii):
        d2 = sum((g - cc) ** 2 for g, cc in zip(grids, c))
        inside = d2 <= r * r
        img[inside] = np.maximum(img[inside], 2000 + 500 * (1 - d2[inside] / (r * r)))
    img = np.rint(img).astype(np.uint16)
    vals = img[img > 0]
    t = np.float32(threshold_otsu(vals.astype(np.float32)))
    mask = img.astype(np.float32) > t
    mask = binary_closing(mask, ball(1))
    mask = remove_small_objects(mask, 10)
    mask = remove_small_holes(mask, 10)
    comps = label(mask, connectivity=3)
    radius = max(1.0, 20 / 3 - 0.5) * 0.5
    dist = ndi.distance_transform_edt(mask, sampling=spacing)
    peaks = peak_local_max(dist, min_distance=1, footprint=footprint(radius, spacing), labels=comps, exclude_border=False, p_norm=2)
    markers = np.zeros(shape, np.int32)
    for k, p in enumerate(peaks):
        markers[tuple(p)] = k + 1
    ws = watershed(-dist, markers, mask=mask, connectivity=np.ones((3, 3, 3), bool))
    tifffile.imwrite(os.path.join(out, "spheres.ome.tif"), img, ome=True, compression="zlib",
                     metadata={"axes": "ZYX", "PhysicalSizeZ": spacing[0], "PhysicalSizeY": spacing[1], "PhysicalSizeX": spacing[2],
                               "PhysicalSizeZUnit": "\u00b5m", "PhysicalSizeYUnit": "\u00b5m", "PhysicalSizeXUnit": "\u00b5m"})
    tifffile.imwrite(os.path.join(out, "expected_labels.tif"), ws.astype(np.uint16), compression="zlib")
    info = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__, "skimage": skimage.__version__},
            "shape": list(shape), "spacing_um": list(spacing), "centres_um": centres, "radii_um": radii,
            "otsu_threshold": float(t), "components": int(comps.max()), "seeds": int(len(peaks)),
            "objects": int(ws.max()), "seed_radius_um": radius,
            "voxels_per_object": [int((ws == k).sum()) for k in range(1, int(ws.max()) + 1)]}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(info, f, indent=1)
    print("pipeline-3d", info)


def main():
    if "--pipeline-3d" in sys.argv:
        pipeline_3d()
        return
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
