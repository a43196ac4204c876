"""Unit tests of scripts/export_cellpose_onnx.py's decisions, runnable without torch or Cellpose
(`python3 -m unittest discover -s test/python`; run by test/export-cellpose-script.test.ts).

What they cannot cover here: the export itself (needs torch + cellpose), i.e. that build_v3/build_v4 load the
right networks and that the ONNX graphs match torch; see docs/cellpose-models.md for where that was run."""
import importlib.util
import os
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "export_cellpose_onnx.py"
spec = importlib.util.spec_from_file_location("export_cellpose_onnx", SCRIPT)
ex = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ex)


class ImportsWithoutTorch(unittest.TestCase):
    def test_module_imports_without_torch_numpy_or_cellpose(self):
        for heavy in ("torch", "cellpose", "onnx", "onnxruntime"):
            self.assertNotIn(heavy, ex.__dict__, heavy)


class CellposeMajor(unittest.TestCase):
    def test_package_metadata_first(self):
        self.assertEqual(ex.cellpose_major(lambda n: "3.1.1.3", lambda m: True)[0], 3)
        self.assertEqual(ex.cellpose_major(lambda n: "4.0.9", lambda m: False)[0], 4)

    def test_source_checkout_falls_back_to_module_layout(self):
        def missing(name):
            raise Exception("no metadata")

        self.assertEqual(ex.cellpose_major(missing, lambda m: m == "cellpose.vit_sam"), (4, "module layout (cellpose.vit_sam)"))
        self.assertEqual(ex.cellpose_major(missing, lambda m: m == "cellpose.resnet_torch"), (3, "module layout (cellpose.resnet_torch)"))
        with self.assertRaisesRegex(ex.ExportError, "cannot determine the installed Cellpose version"):
            ex.cellpose_major(missing, lambda m: False)


class ModelNames(unittest.TestCase):
    never = staticmethod(lambda p: False)

    def test_known_names_pass(self):
        self.assertEqual(ex.check_model_name("cyto3", 3, None, self.never), "builtin")
        self.assertEqual(ex.check_model_name("nuclei", 3, None, self.never), "builtin")
        self.assertEqual(ex.check_model_name("cpsam", 4, None, self.never), "builtin")
        # The installed package's own list wins over the built-in fallback list.
        self.assertEqual(ex.check_model_name("cyto4", 4, ("cpsam", "cyto4"), self.never), "builtin")

    def test_name_of_the_other_version_names_the_version_needed(self):
        # Cellpose 4 would load cpsam for cyto3; Cellpose 3 would load cyto3 for cpsam.
        with self.assertRaisesRegex(ex.ExportError, r"'cyto3' needs Cellpose 3, but Cellpose 4\.x is installed \(it would silently load cpsam instead\).*cellpose>=3,<4"):
            ex.check_model_name("cyto3", 4, None, self.never)
        with self.assertRaisesRegex(ex.ExportError, r"'cpsam' needs Cellpose 4, but Cellpose 3\.x is installed \(it would silently load cyto3 instead\).*cellpose>=4"):
            ex.check_model_name("cpsam", 3, None, self.never)

    def test_unknown_name_is_refused(self):
        # Cellpose 3 loads cyto3 for the unknown "cyto4".
        with self.assertRaisesRegex(ex.ExportError, r"'cyto4' is neither a file nor a built-in model of Cellpose 3\.x \(it would silently load cyto3 instead\)"):
            ex.check_model_name("cyto4", 3, ex.V3_MODEL_NAMES, self.never)

    def test_existing_weight_file_always_passes(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "my_model")
            Path(p).write_bytes(b"x")
            self.assertEqual(ex.check_model_name(p, 3), "file")
            self.assertEqual(ex.check_model_name(p, 4), "file")


class CheckNeedsOnnxruntime(unittest.TestCase):
    def test_missing_onnxruntime_is_reported_before_the_export(self):
        def imp(name):
            raise ImportError(name)

        with self.assertRaisesRegex(ex.ExportError, "--check needs onnxruntime for Python: pip install onnxruntime"):
            ex.require_onnxruntime(imp)
        self.assertEqual(ex.require_onnxruntime(lambda n: "module"), "module")

    def test_run_refuses_before_importing_torch(self):
        args = ex.parse_args(["--model", "cyto3", "--out", "/nonexistent/x.onnx", "--check"])
        with mock.patch.object(ex, "cellpose_major", return_value=(3, "test")), \
                mock.patch.object(ex, "require_onnxruntime", side_effect=ex.ExportError("--check needs onnxruntime")), \
                mock.patch.dict(sys.modules, {"torch": None}):
            with self.assertRaisesRegex(ex.ExportError, "--check needs onnxruntime"):
                ex.run(args)
        args = ex.parse_args(["--model", "cyto4", "--out", "/nonexistent/x.onnx"])
        with mock.patch.object(ex, "cellpose_major", return_value=(3, "test")), \
                mock.patch.object(ex, "installed_model_names", return_value=None), \
                mock.patch.dict(sys.modules, {"torch": None}):
            with self.assertRaisesRegex(ex.ExportError, "neither a file nor a built-in model"):
                ex.run(args)

    def test_main_prints_one_error_line_and_exits_1(self):
        with mock.patch.object(ex, "cellpose_major", return_value=(4, "test")), mock.patch.object(ex, "installed_model_names", return_value=None):
            with self.assertRaises(SystemExit) as cm:
                ex.main(["--model", "cyto3", "--out", "x.onnx"])
        self.assertTrue(str(cm.exception.code).startswith("error: model 'cyto3' needs Cellpose 3"))


class ExporterArguments(unittest.TestCase):
    def test_dynamo_false_only_where_the_argument_exists(self):
        def new_export(model, args, f, *, opset_version=None, input_names=None, output_names=None, dynamic_axes=None, do_constant_folding=True, dynamo=True):
            pass

        def old_export(model, args, f, opset_version=None, input_names=None, output_names=None, dynamic_axes=None, do_constant_folding=True):
            pass

        kw = ex.export_kwargs(new_export, 17, ["flows"], {"input": {0: "batch"}})
        self.assertIs(kw["dynamo"], False)
        self.assertEqual(kw["opset_version"], 17)
        self.assertEqual(kw["output_names"], ["flows"])
        self.assertNotIn("dynamo", ex.export_kwargs(old_export, 17, ["flows"], {}))


class Metadata(unittest.TestCase):
    def test_v3_writes_diam_labels_v4_does_not(self):
        m3 = ex.model_metadata("3", "cpnet", 2, 224, 30.0, 21.5)
        self.assertEqual(m3, {"cellpose_version": "3", "architecture": "cpnet", "input_channels": "2", "tile_size": "224", "diam_mean": "30.0", "diam_labels": "21.5"})
        m4 = ex.model_metadata("4", "cpsam", 3, 256, 30.0, 30.0)
        self.assertNotIn("diam_labels", m4)
        self.assertEqual(ex.sidecar_json(m3), {"cellpose_version": "3", "architecture": "cpnet", "input_channels": 2, "tile_size": 224, "diam_mean": 30.0, "diam_labels": 21.5})

    def test_install_line_names_onnxruntime(self):
        self.assertIn("pip install cellpose onnx onnxruntime", ex.__doc__)


if __name__ == "__main__":
    unittest.main()
