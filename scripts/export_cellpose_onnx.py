#!/usr/bin/env python3
"""Export a Cellpose network to the ONNX layout CellColoc's Cellpose backend expects.

Run this where Cellpose and PyTorch are installed (CellColoc itself never needs Python):

    pip install cellpose onnx            # cellpose 3.x for cyto3/nuclei/cyto2, 4.x for cpsam
    python scripts/export_cellpose_onnx.py --model cyto3  --out ~/.cache/cellcoloc/models/cyto3.onnx
    python scripts/export_cellpose_onnx.py --model nuclei --out ~/.cache/cellcoloc/models/nuclei.onnx
    python scripts/export_cellpose_onnx.py --model cpsam  --out ~/.cache/cellcoloc/models/cpsam.onnx
    python scripts/export_cellpose_onnx.py --model /path/to/my_custom_model --out my_custom_model.onnx

`--model` is a built-in model name (downloaded by Cellpose on first use) or the path of a Cellpose weight file.
The installed Cellpose major version decides the network type: 3.x -> CPnet, 4.x -> Cellpose-SAM.

Layout written (docs/cellpose-models.md):
  * input  `input` [batch, C, H, W] float32: normalised, zero-padded tiles (C = 2 for CPnet, 3 for cpsam)
  * output `flows` [batch, 3, H, W] float32: dY, dX, cellprob logit
  * output `style` [batch, 256] float32 (CPnet only; CellColoc ignores it)
  * opset 17; dynamic axes: CPnet batch, height, width (H, W multiples of 16); cpsam batch only (256 x 256 fixed)
  * ONNX metadata_props: cellpose_version ("3"/"4"), architecture ("cpnet"/"cpsam"), input_channels,
    tile_size (224/256), diam_mean (30; 17 for nuclei), plus informational keys source and cellpose_package
`--sidecar` also writes `<out>.json` with the same keys (the backend reads it when the ONNX file has no metadata).

Notes (cellpose-internals section 16):
  * CPnet's style pooling `avg_pool2d(kernel_size=x.shape[2:])` is frozen to the trace-time size by the tracer; the
    wrapper below uses `mean(dim=(2, 3))` instead (identical maths, valid for every H, W).
  * Cellpose-SAM is exported in float32 (Cellpose itself runs it in bfloat16 by default: expect ~1e-2 differences
    against a default Cellpose run, ~1e-6 against `use_bfloat16=False`).
  * `--check` compares onnxruntime (Python) with torch on a random batch when onnxruntime is installed.
"""
import argparse
import json
import os
import sys
from importlib.metadata import version as pkg_version

import numpy as np
import torch


def cellpose_major():
    try:
        return int(pkg_version("cellpose").split(".")[0])
    except Exception as e:  # pragma: no cover
        sys.exit(f"error: cannot determine the installed cellpose version ({e}); pip install cellpose")


class CPnetForOnnx(torch.nn.Module):
    """CPnet forward without mkldnn and with a size-independent style pooling; returns (flows, style)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        net = self.net
        t0 = net.downsample(x)
        style = t0[-1].mean(dim=(2, 3))  # == avg_pool2d over the whole map, then flatten
        style = style / torch.sum(style ** 2, dim=1, keepdim=True) ** 0.5
        style_in = style if getattr(net, "style_on", True) else style * 0
        t1 = net.upsample(style_in, t0, False)
        return net.output(t1), style


class SamForOnnx(torch.nn.Module):
    """vit_sam.Transformer returning only the flows."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)[0]


def build_v3(model):
    from cellpose import models

    kwargs = dict(gpu=False, mkldnn=False)
    if os.path.exists(os.path.expanduser(model)):
        cp = models.CellposeModel(pretrained_model=os.path.expanduser(model), **kwargs)
    else:
        cp = models.CellposeModel(model_type=model, **kwargs)
    net = cp.net.float().eval()
    net.mkldnn = False
    nchan = int(getattr(cp, "nchan", 2))
    diam_mean = float(cp.diam_mean)
    return CPnetForOnnx(net).eval(), nchan, 224, diam_mean


def build_v4(model):
    from cellpose import models

    path = os.path.expanduser(model)
    pm = path if os.path.exists(path) else model
    cp = models.CellposeModel(gpu=False, pretrained_model=pm, use_bfloat16=False)
    net = cp.net.float().eval()
    diam_mean = float(net.diam_mean.item()) if hasattr(net, "diam_mean") else 30.0
    return SamForOnnx(net).eval(), 3, 256, diam_mean


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="built-in name (cyto3, nuclei, cyto2, cpsam, ...) or weight file path")
    ap.add_argument("--out", required=True, help="output .onnx file")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--sidecar", action="store_true", help="also write <out>.json with the metadata keys")
    ap.add_argument("--check", action="store_true", help="compare onnxruntime with torch on a random batch")
    args = ap.parse_args()

    major = cellpose_major()
    if major >= 4:
        wrapper, nchan, tile, diam_mean = build_v4(args.model)
        arch, cp_version = "cpsam", "4"
        dummy = torch.randn(2, nchan, tile, tile)
        outputs = ["flows"]
        dynamic = {"input": {0: "batch"}, "flows": {0: "batch"}}
    elif major == 3:
        wrapper, nchan, tile, diam_mean = build_v3(args.model)
        arch, cp_version = "cpnet", "3"
        dummy = torch.randn(2, nchan, tile, tile)
        outputs = ["flows", "style"]
        dynamic = {
            "input": {0: "batch", 2: "height", 3: "width"},
            "flows": {0: "batch", 2: "height", 3: "width"},
            "style": {0: "batch"},
        }
    else:
        sys.exit(f"error: cellpose {major}.x is not supported (need 3.x for CPnet models or 4.x for cpsam)")

    out = os.path.expanduser(args.out)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            dummy,
            out,
            opset_version=args.opset,
            input_names=["input"],
            output_names=outputs,
            dynamic_axes=dynamic,
            do_constant_folding=True,
        )

    import onnx

    meta = {
        "cellpose_version": cp_version,
        "architecture": arch,
        "input_channels": str(nchan),
        "tile_size": str(tile),
        "diam_mean": repr(diam_mean),
    }
    m = onnx.load(out)
    del m.metadata_props[:]
    for k, v in {**meta, "source": str(args.model), "cellpose_package": pkg_version("cellpose")}.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(m, out)
    print(f"wrote {out}: {arch} (Cellpose {cp_version}), {nchan} input channels, tile {tile}, diam_mean {diam_mean}")

    if args.sidecar:
        side = {
            "cellpose_version": cp_version,
            "architecture": arch,
            "input_channels": nchan,
            "tile_size": tile,
            "diam_mean": diam_mean,
        }
        with open(out + ".json", "w") as f:
            json.dump(side, f, indent=4)
        print(f"wrote {out}.json")

    if args.check:
        try:
            import onnxruntime as ort
        except ImportError:
            sys.exit("--check needs onnxruntime (pip install onnxruntime)")
        x = torch.randn(2, nchan, tile, tile)
        with torch.no_grad():
            ref = wrapper(x)
        ref = ref[0] if isinstance(ref, tuple) else ref
        sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
        got = sess.run(["flows"], {"input": x.numpy()})[0]
        print(f"check: max |onnxruntime - torch| = {np.abs(got - ref.numpy()).max():.3g} (flows up to {np.abs(ref.numpy()).max():.3g})")


if __name__ == "__main__":
    main()
