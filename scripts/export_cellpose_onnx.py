#!/usr/bin/env python3
"""Export a Cellpose network to the ONNX layout CellColoc's Cellpose backend expects.

Run this where Cellpose and PyTorch are installed (CellColoc itself never needs Python):

    pip install cellpose onnx onnxruntime   # cellpose 3.x for cyto3/nuclei/cyto2, 4.x for cpsam
    python scripts/export_cellpose_onnx.py --model cyto3  --out ~/.cache/cellcoloc/models/cyto3.onnx
    python scripts/export_cellpose_onnx.py --model nuclei --out ~/.cache/cellcoloc/models/nuclei.onnx
    python scripts/export_cellpose_onnx.py --model cpsam  --out ~/.cache/cellcoloc/models/cpsam.onnx
    python scripts/export_cellpose_onnx.py --model /path/to/my_custom_model --out my_custom_model.onnx

(`onnxruntime` is only needed for `--check`.) `--model` is a built-in model name (downloaded by Cellpose on
first use) or the path of a Cellpose weight file. The installed Cellpose major version decides the network
type: 3.x -> CPnet, 4.x -> Cellpose-SAM. A built-in name the installed version does not have is refused
(Cellpose would silently load its default model instead: cyto3 on 3.x, cpsam on 4.x).

Layout written (docs/cellpose-models.md):
  * input  `input` [batch, C, H, W] float32: normalised, zero-padded tiles (C = 2 for CPnet, 3 for cpsam)
  * output `flows` [batch, 3, H, W] float32: dY, dX, cellprob logit
  * output `style` [batch, 256] float32 (CPnet only; CellColoc ignores it)
  * opset 17; dynamic axes: CPnet batch, height, width (H, W multiples of 16); cpsam batch only (256 x 256 fixed)
  * ONNX metadata_props: cellpose_version ("3"/"4"), architecture ("cpnet"/"cpsam"), input_channels,
    tile_size (224/256), diam_mean (30; 17 for nuclei), for Cellpose 3 also diam_labels (the mean diameter of
    the training labels: Cellpose 3 rescales by diam_mean / diam_labels when no diameter is given, which matters
    for custom-trained models), plus informational keys source and cellpose_package
`--sidecar` also writes `<out>.json` with the same keys (the backend reads it when the ONNX file has no metadata).

Notes (cellpose-internals section 16):
  * CPnet's style pooling `avg_pool2d(kernel_size=x.shape[2:])` is frozen to the trace-time size by the tracer; the
    wrapper below uses `mean(dim=(2, 3))` instead (identical maths, valid for every H, W).
  * Cellpose-SAM is exported in float32 (Cellpose itself runs it in bfloat16 by default: expect ~1e-2 differences
    against a default Cellpose run, ~1e-6 against `use_bfloat16=False`).
  * The TorchScript exporter is used (`dynamo=False` where torch.onnx.export has that argument: newer torch
    defaults to the dynamo exporter, whose graphs differ).
  * `--check` compares onnxruntime (Python) with torch on a random batch; onnxruntime is checked before the export.

The decisions (version, model name, exporter arguments, metadata) are plain functions without torch, tested
by test/python/test_export_cellpose_onnx.py.
"""
import argparse
import importlib
import importlib.util
import inspect
import json
import os
import sys
from importlib.metadata import version as pkg_version

# Built-in model names per Cellpose major version, used when the installed package's `models.MODEL_NAMES`
# cannot be read, and to say which version a name needs. Cellpose 3.1 (models.MODEL_NAMES) and 4.x.
V3_MODEL_NAMES = (
    "cyto3", "nuclei", "cyto2_cp3", "tissuenet_cp3", "livecell_cp3", "yeast_PhC_cp3", "yeast_BF_cp3",
    "bact_phase_cp3", "bact_fluor_cp3", "deepbacs_cp3", "cyto2", "cyto", "CPx", "transformer_cp3",
    "neurips_cellpose_default", "neurips_cellpose_transformer", "neurips_grayscale_cyto",
)
V4_MODEL_NAMES = ("cpsam",)
# What Cellpose loads instead of a name it does not know.
FALLBACK_MODEL = {3: "cyto3", 4: "cpsam"}
PIP_SPEC = {3: "cellpose>=3,<4", 4: "cellpose>=4"}


class ExportError(Exception):
    """A refusal with a message for the user (printed as `error: ...`, exit status 1)."""


