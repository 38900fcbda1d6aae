"""`backdrop bench`: per-stage milliseconds, measured side by side in one process and run.

Figures are medians over `--runs` runs. "bare" is the session's `run` on a ready input tensor; "mask
path" is frame -> mask at model size (pre-processing, inference, temporal filter) timed end to end,
so the ratio mask path / bare is the engine's overhead over ONNX Runtime itself.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import cv2
import numpy as np

from .. import refine
from ..cpu_frame import cut_crops, full_size
from ..mask_source import MaskOptions
from ..model_registry import DEFAULT_MODEL, list_models
from ..preprocess import resize_to_model, to_tensor
from ..providers import KNOWN_GPU
from ..segmenter import Segmenter
from ..selfie import SelfiePipeline
from .composite import composite
from .media_io import SAMPLE, read_rgb

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4K": (3840, 2160)}


def _median_ms(fn, runs: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000.0 * float(np.median(times))


def _paired_ms(fa, fb, runs: int, warmup: int = 5) -> tuple[float, float]:
    """Medians of fa and fb, called alternately so machine load drifts hit both alike."""
    for _ in range(warmup):
        fa()
        fb()
    ta, tb = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        fa()
        t1 = time.perf_counter()
        fb()
        t2 = time.perf_counter()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
    return 1000.0 * float(np.median(ta)), 1000.0 * float(np.median(tb))


def bench_model(model: str, provider: str, threads: int, runs: int, photo: np.ndarray) -> dict:
    seg = Segmenter(model, provider, threads)
    mw, mh = seg.model_size
    tensor = to_tensor(resize_to_model(photo, mw, mh))
    out: dict[str, Any] = {"model": model, "provider": seg.session.provider, "threads": threads, "sizes": {}}
    for label, (w, h) in SIZES.items():
        frame = cv2.resize(photo, (w, h), interpolation=cv2.INTER_LINEAR)
        pipe = SelfiePipeline(seg, MaskOptions(refine=0.0))
        small = resize_to_model(frame, mw, mh)
        prob = seg.infer_small(small)
        coeffs = refine.guided_coefficients(prob, small, 2, 1e-3, 1.0)
        q = full_size(pipe.run_small(small), frame)

        def mask_path(frame=frame, pipe=pipe):
            s = resize_to_model(frame, mw, mh)
            pipe.temporal(seg.infer_small(s), s)

        quick = max(3, runs // 10)  # full-resolution stages are slow and steady: fewer runs
        bare_ms, path_ms = _paired_ms(lambda: seg.session.run(tensor), mask_path, runs)
        row = {
            "bare_ms": bare_ms,
            "mask_path_ms": path_ms,
            "pre_ms": _median_ms(lambda frame=frame: to_tensor(resize_to_model(frame, mw, mh)), runs),
            "infer_ms": _median_ms(lambda small=small: seg.infer_small(small), runs),
            "temporal_ms": _median_ms(lambda prob=prob, small=small, pipe=pipe: pipe.temporal(prob, small), runs),
            "refine_coeffs_ms": _median_ms(
                lambda prob=prob, small=small: refine.guided_coefficients(prob, small, 2, 1e-3, 1.0), runs),
            "refine_apply_ms": _median_ms(lambda c=coeffs, f=frame: refine.apply(c, f), quick),
            "composite_transparent_ms": _median_ms(lambda f=frame, q=q: composite(f, q, "transparent"), quick),
            "composite_blur_ms": _median_ms(lambda f=frame, q=q: composite(f, q, "blur"), quick),
        }
        row["mask_path_over_bare"] = path_ms / bare_ms
        out["sizes"][label] = row
    out["bare_ms"] = float(np.median([r["bare_ms"] for r in out["sizes"].values()]))
    out["mask_path_4k_over_720p"] = out["sizes"]["4K"]["mask_path_ms"] / out["sizes"]["720p"]["mask_path_ms"]
    return out


def bench_tracking(photo: np.ndarray, threads: int, runs: int) -> dict[str, float]:
    """CPU ms per mask of person tracking at 1280x720 (the crops cut beforehand, as the filter's GPU
    does): one person tracked, nobody found yet (each mask also searches a zoomed tile), and what
    auto-frame adds on the mask worker (finding the people in the tracked mask)."""
    from ..framing import find_people

    seg = Segmenter(DEFAULT_MODEL, "cpu", threads)
    wall = np.full((720, 1280, 3), 90, np.uint8)
    person = wall.copy()
    person[300:580, 150:430] = cv2.resize(photo, (280, 280), interpolation=cv2.INTER_AREA)
    out = {}
    for name, frame in (("tracking_ms", person), ("searching_ms", wall)):
        pipe = SelfiePipeline(seg, MaskOptions())
        times = []
        for i in range(runs + 10):  # the first masks find the person and settle the crop
            plan = pipe.plan(1280, 720)
            images = cut_crops(frame, plan)
            t0 = time.thread_time()
            result = pipe.run_plan(images, i, plan)
            times.append(time.thread_time() - t0)
        out[name] = float(np.median(times[10:])) * 1e3
        if name == "tracking_ms":
            out["auto_frame_people_ms"] = _median_ms(
                lambda r=result: find_people(r.mask, r.rect, (1280, 720), "upper_body"), runs)
    return out


def bench_pose(frames: list[np.ndarray], threads: int, provider: str = "cpu") -> dict[str, float]:
    """The pose pipeline over a video's frames, twice (the second pass is timed): ms per frame in
    all, and its parts: the two models' bare runs, and the crop (MediaPipe's fixed-point warp)."""
    from ..pose import LANDMARKS, PosePipeline, cut

    for _ in range(2):
        pipe = PosePipeline(provider, threads)
        t0 = time.perf_counter()
        for f in frames:
            pipe.process(f)
        total = 1000.0 * (time.perf_counter() - t0) / len(frames)
    h, w = frames[0].shape[:2]
    crop = pipe.plan(w, h).crops[0]
    x_lm = np.zeros((1, *pipe.landmark_size[::-1], 3), np.float32)
    x_det = np.zeros((1, pipe.detector_side, pipe.detector_side, 3), np.float32)
    return {"frames": len(frames), "ms_per_frame": total,
            "landmarks_bare_ms": _median_ms(lambda: pipe.landmarks.run_all(x_lm), 30),
            "detector_bare_ms": _median_ms(lambda: pipe.detector.run_all(x_det), 30),
            "crop_ms": _median_ms(lambda: cut(frames[0], crop), 30) if crop.model == LANDMARKS else 0.0}


def bench_pipelines(names: tuple[str, ...], frames: list[np.ndarray], threads: int, provider: str = "cpu",
                    rounds: int = 3) -> dict[str, dict[str, float]]:
    """What the OBS filter's mask worker spends per frame (crops already cut, as the GPU cuts them) in
    each named pipeline over the same frames, the passes taking turns `rounds` times so load drifts
    hit all alike. Medians of per-frame milliseconds, in all and in the sessions' runs."""
    from ..pipelines import make_pipeline

    h, w = frames[0].shape[:2]
    times: dict[str, dict[str, list[float]]] = {name: {"ms": [], "infer_ms": []} for name in names}
    for _ in range(rounds):
        for name in names:
            pipe = make_pipeline(name, provider, threads)
            for i, frame in enumerate(frames):
                plan = pipe.plan(w, h)
                images = cut_crops(frame, plan)
                t0 = time.perf_counter()
                result = pipe.run_plan(images, i, plan)
                times[name]["ms"].append(1000.0 * (time.perf_counter() - t0))
                times[name]["infer_ms"].append(result.infer_ms)
    return {name: {k: float(np.median(v)) for k, v in row.items()} for name, row in times.items()}


