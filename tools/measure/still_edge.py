"""Still-scene figures for every preset (the still-edge issue's measure): how much of a still person's
mask edge changes from frame to frame, on an exactly still clip and under webcam noise, and what the
smoothing costs on a slow pan.

    .venv/bin/python tools/measure/still_edge.py ../shared/eval/davis/tennis/frames/00020.jpg [more frames]

Each frame is scaled to 1280x720 and repeated 120 times, masked as `backdrop process --mask-only`
does (the preset's model and options, its mask rate and lag, carried by motion; alpha after threshold
and softness), and scored from frame 30 (1 s) on:
- still: the frame bit for bit; noisy: each frame with Gaussian noise (sigma 3) then JPEG at quality 80;
- flips: pixels whose alpha changes by more than 10% (26 levels) between consecutive frames, the
  median over the frame pairs; band: the mean |change| in levels over the soft edge band (alpha
  between 5% and 95%, dilated by 2 px), averaged over the pairs;
- pan: the frame shifted 1 px per frame; trail: how far the mask's centroid lags the picture's.
  At each shift that a pan to the right and the same pan back to the left both show after the
  warm-up (the same picture, -30..30 px), the bare model's centroid minus the preset's is taken on
  either pan; half the difference, right minus left, is the lag there (a lag changes sign with the
  direction; where the preset's mask sits against the model's at that position, e.g. on a crop
  tracking chose, does not), averaged over those shifts. Comparing the same positions matters: the
  bare model's centroid moves by up to 140 px with the picture's position (a blob it finds or loses
  elsewhere), so means over the two pans' different positions read such jumps as trail (dance-jump,
  Balanced: 2.98 px that way, 1.11 px at the same positions). J: against the bare model's mask of
  the same frame (binary at 50%), on the pan to the right;
- settled J: the still mask after 40 frames against the bare model's (the preset's model, no tracking
  or smoothing) and against the same preset unsmoothed (temporal 0);
- J vs truth: the last mask of the still and of the noisy clip against the human-made mask of the
  frame, where one lies beside it (DAVIS: ../masks/NAME.png), the bare model's rows the reference:
  settling must not freeze a worse mask than the model's own.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from core.mask_source import DEFAULT_TEMPORAL, MaskOptions  # noqa: E402
from core.pipelines import make_pipeline  # noqa: E402
from core.tools.composite import alpha_lut  # noqa: E402
from core.tools.metrics import jaccard  # noqa: E402
from core.tools.shown_stream import ShownStream  # noqa: E402

FRAMES, WARM_UP, SIZE = 120, 30, (1280, 720)


@dataclasses.dataclass(frozen=True)
class Config:
    model: str
    options: MaskOptions
    every: int = 1  # a mask for every K-th frame, carried by motion to the others
    lag: int = 0  # masks arrive N frames late, the video matched to them


# The OBS presets (obs_script/filter_settings.py PRESET_VALUES) as `backdrop eval` rows show them in
# OBS on this 2-core machine; `bare` is the model alone, the reference the issue compares with.
CONFIGS = {
    "bare": Config("selfie_general", MaskOptions(temporal=0.0, tracking=False)),
    "bare_landscape": Config("selfie_landscape", MaskOptions(temporal=0.0, tracking=False)),
    "balanced": Config("selfie_general", MaskOptions(temporal=DEFAULT_TEMPORAL)),
    "quality": Config("selfie_general", MaskOptions(temporal=0.5, refine=0.5)),
    "low_cpu": Config("selfie_landscape", MaskOptions(temporal=0.7), every=3, lag=2),
    "full_body": Config("full_body", MaskOptions(temporal=DEFAULT_TEMPORAL)),
    "full_body_2core": Config("full_body", MaskOptions(temporal=DEFAULT_TEMPORAL), every=3, lag=3),
}


def bare_for(config: Config) -> Config:
    """The reference a preset is measured against: its own model alone (Full body's selfie model)."""
    return dataclasses.replace(CONFIGS["bare"], model="selfie_general" if config.model == "full_body" else config.model)


def _truth(path: str) -> np.ndarray | None:
    """The frame's human-made mask at SIZE (DAVIS's layout: frames/NAME.jpg, masks/NAME.png), if any."""
    mask = cv2.imread(str(Path(path).parent.parent / "masks" / (Path(path).stem + ".png")), cv2.IMREAD_GRAYSCALE)
    return None if mask is None else cv2.resize(mask, SIZE, interpolation=cv2.INTER_NEAREST) > 127


def _load(path: str) -> np.ndarray:
    bgr = cv2.imread(path)
    if bgr is None:
        raise SystemExit(f"not a readable image: {path}")
    return cv2.cvtColor(cv2.resize(bgr, SIZE, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)


def still(frame: np.ndarray, n: int, noise: bool, seed: int = 0) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    for _ in range(n):
        if not noise:
            yield frame
            continue
        noisy = np.clip(frame + rng.normal(0.0, 3.0, frame.shape), 0, 255).astype(np.uint8)
        _, jpeg = cv2.imencode(".jpg", noisy[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 80])
        yield cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[:, :, ::-1]


def pan_shift(i: int, n: int, step: int) -> int:
    """Px the picture is shifted by in frame `i` of an `n`-frame pan of `step` px a frame."""
    return step * (i - n // 2)


def pan(frame: np.ndarray, n: int, step: int = 1) -> Iterator[np.ndarray]:
    for i in range(n):
        shift = np.float32([[1, 0, pan_shift(i, n, step)], [0, 1, 0]])
        yield cv2.warpAffine(frame, shift, SIZE, borderMode=cv2.BORDER_REPLICATE)


def alphas(config: Config, frames: Iterator[np.ndarray]) -> list[np.ndarray]:
    """The alpha each frame is shown with, as `backdrop process --mask-only` writes it."""
    pipeline = make_pipeline(config.model, "cpu", 2, config.options)
    stream = ShownStream(config.lag, True, config.every, True)
    lut, out = alpha_lut(), []
    for i, rgb in enumerate(frames):
        shown = stream.next(i, rgb, pipeline.frame_mask(rgb, i) if stream.wants_mask(i) else None)
        out.append(cv2.LUT(np.full(rgb.shape[:2], 255, np.uint8) if shown is None else shown.result.mask, lut))
    return out


def flips_and_band(masks: list[np.ndarray]) -> tuple[float, float]:
    flips, bands = [], []
    for a, b in zip(masks[WARM_UP:], masks[WARM_UP + 1:], strict=False):
        change = cv2.absdiff(a, b)
        flips.append(int((change > 26).sum()))
        band = cv2.dilate(((a > 12) & (a < 243)).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        bands.append(float(change[band].mean()) if band.any() else 0.0)
    return float(np.median(flips)), float(np.mean(bands))


def centroid_x(mask: np.ndarray) -> float:
    w = mask.astype(np.float64)
    return float((w * np.arange(mask.shape[1])[None]).sum() / max(w.sum(), 1.0))


def motion(config: Config, frame: np.ndarray) -> tuple[float, float, float, float]:
    """(trail px, pan J against the bare model, settled J against the bare model, against unsmoothed)."""
    bare = bare_for(config)
    right, left = (pan_offsets(alphas(bare, pan(frame, FRAMES, step)), alphas(config, pan(frame, FRAMES, step)), step)
                   for step in (1, -1))
    j_pan = np.mean([j for _, j in right.values()])
    settled = alphas(config, still(frame, 40, False))[-1]
    unsmoothed = alphas(dataclasses.replace(config, options=dataclasses.replace(config.options, temporal=0.0)),
                        still(frame, 40, False))[-1]
    reference = alphas(bare, still(frame, 2, False))[-1]
    return (trail(right, left), float(j_pan), jaccard(reference > 127, settled > 127),
            jaccard(unsmoothed > 127, settled > 127))


def pan_offsets(reference: list[np.ndarray], masks: list[np.ndarray], step: int) -> dict[int, tuple[float, float]]:
    """A pan's masks after the warm-up, by the picture's shift (`pan`'s): the reference's centroid
    minus the mask's, and the mask's J against the reference."""
    return {pan_shift(i, len(masks), step): (centroid_x(r) - centroid_x(m), jaccard(r > 127, m > 127))
            for i, (r, m) in enumerate(zip(reference, masks, strict=True)) if i >= WARM_UP}


def trail(right: dict[int, tuple[float, float]], left: dict[int, tuple[float, float]]) -> float:
    """Px the mask lags the picture: at each shift both pans showed, half of how much further behind
    it sat panning right than left, averaged."""
    shared = right.keys() & left.keys()
    return float(np.mean([(right[s][0] - left[s][0]) / 2 for s in shared]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("frames", nargs="+", help="pictures of a person (any size; scaled to 1280x720)")
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"of {', '.join(CONFIGS)}")
    parser.add_argument("--no-motion", action="store_true", help="still and noisy figures only")
    args = parser.parse_args()
    print("| frame | config | still flips | still band | noisy flips | noisy band | pan trail px | pan J vs bare "
          "| settled J vs bare | settled J vs unsmoothed | still J vs truth | noisy J vs truth |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")
    for path in args.frames:
        frame, name, truth = _load(path), "/".join(Path(path).parts[-3::2]), _truth(path)
        for key in args.configs.split(","):
            config = CONFIGS[key]
            exact, noisy = alphas(config, still(frame, FRAMES, False)), alphas(config, still(frame, FRAMES, True))
            cells = [f"{v:.0f}" if i % 2 == 0 else f"{v:.2f}"
                     for i, v in enumerate(flips_and_band(exact) + flips_and_band(noisy))]
            if args.no_motion or key.startswith("bare"):
                cells += ["-"] * 4
            else:
                cells += [f"{v:+.2f}" if i == 0 else f"{v:.3f}" for i, v in enumerate(motion(config, frame))]
            cells += ["-"] * 2 if truth is None else [f"{jaccard(truth, m[-1] > 127):.3f}" for m in (exact, noisy)]
            print(f"| {name} | {key} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
