"""Far-framed copies of an eval suite's videos: each frame shrunk into the middle of a 1280x720
canvas made of its own blurred enlargement, as a person standing back from the camera looks (the
person-search issue's recipe). Writes a folder laid out like ../shared/eval, for `backdrop eval --suite`.

    .venv/bin/python tools/measure/far_framing.py --scale 0.45 --out /tmp/far45
    .venv/bin/python -m core eval --suite /tmp/far45
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def far(im: np.ndarray, gt: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """One frame (BGR) and its mask, far-framed at `scale` of a 1280x720 canvas."""
    w, h = int(1280 * scale), int(720 * scale)
    top, left = (720 - h) // 2, (1280 - w) // 2
    canvas = cv2.GaussianBlur(cv2.resize(im, (1280, 720)), (0, 0), 30)
    canvas[top:top + h, left:left + w] = cv2.resize(im, (w, h), interpolation=cv2.INTER_AREA)
    mask = np.zeros((720, 1280), np.uint8)
    mask[top:top + h, left:left + w] = cv2.resize(gt, (w, h))
    return canvas, mask


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", type=Path, default=REPO.parent / "shared" / "eval")
    ap.add_argument("--scale", type=float, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    for video in sorted((args.suite / "davis").iterdir()):
        frames, masks = args.out / "davis" / video.name / "frames", args.out / "davis" / video.name / "masks"
        frames.mkdir(parents=True, exist_ok=True)
        masks.mkdir(parents=True, exist_ok=True)
        for frame in sorted((video / "frames").iterdir()):
            gt = cv2.imread(str(video / "masks" / f"{frame.stem}.png"), cv2.IMREAD_GRAYSCALE)
            if gt is None:
                continue
            im, mask = far(cv2.imread(str(frame)), gt, args.scale)
            cv2.imwrite(str(frames / f"{frame.stem}.png"), im)
            cv2.imwrite(str(masks / f"{frame.stem}.png"), mask)
    print(f"far-framed at {args.scale:.0%}: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
