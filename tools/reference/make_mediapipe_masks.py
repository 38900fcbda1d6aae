"""Produce MediaPipe's own selfie-segmentation masks for our pre-processing test. Run once, commit the PNGs.

mediapipe 0.10.14 pulls in opencv-contrib and large dependencies, so it runs in its own environment,
never in Backdrop's:

    python3.11 -m venv /tmp/mpenv
    /tmp/mpenv/bin/pip install mediapipe==0.10.14 scikit-image
    /tmp/mpenv/bin/python tools/reference/make_mediapipe_masks.py

Writes tests/data/mediapipe_reference/<photo>_<model>.png: MediaPipe's `segmentation_mask`
(float P(person) at the photo's size) as round(255 * p).
"""

from pathlib import Path

import mediapipe as mp
import numpy as np
from PIL import Image
from skimage import data

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "mediapipe_reference"
PHOTOS = {"astronaut": data.astronaut(), "cameraman": np.dstack([data.camera()] * 3)}
MODELS = {0: "selfie_general", 1: "selfie_landscape"}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for selection, model in MODELS.items():
        with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=selection) as seg:
            for name, rgb in PHOTOS.items():
                mask = seg.process(np.ascontiguousarray(rgb)).segmentation_mask
                u8 = np.clip(np.round(mask * 255.0), 0, 255).astype(np.uint8)
                Image.fromarray(u8).save(OUT / f"{name}_{model}.png")
                print(f"{name}_{model}.png", mask.shape, float(mask.mean()))
    print(f"mediapipe {mp.__version__}")


if __name__ == "__main__":
    main()