def _frames(folder) -> list[np.ndarray]:
    from .media_io import IMAGE_EXTS

    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS) if folder else []
    return [read_rgb(p) for p in paths] or [read_rgb(SAMPLE)] * 30


def _pipeline_bench(args: argparse.Namespace) -> int:
    """A pipeline beside the pipelines it is made of (core/pipelines.py `parts`)."""
    from ..pipelines import PIPELINES

    frames = _frames(args.frames)
    names = PIPELINES[args.model].parts + (args.model,)
    r = bench_pipelines(names, frames, args.threads)
    if args.json:
        print(json.dumps({"frames": len(frames), **r}, indent=2))
        return 0
    print(f"mask worker per frame on CPU ({args.threads} threads), {len(frames)} frames of {args.frames or SAMPLE}, "
          "crops cut beforehand: " + ", ".join(f"{n} {r[n]['ms']:.1f} ms" for n in names) +
          ". Of which inference (the sessions' run): " + ", ".join(f"{r[n]['infer_ms']:.1f}" for n in names) + " ms")
    return 0


def _pose_bench(args: argparse.Namespace) -> int:
    folder = args.frames
    frames = _frames(folder)
    r = bench_pose(frames, args.threads)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"pose pipeline on CPU ({args.threads} threads), {r['frames']} frames of {folder or SAMPLE}: "
          f"{r['ms_per_frame']:.1f} ms per frame; landmark model {r['landmarks_bare_ms']:.1f} ms, detector "
          f"{r['detector_bare_ms']:.1f} ms (bare runs), crop {r['crop_ms']:.1f} ms")
    return 0


