"""RGB frame in, person mask out: the chain pre-process -> inference -> mask at model size."""

from __future__ import annotations

import numpy as np

from .model_registry import DEFAULT_MODEL, ModelCard, find_model
from .preprocess import to_tensor
from .session import DEFAULT_THREADS, SharedSession, shared_session


class Segmenter:
    """One user's view of a shared session, with its own preallocated input buffer."""

    def __init__(self, model: str | ModelCard = DEFAULT_MODEL, provider: str = "auto",
                 threads: int = DEFAULT_THREADS) -> None:
        self.card = model if isinstance(model, ModelCard) else find_model(model)
        self.session: SharedSession = shared_session(self.card, provider, threads)
        self._tensor = np.empty((1, self.card.height, self.card.width, 3), np.float32)

    @property
    def model_size(self) -> tuple[int, int]:
        """(width, height) the model wants."""
        return self.card.width, self.card.height

    def infer_small(self, small_rgb: np.ndarray) -> np.ndarray:
        """uint8 RGB already at model size -> float32 P(person) at model size."""
        return self.session.run(to_tensor(small_rgb, self._tensor))
