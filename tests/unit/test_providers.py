"""Execution-provider choice and fallback: the GPU paths cannot run here, so failures are injected
through tests/faults.py, as BACKDROP_TEST_FAULTS says, in a subprocess each (sessions are shared
process-wide); the CPU path is real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.providers import CPU, cache_root, plan_providers, provider_chain, provider_options, tensorrt_loads
from tests.conftest import REPO

PROBE = r"""
import json, numpy as np
import core.session
from tests import faults
faults.install(core.session)
from core.model_registry import find_model
from core.preprocess import resize_to_model, to_tensor
from core.session import create_session
from core.tools.media_io import read_rgb
from pathlib import Path
card = find_model("selfie_general")
x = to_tensor(resize_to_model(read_rgb(Path("core/samples/astronaut.jpg")), 256, 256))
ref = create_session(card, "cpu")
s = create_session(card, REQUEST)
out = []
for i in range(6):
    before = s.provider
    m = s.run(x)
    out.append({"before": before, "after": s.provider, "maxdiff": float(np.abs(m - ref.run(x)).max())})
print(json.dumps({"runs": out, "fallbacks": s.fallbacks, "describe": s.describe()}))
"""


def _probe(faults: str, request: str = "auto") -> dict:
    env = {**os.environ, "BACKDROP_TEST_FAULTS": faults}
    res = subprocess.run([sys.executable, "-c", PROBE.replace("REQUEST", repr(request))], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_chain_prefers_each_platforms_gpu_provider_and_ends_with_cpu():
    everything = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "DmlExecutionProvider",
                  "CoreMLExecutionProvider", "OpenVINOExecutionProvider", CPU]
    assert provider_chain("auto", ["DmlExecutionProvider", CPU], "win32") == ["DmlExecutionProvider", CPU]
    assert provider_chain("auto", ["CoreMLExecutionProvider", CPU], "darwin") == ["CoreMLExecutionProvider", CPU]
    assert provider_chain("auto", [CPU], "linux") == [CPU]
    assert provider_chain("auto", everything, "linux", tensorrt="libnvinfer.so.10") == [
        "TensorrtExecutionProvider", "CUDAExecutionProvider", "OpenVINOExecutionProvider", CPU]
    assert "CoreMLExecutionProvider" not in provider_chain("auto", everything, "win32")
    assert provider_chain("cuda", [CPU], "linux") == ["CUDAExecutionProvider", CPU]
    assert provider_chain("cpu", everything, "win32") == [CPU]


def test_provider_failing_at_creation_falls_back_to_cpu_and_says_why():
    r = _probe("fake=CUDAExecutionProvider,fail_create=CUDAExecutionProvider")
    assert all(run["after"] == CPU for run in r["runs"])
    assert r["fallbacks"] == ["CUDAExecutionProvider: injected failure creating a CUDAExecutionProvider session"]
    assert "on CPU" in r["describe"] and "CUDAExecutionProvider" in r["describe"]


def test_provider_failing_mid_stream_falls_back_without_losing_a_mask():
    r = _probe("fake=CUDAExecutionProvider,fail_run=CUDAExecutionProvider@3")
    providers = [(run["before"], run["after"]) for run in r["runs"]]
    assert providers[:3] == [("CUDAExecutionProvider", "CUDAExecutionProvider")] * 3
    assert providers[3] == ("CUDAExecutionProvider", CPU)  # the failing frame is rerun on the CPU
    assert all(p == (CPU, CPU) for p in providers[4:])
    assert all(run["maxdiff"] < 1e-5 for run in r["runs"])  # every frame produced its mask
    assert "failed while running" in r["fallbacks"][0]


def test_requested_provider_that_is_not_installed_falls_back_with_the_reason():
    r = _probe("", request="directml")
    assert r["runs"][0]["after"] == CPU
    assert "DmlExecutionProvider: not available in the installed onnxruntime package" in r["fallbacks"][0]


def test_filters_with_the_same_model_and_provider_share_one_session():
    from core.segmenter import Segmenter
    from core.session import live_sessions, release_sessions

    release_sessions()
    a, b = Segmenter("selfie_general", "cpu"), Segmenter("selfie_general", "cpu")
    c = Segmenter("selfie_landscape", "cpu")
    assert a.session is b.session and a.session is not c.session
    assert live_sessions() == 2
    release_sessions()


def test_cuda_goes_before_tensorrt_unless_tensorrts_libraries_load():
    gpu = ["TensorrtExecutionProvider", "CUDAExecutionProvider", CPU]  # what onnxruntime-gpu reports, libraries or not
    for platform in ("linux", "win32"):
        chain, notes = plan_providers("auto", gpu, platform, tensorrt=None)
        assert chain == ["CUDAExecutionProvider", "TensorrtExecutionProvider", CPU]
        assert notes and "TensorRT's libraries" in notes[0] and "CUDA goes first" in notes[0]
        chain, notes = plan_providers("auto", gpu, platform, tensorrt="nvinfer_10.dll")
        assert chain == gpu and notes == []
    assert plan_providers("tensorrt", gpu, "linux", tensorrt=None)[0][0] == "TensorrtExecutionProvider"  # asked for


def test_tensorrt_libraries_are_looked_for_by_their_real_names():
    tried = []

    def load(name):
        tried.append(name)
        if name != "libnvinfer.so.8":
            raise OSError(name)

    assert tensorrt_loads.__wrapped__("linux", load) == "libnvinfer.so.8"
    assert tried == ["libnvinfer.so.10", "libnvinfer.so.8"]
    assert tensorrt_loads.__wrapped__("win32", lambda name: (_ for _ in ()).throw(OSError(name))) is None
    assert tensorrt_loads.__wrapped__("darwin", load) is None  # no TensorRT on macOS


def test_a_session_says_why_tensorrt_was_put_after_cuda():
    r = _probe("fake=TensorrtExecutionProvider+CUDAExecutionProvider")  # this machine has no TensorRT libraries
    assert r["runs"][0]["after"] == "CUDAExecutionProvider"
    assert "TensorRT's libraries" in r["describe"] and "on CUDA" in r["describe"]


def test_compiled_gpu_models_are_cached_per_user_and_per_model(tmp_path):
    assert cache_root("win32", {"LOCALAPPDATA": "C:/Users/nick/AppData/Local"}) == \
        Path("C:/Users/nick/AppData/Local/Backdrop/Cache")
    assert cache_root("darwin", {}, Path("/Users/nina")) == Path("/Users/nina/Library/Caches/Backdrop")
    assert cache_root("linux", {"XDG_CACHE_HOME": "/x"}) == Path("/x/backdrop")
    trt = provider_options("TensorrtExecutionProvider", "abc123", root=tmp_path)
    assert trt["trt_engine_cache_enable"] == "True"
    assert trt["trt_engine_cache_path"] == str(tmp_path / "tensorrt" / "abc123")
    assert trt["trt_timing_cache_path"] == trt["trt_engine_cache_path"]
    assert (tmp_path / "tensorrt" / "abc123").is_dir()
    other = provider_options("TensorrtExecutionProvider", "def456", root=tmp_path)
    assert other["trt_engine_cache_path"] != trt["trt_engine_cache_path"]  # a changed model is compiled afresh
    coreml = provider_options("CoreMLExecutionProvider", "abc123", "1.32.0", root=tmp_path)
    assert coreml == {"ModelFormat": "MLProgram", "MLComputeUnits": "ALL",
                      "ModelCacheDirectory": str(tmp_path / "coreml" / "abc123")}
    # onnxruntime 1.19.2 (the macOS 11-13 and Intel pins) reads only "flags": no cache option exists there
    assert provider_options("CoreMLExecutionProvider", "abc123", "1.19.2", root=tmp_path) == {
        "flags": "COREML_FLAG_CREATE_MLPROGRAM"}


def test_directml_is_loaded_from_the_package_before_onnxruntime(tmp_path):
    """OBS 32 on Windows searches only default folders for DLLs; System32 has an older DirectML.dll."""
    from importlib.machinery import ModuleSpec

    from core import ort_loader

    package = tmp_path / "site-packages" / "onnxruntime"
    (package / "capi").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    spec = ModuleSpec("onnxruntime", None, origin=str(package / "__init__.py"))
    calls = []
    assert ort_loader.prefer_packaged_directml("win32", lambda name: spec, calls.append, calls.append) is None
    (package / "capi" / "DirectML.dll").write_bytes(b"MZ")
    ort_loader._loaded.clear()
    dll = ort_loader.prefer_packaged_directml("win32", lambda name: spec, lambda d: calls.append(("dir", d)),
                                              lambda p: calls.append(("load", p)))
    assert dll == package / "capi" / "DirectML.dll"
    assert calls == [("dir", str(package / "capi")), ("load", str(dll))]  # search path first, then by full path
    ort_loader._loaded.clear()
    assert ort_loader.prefer_packaged_directml("linux", lambda name: spec, calls.append, calls.append) is None
