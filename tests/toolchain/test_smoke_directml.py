"""The provider the smoke test expects on Windows follows ONNX Runtime's rule for DirectML: a hardware
adapter with Direct3D 12, never WARP (installer/directml_adapters.py says where the rule comes from). A
GPU-less runner such as windows-latest has WARP only: there the CPU, with DirectML's reason, is right."""

from __future__ import annotations

import types

import pytest

from installer import directml_adapters, smoke_obs
from installer.directml_adapters import Adapter, directml_adapter

WARP = Adapter("Microsoft Basic Render Driver", 0x1414, 0x8C, 2, True)  # D3D12CreateDevice succeeds on it
WARP_NO_FLAG = WARP._replace(flags=0)
GPU = Adapter("NVIDIA GeForce RTX 4060", 0x10DE, 0x2882, 0, True)
OLD_GPU = Adapter("Intel(R) HD Graphics 3000", 0x8086, 0x0126, 0, False)  # no Direct3D 12


@pytest.mark.parametrize(("adapters", "chosen"), [
    ([WARP], None), ([WARP_NO_FLAG], None), ([OLD_GPU, WARP], None), ([], None),
    ([GPU, WARP], GPU), ([WARP, OLD_GPU, GPU], GPU),
])
def test_directml_takes_hardware_adapters_with_direct3d_12_only(adapters, chosen):
    adapter, why = directml_adapter(adapters)
    assert adapter == chosen
    assert why.startswith("DXGI adapters: ")
    if WARP in adapters:
        assert "Microsoft Basic Render Driver (0x1414:0x8c): software (WARP), which DirectML refuses" in why


def _windows(monkeypatch, adapters, available):
    """smoke_obs.provider_check as on Windows with these adapters, ONNX Runtime offering `available`."""
    monkeypatch.setattr(smoke_obs, "SYSTEM", "windows")
    monkeypatch.setattr(directml_adapters, "adapters", lambda: adapters)
    # What the check asked before: D3D12CreateDevice(NULL, ...), which succeeds on WARP.
    monkeypatch.setattr(smoke_obs, "d3d12_device", lambda: (True, "S_FALSE"), raising=False)
    fake = types.SimpleNamespace(get_available_providers=lambda: available)
    monkeypatch.setattr("core.ort_loader.onnxruntime", lambda: fake)
    monkeypatch.setattr("core.providers.platform_key", lambda: "win32")


def test_a_runner_with_warp_only_expects_the_cpu_with_directml_s_reason(monkeypatch):
    _windows(monkeypatch, [WARP], ["CPUExecutionProvider"])  # the self-test fell back to the CPU build
    ok, detail = smoke_obs.provider_check("filter 'Backdrop' status: selfie_general on CPU", "auto")
    assert ok, detail
    assert "software (WARP)" in detail and "expected the CPU" in detail
    _windows(monkeypatch, [WARP], ["DmlExecutionProvider", "CPUExecutionProvider"])
    status = "filter 'Backdrop' status: selfie_general on CPU (not used: DmlExecutionProvider: failed at creation)"
    assert smoke_obs.provider_check(status, "auto")[0]
    assert not smoke_obs.provider_check("filter 'Backdrop' status: selfie_general on CPU", "auto")[0]  # no reason


def test_a_machine_with_a_gpu_expects_directml(monkeypatch):
    _windows(monkeypatch, [GPU, WARP], ["DmlExecutionProvider", "CPUExecutionProvider"])
    assert smoke_obs.provider_check("filter 'Backdrop' status: selfie_general on Dml (DirectML.dll: x)", "auto")[0]
    ok, detail = smoke_obs.provider_check("filter 'Backdrop' status: selfie_general on CPU", "auto")
    assert not ok and "expected DirectML" in detail and "NVIDIA" in detail
