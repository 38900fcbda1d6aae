"""Execution-provider choice: which ONNX Runtime providers to try, in which order, with which options.

The chain is the preferred GPU provider(s) for this OS, then CPU. Only providers the installed
onnxruntime package reports are tried; CPU is always last, so a missing GPU never breaks the filter.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

CPU = "CPUExecutionProvider"
CUDA, TENSORRT, COREML = "CUDAExecutionProvider", "TensorrtExecutionProvider", "CoreMLExecutionProvider"
# TensorRT's runtime, newest first, as ONNX Runtime's TensorRT provider loads it. onnxruntime-gpu lists
# TensorRT among its providers whether or not these are installed, and then fails to create it.
TENSORRT_LIBRARIES = {"win32": ["nvinfer_10.dll", "nvinfer.dll"], "linux": ["libnvinfer.so.10", "libnvinfer.so.8"]}
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


@functools.cache
def tensorrt_loads(platform: str = sys.platform, load=None) -> str | None:
    """The TensorRT library that loads here, or None."""
    if load is None:
        import ctypes

        load = ctypes.CDLL
    for name in TENSORRT_LIBRARIES.get(platform_key(platform), []):
        try:
            load(name)
            return name
        except OSError:
            continue
    return None


def plan_providers(requested: str, available: list[str], platform: str = sys.platform,
                   tensorrt: str | None | bool = False) -> tuple[list[str], list[str]]:
    """(providers to try in order, notes on faster ones put back). `requested` is "auto", a short name
    (see SHORT_NAMES) or a full name; `tensorrt` is what tensorrt_loads() found (False: look now).

    An explicitly requested provider goes first even if it is not reported available, so the user
    gets an error that says why it did not run; auto mode only tries what is installed, and puts
    CUDA before TensorRT unless TensorRT's libraries load.
    """
    key = requested.strip()
    full = SHORT_NAMES.get(key.lower(), key) if key.lower() in SHORT_NAMES else key
    notes: list[str] = []
    if full is None:
        chain = [p for p in PREFERENCE.get(platform_key(platform), []) if p in available]
        if TENSORRT in chain and CUDA in chain:
            libs = tensorrt_loads(platform) if tensorrt is False else tensorrt
            if not libs:
                chain.remove(TENSORRT)
                chain.insert(chain.index(CUDA) + 1, TENSORRT)
                names = " or ".join(TENSORRT_LIBRARIES.get(platform_key(platform), ["TensorRT"]))
                notes.append(f"{TENSORRT}: TensorRT's libraries ({names}) do not load, so CUDA goes first")
    else:
        chain = [full]
    if CPU not in chain:
        chain.append(CPU)
    return chain, notes


def provider_chain(requested: str, available: list[str], platform: str = sys.platform,
                   tensorrt: str | None | bool = False) -> list[str]:
    return plan_providers(requested, available, platform, tensorrt)[0]


def cache_root(platform: str = sys.platform, env: dict[str, str] | None = None, home: Path | None = None) -> Path:
    """Backdrop's per-user cache folder (compiled GPU models), where each OS keeps caches."""
    env = dict(os.environ) if env is None else env
    home = home or Path.home()
    if platform == "win32":
        return Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local") / "Backdrop" / "Cache"
    if platform == "darwin":
        return home / "Library" / "Caches" / "Backdrop"
    return Path(env.get("XDG_CACHE_HOME") or home / ".cache") / "backdrop"


def model_cache(provider: str, model_key: str, root: Path | None = None) -> Path:
    """One folder per provider and model content: a changed model never meets a stale compiled one."""
    folder = (root or cache_root()) / provider.removesuffix("ExecutionProvider").lower() / model_key
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def session_options_for(provider: str, base) -> None:
    """Adjust SessionOptions in place for providers with special needs."""
    from .ort_loader import onnxruntime

    ort = onnxruntime()
    if provider == "DmlExecutionProvider":
        # DirectML cannot run with memory patterns or parallel execution (ORT documentation).
        base.enable_mem_pattern = False
        base.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("+")[0].split(".")[:2] if x.isdigit())


def provider_options(provider: str, model_key: str = "", ort_version: str = "1.32.0", coreml_units: str = "ALL",
                     root: Path | None = None) -> dict:
    """Per-provider options passed to InferenceSession; compiled models go to the per-user cache."""
    if provider == COREML:
        if _version(ort_version) < (1, 21):
            # Before 1.21 the Python API reads only "flags": the macOS wheels of 1.19.2 and 1.20.0 hold the
            # strings "flags" and COREML_FLAG_* next to each other and no ModelFormat or ModelCacheDirectory
            # (1.21.0's hold all three). ML Program yes, a model cache no.
            return {"flags": "COREML_FLAG_CREATE_MLPROGRAM"}
        options = {"ModelFormat": "MLProgram", "MLComputeUnits": coreml_units}
        if model_key:
            options["ModelCacheDirectory"] = str(model_cache(provider, model_key, root))
        return options
    if provider == CUDA:
        return {"cudnn_conv_algo_search": "HEURISTIC"}
    if provider == TENSORRT and model_key:
        folder = str(model_cache(provider, model_key, root))
        return {"trt_engine_cache_enable": "True", "trt_engine_cache_path": folder,
                "trt_timing_cache_enable": "True", "trt_timing_cache_path": folder}
    return {}