def _has_module(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def cellpose_major(version_of=pkg_version, has_module=_has_module):
    """Major version of the installed Cellpose: from the package metadata, else (a source checkout on
    PYTHONPATH has none) from the module layout: `cellpose.vit_sam` exists only in 4.x, `cellpose.resnet_torch`
    in 3.x. Returns (major, how it was found)."""
    try:
        v = version_of("cellpose")
        return int(str(v).split(".")[0]), f"package metadata {v}"
    except Exception:
        pass
    if has_module("cellpose.vit_sam"):
        return 4, "module layout (cellpose.vit_sam)"
    if has_module("cellpose.resnet_torch"):
        return 3, "module layout (cellpose.resnet_torch)"
    raise ExportError(
        "cannot determine the installed Cellpose version: no package metadata, and neither cellpose.vit_sam (4.x) "
        "nor cellpose.resnet_torch (3.x) is importable; pip install cellpose"
    )


def check_model_name(model, major, installed_names=None, is_file=None):
    """'file' for an existing weight file, 'builtin' for a name the installed Cellpose has; otherwise an
    ExportError naming the Cellpose version the name needs (Cellpose itself would load its default model)."""
    is_file = is_file or (lambda p: os.path.isfile(os.path.expanduser(p)))
    if is_file(model):
        return "file"
    names = tuple(installed_names) if installed_names else (V4_MODEL_NAMES if major >= 4 else V3_MODEL_NAMES)
    if model in names:
        return "builtin"
    fallback = FALLBACK_MODEL.get(4 if major >= 4 else 3)
    need = 4 if model in V4_MODEL_NAMES else 3 if model in V3_MODEL_NAMES else None
    if need is not None and need != (4 if major >= 4 else 3):
        raise ExportError(
            f"model {model!r} needs Cellpose {need}, but Cellpose {major}.x is installed (it would silently load "
            f"{fallback} instead); install it in a separate environment: pip install '{PIP_SPEC[need]}'"
        )
    raise ExportError(
        f"{model!r} is neither a file nor a built-in model of Cellpose {major}.x (it would silently load {fallback} "
        f"instead); built-in names: {', '.join(names)}; Cellpose 3 names need pip install '{PIP_SPEC[3]}', "
        f"cpsam needs pip install '{PIP_SPEC[4]}'"
    )


def require_onnxruntime(import_module=importlib.import_module):
    """`--check` needs onnxruntime for Python: fail before a long export, not after it."""
    try:
        return import_module("onnxruntime")
    except ImportError:
        raise ExportError("--check needs onnxruntime for Python: pip install onnxruntime (or leave out --check)")


def export_kwargs(export_fn, opset, outputs, dynamic):
    """Keyword arguments for torch.onnx.export; `dynamo=False` where the argument exists (torch >= 2.5 has it,
    and newer torch defaults to the dynamo exporter)."""
    kw = dict(
        opset_version=opset,
        input_names=["input"],
        output_names=list(outputs),
        dynamic_axes=dynamic,
        do_constant_folding=True,
    )
    try:
        params = inspect.signature(export_fn).parameters
    except (TypeError, ValueError):
        params = {}
    if "dynamo" in params:
        kw["dynamo"] = False
    return kw


def model_metadata(cp_version, arch, nchan, tile, diam_mean, diam_labels=None):
    """The metadata keys CellColoc reads (docs/cellpose-models.md), as strings (ONNX metadata_props).
    `diam_labels` is written for Cellpose 3 models only (Cellpose 4 never uses it)."""
    meta = {
        "cellpose_version": str(cp_version),
        "architecture": arch,
        "input_channels": str(int(nchan)),
        "tile_size": str(int(tile)),
        "diam_mean": repr(float(diam_mean)),
    }
    if str(cp_version) == "3" and diam_labels is not None and float(diam_labels) > 0:
        meta["diam_labels"] = repr(float(diam_labels))
    return meta


def sidecar_json(meta):
    """The `<out>.json` sidecar: the same keys with numbers as numbers."""
    out = {}
    for k, v in meta.items():
        if k in ("input_channels", "tile_size"):
            out[k] = int(v)
        elif k in ("diam_mean", "diam_labels"):
            out[k] = float(v)
        else:
            out[k] = v
    return out


def installed_model_names():
    """`cellpose.models.MODEL_NAMES` of the installed package, or None."""
    try:
        return tuple(importlib.import_module("cellpose.models").MODEL_NAMES)
    except Exception:
        return None


def build_v3(model):
    import torch
    from cellpose import models

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

    kwargs = dict(gpu=False, mkldnn=False)
    if os.path.isfile(os.path.expanduser(model)):
        cp = models.CellposeModel(pretrained_model=os.path.expanduser(model), **kwargs)
    else:
        cp = models.CellposeModel(model_type=model, **kwargs)
    net = cp.net.float().eval()
    net.mkldnn = False
    nchan = int(getattr(cp, "nchan", 2))
    diam_mean = float(cp.diam_mean)
    labels = getattr(cp, "diam_labels", None)
    if labels is None and hasattr(net, "diam_labels"):
        labels = net.diam_labels
    diam_labels = float(labels.item() if hasattr(labels, "item") else labels) if labels is not None else None
    return CPnetForOnnx(net).eval(), nchan, 224, diam_mean, diam_labels


def build_v4(model):
    import torch
    from cellpose import models

    class SamForOnnx(torch.nn.Module):
        """vit_sam.Transformer returning only the flows."""

        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net(x)[0]

    path = os.path.expanduser(model)
    pm = path if os.path.isfile(path) else model
    cp = models.CellposeModel(gpu=False, pretrained_model=pm, use_bfloat16=False)
    net = cp.net.float().eval()
    diam_mean = float(net.diam_mean.item()) if hasattr(net, "diam_mean") else 30.0
    return SamForOnnx(net).eval(), 3, 256, diam_mean, None


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="built-in name (cyto3, nuclei, cyto2, cpsam, ...) or weight file path")
    ap.add_argument("--out", required=True, help="output .onnx file")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--sidecar", action="store_true", help="also write <out>.json with the metadata keys")
    ap.add_argument("--check", action="store_true", help="compare onnxruntime with torch on a random batch (needs onnxruntime)")
    return ap.parse_args(argv)