def run_bench(args: argparse.Namespace) -> int:
    from ..ort_loader import onnxruntime
    from ..pipelines import PIPELINES

    model = getattr(args, "model", None)
    if model == "pose":  # its parts beside MediaPipe's own timing (tools/reference/time_mediapipe_pose.py)
        return _pose_bench(args)
    if model in PIPELINES:
        return _pipeline_bench(args)

    ort = onnxruntime()

    photo = read_rgb(SAMPLE)
    providers = ["cpu"] + [p for p in ort.get_available_providers() if p in KNOWN_GPU]
    results = [bench_model(m, p, args.threads, args.runs, photo) for m in sorted(list_models()) for p in providers]
    tracking = bench_tracking(photo, args.threads, max(20, args.runs // 4))
    threads: dict[int, Any] = {}
    if args.compare_threads:
        segs = {n: Segmenter(DEFAULT_MODEL, "cpu", n) for n in (1, 2, 4)}
        tensor = to_tensor(resize_to_model(photo, *segs[1].model_size))
        for _ in range(3):  # round-robin rounds, so load drifts hit every thread count alike
            for n, seg in segs.items():
                threads.setdefault(n, []).append(_median_ms(lambda seg=seg: seg.session.run(tensor), args.runs // 3))
        threads = {n: float(np.median(v)) for n, v in threads.items()}
    if args.json:
        print(json.dumps({"results": results, "tracking": tracking, "threads_bare_ms": threads}, indent=2))
        return 0
    for r in results:
        print(f"\n{r['model']} on {r['provider']} ({r['threads']} threads): bare inference {r['bare_ms']:.2f} ms; "
              f"mask path 4K / 720p = {r['mask_path_4k_over_720p']:.2f}x")
        cols = ["bare_ms", "pre_ms", "infer_ms", "temporal_ms", "mask_path_ms", "mask_path_over_bare",
                "refine_coeffs_ms", "refine_apply_ms", "composite_transparent_ms", "composite_blur_ms"]
        print(f"{'size':6s} " + " ".join(f"{c.removesuffix('_ms').replace('composite_', ''):>13s}" for c in cols))
        for label, row in r["sizes"].items():
            print(f"{label:6s} " + " ".join(f"{row[c]:13.2f}" for c in cols))
    print(f"\nperson tracking at 1280x720, {DEFAULT_MODEL} on CPU ({args.threads} threads), CPU ms per mask: "
          f"one person tracked {tracking['tracking_ms']:.2f}, nobody found yet (searching) "
          f"{tracking['searching_ms']:.2f}; auto-frame finding the people {tracking['auto_frame_people_ms']:.2f}")
    if threads:
        print("\nbare inference by intra-op threads: " + ", ".join(f"{n}: {ms:.2f} ms" for n, ms in threads.items()))
    return 0
