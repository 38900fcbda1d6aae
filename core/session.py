"""ONNX Runtime sessions: one per (model, provider request, threads) per process, shared by every user.

Several Backdrop filters with the same model and provider share one session (and its thread
pool) instead of multiplying them. Making a session checks the ONNX file against its card. A
provider that fails at creation is skipped; one that fails during a run is replaced by the next
provider in the chain and the same frame is run again there, so at most that one mask is lost
(none, when the retry succeeds).
"""

from __future__ import annotations

import hashlib
import os
import threading

import numpy as np

from . import INSTALL_COMMAND, process_holder
from .model_registry import ModelCard, ModelError
from .ort_loader import directml_dll, onnxruntime
from .providers import CPU, plan_providers, provider_options, session_options_for

DEFAULT_THREADS = 2  # offline default; inside OBS one thread measured best (`backdrop bench --compare-threads`)


def _session_options(threads: int):
    ort = onnxruntime()

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Spinning worker threads burn CPU that OBS's own threads need.
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.log_severity_level = 3
    return so


def _check_against_card(card: ModelCard, sess) -> None:
    names_in = {i.name: list(i.shape) for i in sess.get_inputs()}
    names_out = {o.name: list(o.shape) for o in sess.get_outputs()}
    if names_in.get(card.input_name) != list(card.input_shape):
        raise ModelError(f"{card.card_path}: card says input {card.input_name!r} {list(card.input_shape)}, "
                         f"but {card.path.name} has {names_in}")
    for out in card.outputs:
        if names_out.get(out.name) != list(out.shape):
            raise ModelError(f"{card.card_path}: card says output {out.name!r} "
                             f"{list(out.shape)}, but {card.path.name} has {names_out}")


class _ProviderSession:
    """One InferenceSession on one provider."""

    def __init__(self, card: ModelCard, sess, provider: str) -> None:
        self.card, self.sess, self.provider = card, sess, provider

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Every output the card names, in its order."""
        return self.sess.run([o.name for o in self.card.outputs], {self.card.input_name: tensor})


def _first_line(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:limit]


class SessionFactory:
    """How provider sessions are made: the seam where tests inject failures, delays and stand-in
    providers (tests/faults.py)."""

    def available(self, ort) -> list[str]:
        return list(ort.get_available_providers())

    def open(self, card: ModelCard, data: bytes, provider: str, threads: int, available: list[str],
             runs_as: str | None = None) -> _ProviderSession:
        """Open `data` on `provider` or raise. `runs_as`: the provider that really runs it (tests)."""
        ort = onnxruntime()

        so = _session_options(threads)
        session_options_for(provider, so)
        real = runs_as or provider
        if real not in available:
            raise RuntimeError(f"not available in the installed onnxruntime package ({ort.__version__})")
        key = hashlib.sha256(data).hexdigest()[:16]  # the compiled-model cache is per model content
        sess = ort.InferenceSession(data, so, providers=[(real, provider_options(real, key, ort.__version__))])
        if sess.get_providers()[0] != real:
            raise RuntimeError(f"ONNX Runtime fell back to {sess.get_providers()[0]}")
        _check_against_card(card, sess)
        return _ProviderSession(card, sess, provider)


FACTORY = SessionFactory()  # replaceable: tests/faults.py installs one that injects failures


class SharedSession:
    """The process-wide session for one (model, provider request, threads), with run-time fallback."""

    def __init__(self, card: ModelCard, requested: str = "auto", threads: int = 2) -> None:
        try:
            ort = onnxruntime()
        except ImportError as exc:
            raise ModelError(f"onnxruntime cannot be imported ({exc}); run `{INSTALL_COMMAND}`") from exc
        self.card, self.threads = card, threads
        self.available = sorted(FACTORY.available(ort))
        self.chain, notes = plan_providers(requested, self.available)
        self.fallbacks: list[str] = notes  # "Provider: why it is not in use", oldest first
        self.lock = threading.Lock()
        self._data = card.verify_file()
        self.current = self._open_from(0)

    def _open_from(self, start: int) -> _ProviderSession:
        for provider in self.chain[start:]:
            try:
                return FACTORY.open(self.card, self._data, provider, self.threads, self.available)
            except ModelError:
                raise
            except Exception as exc:  # ORT raises several types
                if provider == CPU:
                    raise ModelError(f"model {self.card.name!r}: ONNX Runtime cannot load {self.card.path}: "
                                     f"{_first_line(exc, 300)}") from exc
                self.fallbacks.append(f"{provider}: {_first_line(exc)}")
        raise ModelError(f"model {self.card.name!r}: no execution provider could run it "
                         f"({'; '.join(self.fallbacks)})")

    @property
    def provider(self) -> str:
        return self.current.provider

    def run(self, tensor: np.ndarray) -> np.ndarray:
        """Segmentation: NHWC float32 [1,H,W,3] in [0,1] -> [H,W] float32 P(person)."""
        return self.run_all(tensor)[0].reshape(self.card.height, self.card.width)

    def run_all(self, tensor: np.ndarray) -> list[np.ndarray]:
        """The card's outputs for one NHWC float32 input. ORT releases the GIL inside."""
        with self.lock:  # one run at a time per session; ORT's own pool does the parallel work
            sess = self.current
            try:
                return sess.run(tensor)
            except Exception as exc:
                if sess.provider == CPU:
                    raise
                self.fallbacks.append(f"{sess.provider}: failed while running: {_first_line(exc)}")
                self.current = self._open_from(self.chain.index(sess.provider) + 1)
                return self.current.run(tensor)

    def describe(self) -> str:
        """One line for a status display: what runs, and why not something better."""
        text = f"{self.card.name} on {self.provider.removesuffix('ExecutionProvider')}"
        if self.provider == "DmlExecutionProvider":
            text += f" (DirectML.dll: {directml_dll() or 'not found'})"
        if self.fallbacks:
            text += " (not used: " + "; ".join(self.fallbacks) + ")"
        return text


# The pool lives in the process-wide holder (core/process_holder.py), not in this module: OBS's script
# reload re-imports Backdrop's modules while live filters keep the objects they hold, and both
# generations must share one session per model instead of loading it twice.
_pool: dict[tuple[str, str, int], SharedSession]
_pool_lock: threading.Lock
_pool, _pool_lock = process_holder.held("session_pool", lambda: ({}, threading.Lock()))


def shared_session(card: ModelCard, requested: str = "auto", threads: int = DEFAULT_THREADS) -> SharedSession:
    """The process-wide session for (model file, provider request, threads)."""
    key = (os.fspath(card.path), requested, threads)
    with _pool_lock:
        sess = _pool.get(key)
        if sess is None:
            sess = _pool[key] = SharedSession(card, requested, threads)
        return sess


def create_session(card: ModelCard, requested: str = "auto", threads: int = DEFAULT_THREADS) -> SharedSession:
    """A private session (not shared): for tools and tests."""
    return SharedSession(card, requested, threads)


def live_sessions() -> int:
    with _pool_lock:
        return len(_pool)


def release_sessions() -> None:
    """Drop every shared session (tests)."""
    with _pool_lock:
        _pool.clear()
