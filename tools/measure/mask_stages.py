"""What each millisecond of the mask worker buys: CPU per mask of the default pipeline, stage by stage, against
the bare session on the same frames.

    .venv/bin/python tools/measure/mask_stages.py [--sizes 480p,720p] [--video DIR] [--loops 3] [--reps 3]

A script, not a test: it prints a table. It runs what the mask worker runs in OBS: the pipeline OBS builds
(obs_script/engine.py `mask_options`: selfie_general, tracking with the periodic look at least every
`--look-every-s` seconds, on a clock that advances 1/30 s per mask as at 30 masks a second) on the crops its
plan asks for, cut beforehand at model size as OBS's GPU does (core/cpu_frame.py `cut_crops`), over a real
video looped `--loops` times; beside it, on the same frames, the bare session (test_bare in OBS: the whole
frame, inference alone). Each stage is timed in CPU time of this thread (`time.thread_time`) by wrapping the
function that does it; "other" is the rest of `run_plan` (Python around the stages, the MaskResult).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import selfie  # noqa: E402
from core.cpu_frame import cut_crops  # noqa: E402
from core.mask_source import FramePlan  # noqa: E402
from core.pipelines import make_pipeline  # noqa: E402
from core.tools.media_io import read_rgb  # noqa: E402

OBS_THREADS = 1  # obs_script/engine.py OBS_THREADS (not importable outside OBS's package)
SIZES = {"480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
DEFAULT_FRAMES = Path(__file__).resolve().parents[3] / "shared" / "eval" / "davis" / "breakdance-flare" / "frames"


class Clock:
    """The tracker's clock: 1/30 s per mask, as in OBS at 30 masks a second."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def timed(stage: str, fn, spent: dict[str, float]):
    def wrapper(*args, **kwargs):
        t0 = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[stage] += time.thread_time() - t0
    return wrapper


def measure(frames: list, size: tuple[int, int], loops: int, look_every_s: float | None,
            whole_every_looks: int = 2) -> dict[str, float]:
    from core.mask_source import MaskOptions
    from core.segmenter import Segmenter

    w, h = size
    cv2.setNumThreads(1)  # as inside OBS (obs_script/engine.py)
    options = MaskOptions(tracking_every_s=look_every_s) if look_every_s else MaskOptions(tracking_every=10**9)
    # (options as obs_script/engine.py `mask_options` gives them with the default settings)
    stream = make_pipeline("selfie_general", "cpu", OBS_THREADS, options)
    pipe = stream.source if hasattr(stream, "source") else stream
    assert isinstance(pipe, selfie.SelfiePipeline), type(pipe)
    clock = Clock()
    pipe.tracker.clock, pipe.tracker.last_look, pipe.tracker.last_whole = clock, 0.0, 0.0
    pipe.tracker.whole_every_looks = whole_every_looks
    bare = Segmenter("selfie_general", "cpu", OBS_THREADS)
    spent: dict[str, float] = defaultdict(float)
    # Inference split by what it is for: the people's crops, or the look's searching crops.
    infer = pipe.segmenter.infer_small
    pipe.segmenter.infer_small = timed("inference", infer, spent)  # type: ignore[method-assign]
    pipe.temporal = timed("temporal filter", pipe.temporal, spent)  # type: ignore[assignment]
    pipe.tracker.update = timed("tracker update", pipe.tracker.update, spent)  # type: ignore[method-assign]
    originals = {name: getattr(selfie, name) for name in ("_stitch", "remove_small_blobs", "to_u8")}
    labels = {"_stitch": "stitch", "remove_small_blobs": "small blobs", "to_u8": "to uint8"}
    for name, fn in originals.items():
        setattr(selfie, name, timed(labels[name], fn, spent))
    resized = [cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in frames]
    masks, looks, search_infers, bare_cpu, total = 0, 0, 0, 0.0, 0.0
    try:
        for _ in range(loops):
            for i, frame in enumerate(resized):
                plan = stream.plan(w, h)
                images = cut_crops(frame, plan)
                searching = sum(c.search for c in plan.crops)
                before = spent["inference"]
                t0 = time.thread_time()
                stream.run_plan(images, i, plan)
                total += time.thread_time() - t0
                if searching and pipe.tracker.found is not None:  # a look while people are tracked
                    looks += 1
                    per = (spent["inference"] - before) / len(plan.crops)
                    spent["inference"] -= per * searching
                    spent["inference: the look's whole frame and tile"] += per * searching
                    search_infers += searching
                whole = FramePlan.whole(w, h, bare.card.name, bare.model_size)
                small = cut_crops(frame, whole)[0]
                t0 = time.thread_time()
                bare.infer_small(small)
                bare_cpu += time.thread_time() - t0
                masks += 1
                clock.t += 1 / 30
    finally:
        for name, fn in originals.items():
            setattr(selfie, name, fn)
    out = {stage: 1e3 * s / masks for stage, s in spent.items()}
    out["other"] = 1e3 * total / masks - sum(out.values())
    out["total"] = 1e3 * total / masks
    out["bare"] = 1e3 * bare_cpu / masks
    out["looks per second"] = looks / (masks / 30)
    return out


STAGES = ["inference", "inference: the look's whole frame and tile", "stitch", "temporal filter", "tracker update",
          "small blobs", "to uint8", "other"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="480p,720p")
    ap.add_argument("--video", type=Path, default=DEFAULT_FRAMES, help="folder of frames to loop")
    ap.add_argument("--loops", type=int, default=3)
    ap.add_argument("--reps", type=int, default=3, help="repetitions, interleaved: median")
    ap.add_argument("--look-every-s", type=float, default=0.5)
    args = ap.parse_args()
    frames = [read_rgb(p) for p in sorted(args.video.glob("*.jpg"))]
    variants = {  # name: (look every s, the whole frame on every n-th timed look)
        "now (tile every look, whole frame every 2nd)": (args.look_every_s, 2),
        "before (whole frame and tile every look)": (args.look_every_s, 1),
        "no periodic look": (None, 1),
    }
    print(f"video: {args.video} ({len(frames)} frames, looped {args.loops}x); CPU ms per mask, median of "
          f"{args.reps} interleaved repetitions; selfie_general on CPU, {OBS_THREADS} intra-op thread; "
          f"timed look every {args.look_every_s} s, 30 masks a second")
    for label in args.sizes.split(","):
        rows: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
        for _ in range(args.reps):
            for name, (every, whole) in variants.items():
                rows[name].append(measure(frames, SIZES[label], args.loops, every, whole))
        print(f"\n{label}")
        print("| stage | " + " | ".join(rows) + " |")
        print("|---" * (len(rows) + 1) + "|")
        for key in STAGES + ["total", "bare", "looks per second"]:
            cells = [f"{statistics.median(r.get(key, 0.0) for r in runs):.2f}" for runs in rows.values()]
            print(f"| {key} | " + " | ".join(cells) + " |")
        ratios = [f"{statistics.median(r['total'] / r['bare'] for r in runs):.2f}x" for runs in rows.values()]
        print("| total / bare | " + " | ".join(ratios) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
