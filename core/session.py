"""ONNX Runtime sessions: one per (model, provider request) per process, shared by every user.

Several Backdrop filters with the same model and provider share one session (and its thread
pool) instead of multiplying them. Creating a session checks the ONNX file against its card.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import numpy as np

from .model_registry import ModelCard, ModelError
from .providers import CPU, provider_chain, provider_options, session_options_for

DEFAULT_THREADS = 2


@dataclass
class SegmentationSession:
    """A ready session plus what the user should know about how it was made."""

    card: ModelCard
    session: object  # onnxruntime.InferenceSession
    provider: str
    requested: str
    fallbacks: list[str] = field(default_factory=list)  # "Provider: why it was not used"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, tensor: np.ndarray) -> np.ndarray:
        """NHWC float32 [1,H,W,3] in [0,1] -> [H,W] float32 P(person). Releases the GIL inside ORT."""
        with self.lock:  # one run at a time per session; ORT's own pool does the parallel work
            out = self.session.run([self.card.output_name], {self.card.input_name: tensor})[0]
        return out.reshape(self.card.height, self.card.width)


def _session_options(threads: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    # Spinning worker threads burn CPU that OBS's own threads need.
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.log_severity_level = 3
    return so


def _check_against_card(card: ModelCard, sess) -> None:
    inputs, outputs = sess.get_inputs(), sess.get_outputs()
    names_in = {i.name: list(i.shape) for i in inputs}
    names_out = {o.name: list(o.shape) for o in outputs}
    if names_in.get(card.input_name) != list(card.input_shape):
        raise ModelError(f"{card.card_path}: card says input {card.input_name!r} {list(card.input_shape)}, "
                         f"but {card.path.name} has {names_in}")
    if names_out.get(card.output_name) != list(card.output_shape):
        raise ModelError(f"{card.card_path}: card says output {card.output_name!r} "
                         f"{list(card.output_shape)}, but {card.path.name} has {names_out}")


def create_session(card: ModelCard, requested: str = "auto", threads: int = DEFAULT_THREADS
                   ) -> SegmentationSession:
    """Make a session, walking the provider chain until one works; CPU is always the last resort."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelError(f"onnxruntime is not installed ({exc}); run `python3 -m installer`") from exc
    data = card.verify_file()
    fallbacks: list[str] = []
    for provider in provider_chain(requested, ort.get_available_providers()):
        so = _session_options(threads)
        session_options_for(provider, so)
        try:
            sess = ort.InferenceSession(data, so, providers=[(provider, provider_options(provider))])
        except Exception as exc:  # ORT raises several types; a broken file is not the provider's fault
            if provider == CPU:
                raise ModelError(f"model {card.name!r}: ONNX Runtime cannot load {card.path}: "
                                 f"{str(exc).splitlines()[0][:300]}") from exc
            fallbacks.append(f"{provider}: {str(exc).splitlines()[0][:200]}")
            continue
        actual = sess.get_providers()[0]
        if actual != provider:
            fallbacks.append(f"{provider}: not available in this onnxruntime package")
            if provider != CPU:
                continue
        _check_against_card(card, sess)
        return SegmentationSession(card, sess, actual, requested, fallbacks)
    raise ModelError(f"model {card.name!r}: no execution provider could run it ({'; '.join(fallbacks)})")


_pool: dict[tuple[str, str, int], SegmentationSession] = {}
_pool_lock = threading.Lock()


def shared_session(card: ModelCard, requested: str = "auto", threads: int = DEFAULT_THREADS
                   ) -> SegmentationSession:
    """The process-wide session for (model file, provider request, threads)."""
    key = (os.fspath(card.path), requested, threads)
    with _pool_lock:
        sess = _pool.get(key)
        if sess is None:
            sess = _pool[key] = create_session(card, requested, threads)
        return sess


def release_sessions() -> None:
    """Drop every shared session (script unload / tests)."""
    with _pool_lock:
        _pool.clear()
