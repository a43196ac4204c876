#!/usr/bin/env python3
"""Writes test/data/nuclei-model/: a 192 × 256 crop of one BBBC039 *dev* image and of its hand-annotated labels,
for test/nuclei-model.test.ts (the shipped `cellcoloc-nuclei` network must segment it close to the annotation).

The crop is taken from the dev split (never from train/: the test must not score the network on its own
training data). Labels are the curator's derived instance labels, cropped and renumbered 1..N in raster order;
objects cut by the crop edge keep their visible part. Needs python3-tifffile and numpy.

Usage: /usr/bin/python3 scripts/make_nuclei_model_fixture.py [--data ../shared/data/bbbc039-u2os-nuclei]
"""
import argparse
import os

import numpy as np
import tifffile

NAME = 'IXMtest_D20_s3'
Y0, X0, H, W = 160, 224, 192, 256

ap = argparse.ArgumentParser()
ap.add_argument('--data', default=os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'data', 'bbbc039-u2os-nuclei'))
ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'test', 'data', 'nuclei-model'))
a = ap.parse_args()

img = tifffile.imread(os.path.join(a.data, 'dev', 'images', NAME + '.tif'))[Y0:Y0 + H, X0:X0 + W]
lab = tifffile.imread(os.path.join(a.data, 'dev', 'labels', NAME + '_labels.tif'))[Y0:Y0 + H, X0:X0 + W]
# renumber 1..N in raster order of each object's first pixel
flat = lab.ravel()
ids, first = np.unique(flat, return_index=True)
order = [i for _, i in sorted(zip(first, ids)) if i != 0]
remap = np.zeros(int(lab.max()) + 1, np.uint16)
for k, i in enumerate(order, 1):
    remap[i] = k
out = remap[lab]
os.makedirs(a.out, exist_ok=True)
tifffile.imwrite(os.path.join(a.out, f'{NAME}_crop.tif'), img.astype(np.uint16), compression='zlib')
tifffile.imwrite(os.path.join(a.out, f'{NAME}_crop_labels.tif'), out, compression='zlib')
print(f'{NAME} [{Y0}:{Y0 + H}, {X0}:{X0 + W}]: {len(order)} objects, image {img.dtype} max {img.max()}')