def run(args):
    # Every refusal comes before torch is imported and before the (minutes-long, for cpsam) export.
    major, how = cellpose_major()
    if major < 3:
        raise ExportError(f"cellpose {major}.x is not supported (need 3.x for CPnet models or 4.x for cpsam)")
    ort = require_onnxruntime() if args.check else None
    check_model_name(args.model, major, installed_model_names())

    import numpy as np
    import torch

    if major >= 4:
        wrapper, nchan, tile, diam_mean, diam_labels = build_v4(args.model)
        arch, cp_version = "cpsam", "4"
        outputs = ["flows"]
        dynamic = {"input": {0: "batch"}, "flows": {0: "batch"}}
    else:
        wrapper, nchan, tile, diam_mean, diam_labels = build_v3(args.model)
        arch, cp_version = "cpnet", "3"
        outputs = ["flows", "style"]
        dynamic = {
            "input": {0: "batch", 2: "height", 3: "width"},
            "flows": {0: "batch", 2: "height", 3: "width"},
            "style": {0: "batch"},
        }
    dummy = torch.randn(2, nchan, tile, tile)

    out = os.path.expanduser(args.out)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(wrapper, dummy, out, **export_kwargs(torch.onnx.export, args.opset, outputs, dynamic))

    import onnx

    meta = model_metadata(cp_version, arch, nchan, tile, diam_mean, diam_labels)
    m = onnx.load(out)
    del m.metadata_props[:]
    for k, v in {**meta, "source": str(args.model), "cellpose_package": f"{major} ({how})"}.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(m, out)
    extra = f", diam_labels {meta['diam_labels']}" if "diam_labels" in meta else ""
    print(f"wrote {out}: {arch} (Cellpose {cp_version}), {nchan} input channels, tile {tile}, diam_mean {diam_mean}{extra}")

    if args.sidecar:
        with open(out + ".json", "w") as f:
            json.dump(sidecar_json(meta), f, indent=4)
        print(f"wrote {out}.json")

    if ort is not None:
        x = torch.randn(2, nchan, tile, tile)
        with torch.no_grad():
            ref = wrapper(x)
        ref = ref[0] if isinstance(ref, tuple) else ref
        sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
        got = sess.run(["flows"], {"input": x.numpy()})[0]
        print(f"check: max |onnxruntime - torch| = {np.abs(got - ref.numpy()).max():.3g} (flows up to {np.abs(ref.numpy()).max():.3g})")


def main(argv=None):
    try:
        run(parse_args(argv))
    except ExportError as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
