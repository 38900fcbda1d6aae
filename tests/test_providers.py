"""Execution-provider choice and fallback: the GPU paths cannot run here, so failures are injected
through BACKDROP_TEST_FAULTS (read once at start-up, hence the subprocesses); the CPU path is real."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from core.providers import CPU, provider_chain
from tests.conftest import REPO

PROBE = r"""
import json, numpy as np
from core.model_registry import find_model
from core.preprocess import resize_to_model, to_tensor
from core.session import create_session
from core.media_io import read_rgb
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
    assert provider_chain("auto", everything, "linux") == ["TensorrtExecutionProvider", "CUDAExecutionProvider",
                                                           "OpenVINOExecutionProvider", CPU]
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
