"""Execution-provider choice: which ONNX Runtime providers to try, in which order, with which options.

The chain is the preferred GPU provider(s) for this OS, then CPU. Only providers the installed
onnxruntime package reports are tried; CPU is always last, so a missing GPU never breaks the filter.
"""

from __future__ import annotations

import sys

CPU = "CPUExecutionProvider"
# Most preferred first. Each runs only where its package is installed (onnxruntime-gpu,
# onnxruntime-directml, onnxruntime-openvino; CoreML ships in the standard macOS wheel).
PREFERENCE = {
    "win32": ["TensorrtExecutionProvider", "CUDAExecutionProvider", "DmlExecutionProvider",
              "OpenVINOExecutionProvider"],
    "darwin": ["CoreMLExecutionProvider"],
    "linux": ["TensorrtExecutionProvider", "CUDAExecutionProvider", "OpenVINOExecutionProvider"],
}
KNOWN_GPU = sorted({p for chain in PREFERENCE.values() for p in chain})
SHORT_NAMES = {
    "auto": None, "cpu": CPU, "cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider",
    "directml": "DmlExecutionProvider", "coreml": "CoreMLExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
}


def platform_key(platform: str = sys.platform) -> str:
    return "linux" if platform.startswith("linux") else platform


def provider_chain(requested: str, available: list[str], platform: str = sys.platform) -> list[str]:
    """Providers to try in order. `requested` is "auto", a short name (see SHORT_NAMES) or a full name.

    An explicitly requested provider goes first even if it is not reported available, so the user
    gets an error that says why it did not run; auto mode only tries what is installed.
    """
    key = requested.strip()
    full = SHORT_NAMES.get(key.lower(), key) if key.lower() in SHORT_NAMES else key
    if full is None:
        chain = [p for p in PREFERENCE.get(platform_key(platform), []) if p in available]
    else:
        chain = [full]
    if CPU not in chain:
        chain.append(CPU)
    return chain


def session_options_for(provider: str, base) -> None:
    """Adjust SessionOptions in place for providers with special needs."""
    import onnxruntime as ort

    if provider == "DmlExecutionProvider":
        # DirectML cannot run with memory patterns or parallel execution (ORT documentation).
        base.enable_mem_pattern = False
        base.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL


def provider_options(provider: str, coreml_units: str = "ALL") -> dict:
    """Per-provider options passed to InferenceSession."""
    if provider == "CoreMLExecutionProvider":
        return {"ModelFormat": "MLProgram", "MLComputeUnits": coreml_units}
    if provider == "CUDAExecutionProvider":
        return {"cudnn_conv_algo_search": "HEURISTIC"}
    return {}
