"""`backdrop eval`: score our masks against human-made ground truth (see core/tools/metrics.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..mask_source import MaskOptions
from ..model_registry import DEFAULT_MODEL
from ..pipelines import make_pipeline
from .media_io import IMAGE_EXTS, InputError, read_rgb
from .metrics import SequenceScore
from .shown_stream import ShownStream

STILL_WARMUP = 2  # frames a still is shown before it is scored, when person tracking is on


@dataclass
class Sequence:
    name: str
    frames: Path
    masks: Path
    ignore_unannotated: bool = False  # people behind the subject are not annotated
    stills: bool = False  # unrelated photos: no temporal state, no temporal metrics
    upper_body: bool = False  # each frame cut to the top half of its person (scored as stills)


def upper_body(rgb: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A webcam's half-body framing of a full-body frame: the top half of the annotated person's box
    and a tenth of its height above, widened to 16:9 around it (within the frame)."""
    ys, xs = np.nonzero(truth > 127)
    if ys.size == 0:
        return rgb, truth
    h, w = truth.shape
    top, height = ys.min(), ys.max() - ys.min() + 1
    y0, y1 = max(0, int(top - 0.1 * height)), min(h, int(top + 0.5 * height) + 1)
    upper = xs[ys < y1]
    cx, half = (upper.min() + upper.max()) / 2.0, max((upper.max() - upper.min()) / 2.0, (y1 - y0) * 8 / 9)
    x0, x1 = max(0, int(cx - half)), min(w, int(cx + half) + 1)
    return rgb[y0:y1, x0:x1], truth[y0:y1, x0:x1]


def pairs(frames: Path, masks: Path) -> list[tuple[Path, Path]]:
    """(frame, ground-truth mask) pairs matched by file stem, in sorted order."""
    by_stem = {p.stem: p for p in masks.iterdir() if p.suffix.lower() in IMAGE_EXTS}
    out = [(f, by_stem[f.stem]) for f in sorted(frames.iterdir())
           if f.suffix.lower() in IMAGE_EXTS and f.stem in by_stem]
    if not out:
        raise InputError(f"no frames in {frames} have a mask with the same name in {masks}")
    return out


def suite(root: Path, upper: bool = False) -> list[Sequence]:
    """The sequences of shared/eval: DAVIS videos, and the CIHP group photos as stills. `upper`: the
    DAVIS frames cut to the upper body instead (as stills)."""
    seqs = [Sequence(d.name, d / "frames", d / "masks", ignore_unannotated=d.name == "dance-jump",
                     stills=upper, upper_body=upper)
            for d in sorted((root / "davis").iterdir()) if (d / "frames").is_dir()] if (root / "davis").is_dir() else []
    if (root / "cihp" / "images").is_dir():
        seqs.append(Sequence("cihp", root / "cihp" / "images", root / "cihp" / "masks", stills=True))
    if not seqs:
        raise InputError(f"{root}: no davis/*/frames or cihp/images folders")
    return seqs


def evaluate(seq: Sequence, options: MaskOptions, model: str = DEFAULT_MODEL, provider: str = "auto",
             threads: int = 2, lag: int = 0, mask_lag: int = 0, match_video: bool = True, mask_every: int = 1,
             motion: bool = True, start: int = 0) -> dict[str, float]:
    """J, F, flicker, dtSSD and ms per frame (mask path + full-resolution refinement). `model` may
    name a pipeline ("pose"); `lag` is its crop lag in frames. With `mask_lag`, each frame is scored
    with the mask the OBS filter would show on it when masks arrive that many frames late, and with
    `mask_every` carried forward by motion between masks unless `motion` is off (shown_stream.py);
    frames shown before any mask (a stream's first frames) are not scored. `start`: a video is
    played from that frame (0: its first), which frames get masks and where tracking starts with it
    (`evaluate_phases` starts stills at 0 only)."""
    pipeline = make_pipeline(model, provider, threads, options, lag)
    score = SequenceScore(seq.ignore_unannotated, temporal=not seq.stills)
    stream = ShownStream(mask_lag, match_video, mask_every, motion)
    spent, made = 0.0, 0
    matched = pairs(seq.frames, seq.masks)[start:]
    for index, (frame_path, mask_path) in enumerate(matched):
        rgb = read_rgb(frame_path)
        gt = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
        if gt is None:
            raise InputError(f"{mask_path}: not a readable mask")
        if seq.upper_body:
            rgb, gt = upper_body(rgb, gt)
        if seq.stills:
            pipeline.reset()
            if pipeline.tracking:  # a still in a stream: let tracking engage before scoring
                for _ in range(STILL_WARMUP):
                    pipeline.frame_mask(rgb)
        if seq.stills:  # unrelated photos: each with its own mask, on time
            stream = ShownStream()
        mask = None
        if stream.wants_mask(index) or seq.stills:
            t0 = time.perf_counter()
            mask = pipeline.frame_mask(rgb)
            spent += time.perf_counter() - t0
            made += 1
        shown = stream.next(0 if seq.stills else index, rgb, mask)
        if shown is not None:
            score.add(shown.result.mask.astype("float32") / 255.0, gt > 127)
    result = score.summary()
    result["ms"] = 1000.0 * spent / max(made, 1)  # per mask made
    return result


def evaluate_phases(seq: Sequence, phases: int, options: MaskOptions, **kwargs) -> dict[str, float]:
    """`evaluate`'s figures (its options by keyword) averaged over a video played from each of its first
    `phases` frames. On a 60-70 frame clip, tracking, the periodic look and a mask every K-th frame make
    one start one sample of a chaotic loop (docs/measurements.md: Low CPU's dance-jump moved -0.021 J
    from its first frame and +0.004 over three)."""
    runs = [evaluate(seq, options, start=k, **kwargs) for k in range(1 if seq.stills else phases)]
    return {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
