"""Reading a picture file: the one decoder for the command line's frames and backgrounds and the
OBS filter's background image (its helper thread imports this module where it is used)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def read_image(path: str | Path, alpha: bool = False) -> np.ndarray:
    """uint8 RGB HxWx3 (with `alpha`: RGBA, opaque) of an image file; the file's own alpha is dropped,
    grey is expanded. ValueError when it is not a readable image (a missing file included)."""
    path = Path(path)
    data = np.fromfile(path, np.uint8) if path.is_file() else None
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    if img is None:
        raise ValueError("not a readable image")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGBA if alpha else cv2.COLOR_BGR2RGB)
