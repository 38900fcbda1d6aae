"""README's before/after picture of auto-frame, made with `backdrop process` (the filter's maths on the
CPU): a person about 37% of the frame's height, left of centre, in front of a photo, blurred.

    .venv/bin/python tools/measure/auto_frame_picture.py [--out tests/data/readme/auto_frame.jpg]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from core.tools.cli import main as backdrop  # noqa: E402

REF = REPO / "tests" / "data" / "mediapipe_reference" / "astronaut_selfie_general.png"
W, H = 1280, 720


def scene() -> np.ndarray:
    """The astronaut (scikit-image, public domain), 280 px, at (150, 440) on scikit-image's rocket: cut by
    the frame's bottom, as at a desk."""
    from skimage import data

    frame = cv2.resize(data.rocket(), (W, H), interpolation=cv2.INTER_AREA)
    person = cv2.resize(data.astronaut(), (280, 280), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(cv2.imread(str(REF), cv2.IMREAD_GRAYSCALE), (280, 280)) > 127
    frame[440:720, 150:430][mask] = person[mask]
    return frame


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "readme" / "auto_frame.jpg")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        frames = Path(tmp) / "frames"
        frames.mkdir()
        bgr = cv2.cvtColor(scene(), cv2.COLOR_RGB2BGR)
        for i in range(60):  # two seconds: the camera comes to rest
            cv2.imwrite(str(frames / f"{i:03d}.png"), bgr)
        shots = []
        for framing in ("off", "follow"):
            out = Path(tmp) / framing
            backdrop(["process", str(frames), "-o", str(out), "--mode", "blur", "--framing", framing, "-q"])
            shots.append(cv2.resize(cv2.imread(str(out / "059.png")), (640, 360), interpolation=cv2.INTER_AREA))
    picture = np.hstack([shots[0], np.full((360, 8, 3), 255, np.uint8), shots[1]])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), picture, [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
