"""`backdrop` command line (also `python -m core`): Backdrop's engine without OBS."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from .. import vocabulary as V
from ..mask_source import DEFAULT_TEMPORAL
from ..model_registry import DEFAULT_MODEL, ModelError, list_models
from .media_io import IMAGE_EXTS, SAMPLE, InputError, open_input, write_image
from .shown_stream import ShownStream


class _Progress:
    """A one-line progress bar on stderr, only for work long enough to want one."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.start = total, enabled and total > 1, time.perf_counter()

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        rate = done / max(time.perf_counter() - self.start, 1e-9)
        bar = "#" * int(30 * done / self.total)
        sys.stderr.write(f"\r[{bar:<30}] {done}/{self.total} {rate:5.1f} fps")
        if done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _output_path(source, stem: str, output: Path) -> Path:
    """Where one frame's result goes; refuses to overwrite any input."""
    if source.kind == "image" and output.suffix.lower() in IMAGE_EXTS:
        path = output.with_suffix(".png")
    else:
        path = output / f"{stem}.png"
    if path.resolve() in {p.resolve() for p in source.paths}:
        raise InputError(f"refusing to overwrite input file {path}; choose another output")
    return path


def _parse_background(value: str | None) -> tuple[tuple[int, int, int] | None, np.ndarray | None]:
    """--background: '#RRGGBB' -> colour, anything else -> an image file."""
    if value is None:
        return None, None
    if value.startswith("#") and len(value) == 7:
        try:
            return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)), None
        except ValueError:
            pass
        raise InputError(f"--background {value!r}: not a #RRGGBB colour")
    from .media_io import read_rgb

    return None, read_rgb(Path(value))


def cmd_process(args: argparse.Namespace) -> int:
    from ..framer import Framer, people_hook
    from ..pipelines import make_pipeline
    from .composite import alpha_lut, composite, frame_window
    from .media_io import VIDEO_EXTS, VideoSink

    color, background = _parse_background(args.background)
    mode = args.mode or ("color" if color else "image" if background is not None else "transparent")
    if mode == "image" and background is None:
        raise InputError("--mode image needs --background IMAGE_FILE")
    source = open_input(args.input)
    to_video = args.output.suffix.lower() in VIDEO_EXTS
    if to_video and (args.mask_only or mode == "transparent"):
        raise InputError("video files have no alpha: write transparent results or masks to a folder, "
                         "or choose --mode blur/image/color")
    if to_video and args.output.resolve() in {p.resolve() for p in source.paths}:
        raise InputError(f"refusing to overwrite input file {args.output}")
    if source.kind != "video" and not to_video:  # check every target before writing anything
        for p in source.paths:
            _output_path(source, p.stem, args.output)
    pipeline = make_pipeline(args.model, args.provider, args.threads, _mask_options(args))
    framer = Framer() if args.framing == "follow" else None
    stream = ShownStream(args.mask_lag, not args.no_match_video, args.mask_every, not args.no_motion,
                         post_mask=people_hook(args.framing_zoom if framer is not None else None))
    sink = VideoSink(args.output, source.fps) if to_video else None
    progress = _Progress(source.count, not args.quiet and sys.stderr.isatty())
    t0 = time.perf_counter()
    done, out = 0, args.output
    try:
        for stem, rgb in source:
            made = pipeline.frame_mask(rgb, done) if stream.wants_mask(done) else None
            shown = stream.next(done, rgb, made)
            h, w = rgb.shape[:2]  # no mask yet: the filter passes the video through
            q = np.full((h, w), 255, np.uint8) if shown is None else shown.result.mask
            if framer is not None:  # as the filter: the camera steps once a frame, aims from each new mask
                rect = framer.step(shown, w, h, 1.0 / (source.fps or 30.0), args.max_zoom, args.framing_speed)
                rgb, q = frame_window(rgb, rect), frame_window(q, rect)
            if args.mask_only:
                result = cv2.LUT(q, alpha_lut(args.threshold, args.softness))
            else:
                result = composite(rgb, q, mode, threshold=args.threshold, softness=args.softness,
                                   color=color or V.COLOR_RGB, background=background, blur_sigma=args.blur,
                                   light_wrap=args.light_wrap)
            if sink is not None:
                sink.write(result)
            else:
                out = _output_path(source, stem, args.output)
                write_image(out, result)
            done += 1
            progress.update(done)
    finally:
        if sink is not None:
            sink.close()
    ms = 1000 * (time.perf_counter() - t0) / max(done, 1)
    where = out if source.kind == "image" else args.output
    print(f"backdrop: {done} frame(s) -> {where} ({ms:.1f} ms/frame, {pipeline.describe()})")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    import json

    from .evaluate import Sequence, evaluate_phases, suite

    if args.suite:
        seqs = suite(args.suite, args.upper_body)
    elif args.frames and args.masks:
        seqs = [Sequence(args.frames.name, args.frames, args.masks, args.ignore_unannotated_blobs, args.stills)]
    else:
        raise InputError("give --frames DIR --masks DIR, or --suite DIR")
    options = _mask_options(args)
    run = dict(model=args.model, provider=args.provider, threads=args.threads, lag=args.lag, mask_lag=args.mask_lag,
               match_video=not args.no_match_video, mask_every=args.mask_every, motion=not args.no_motion)
    rows = {s.name: evaluate_phases(s, args.phases, options, **run) for s in seqs}
    videos = [rows[s.name] for s in seqs if not s.stills or s.upper_body]  # the DAVIS rows
    if len(videos) > 1:
        rows["mean(videos)"] = {k: float(np.mean([r[k] for r in videos])) for k in videos[0]}
    if args.json:
        print(json.dumps({"options": vars(options), "model": args.model, "lag": args.lag, "mask_lag": args.mask_lag,
                          "mask_every": args.mask_every, "match_video": not args.no_match_video,
                          "motion": not args.no_motion, "phases": args.phases, "results": rows},
                         indent=2))
        return 0
    print(f"{'sequence':18s} {'J':>6s} {'F':>6s} {'flicker':>8s} {'dtSSD':>7s} {'ms':>6s}  frames")
    for name, r in rows.items():
        print(f"{name:18s} {r['J']:6.3f} {r['F']:6.3f} {r['flicker']:8.2f} {r['dtSSD']:7.2f} {r['ms']:6.1f}  "
              f"{r['frames']:.0f}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    return run_bench(args)


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help="model name or card path, or the pipeline `pose` (see `backdrop models`)")
    p.add_argument("--provider", default="auto", help="auto, cpu, cuda, tensorrt, directml, coreml, openvino")
    p.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads")


def _add_mask_options(p: argparse.ArgumentParser) -> None:
    _add_engine_options(p)
    p.add_argument("--temporal", type=float, default=DEFAULT_TEMPORAL, help="temporal smoothing 0..1 (0 = off)")
    p.add_argument("--refine", type=float, default=0.0, help="edge refinement strength 0..1 (0 = off)")
    p.add_argument("--refine-radius", type=int, default=2, help="refinement window radius, model pixels")
    p.add_argument("--min-blob", type=float, default=0.0, help="drop blobs below this fraction of the largest")
    p.add_argument("--raw", action="store_true",
                   help="the bare model: no tracking, smoothing, refinement or blob removal")


def _count(minimum: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more")
        return value
    return parse


def _add_shown_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mask-lag", type=_count(0), default=0, metavar="N",
                   help="each frame with the mask the OBS filter would show on it when masks arrive N frames "
                        "late (0: on time), with its compensation")
    p.add_argument("--no-match-video", action="store_true",
                   help="with --mask-lag: as the filter with 'Match video to mask' off (the video not delayed)")
    p.add_argument("--mask-every", type=_count(1), default=1, metavar="K",
                   help="masks for every K-th frame only, as the Low CPU preset makes them (3), or Full body "
                        "within its CPU budget on a slow machine; the others show the newest older mask, "
                        "carried forward by motion")
    p.add_argument("--no-motion", action="store_true",
                   help="with --mask-every: as the filter with 'Carry masks forward by motion' off")


def _zoom(text: str) -> float:
    from ..framing import MAX_ZOOM_RANGE

    value = float(text)
    if not MAX_ZOOM_RANGE[0] <= value <= MAX_ZOOM_RANGE[1]:
        raise argparse.ArgumentTypeError(f"must be {MAX_ZOOM_RANGE[0]:g} to {MAX_ZOOM_RANGE[1]:g}")
    return value


def _add_framing_options(p: argparse.ArgumentParser) -> None:
    from ..framing import MAX_ZOOM_RANGE, SPEEDS, ZOOMS

    p.add_argument("--framing", choices=("off", "follow"), default="off",
                   help="auto-frame: the picture follows the people in view (the filter's Auto-frame)")
    p.add_argument("--framing-zoom", choices=tuple(ZOOMS), default="upper_body", help="with --framing follow")
    p.add_argument("--framing-speed", choices=tuple(SPEEDS), default="medium", help="with --framing follow")
    p.add_argument("--max-zoom", type=_zoom, default=2.0,
                   help=f"with --framing follow: at most this zoom ({MAX_ZOOM_RANGE[0]:g}..{MAX_ZOOM_RANGE[1]:g})")


def _mask_options(args: argparse.Namespace):
    from ..mask_source import MaskOptions

    if args.raw:
        return MaskOptions(temporal=0.0, min_blob=0.0, refine=0.0, tracking=False)
    return MaskOptions(temporal=args.temporal, min_blob=args.min_blob, refine=args.refine,
                       refine_radius=args.refine_radius)


def cmd_models(args: argparse.Namespace) -> int:
    from ..pipelines import PIPELINES

    for name, card in sorted(list_models().items()):
        print(f"{name:20s} {card.width}x{card.height}  {card.licence:10s} {card.description}")
    for name, kind in PIPELINES.items():
        print(f"{name:20s} pipeline  Apache-2.0 {kind.description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="backdrop", description="Backdrop: AI background removal, offline.")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("process", help="segment an image, a folder of frames or a video")
    p.add_argument("input", type=Path, help=f"image, folder of frames or video (sample: {SAMPLE})")
    p.add_argument("-o", "--output", type=Path, required=True, help="output image, folder, or video (.mp4)")
    p.add_argument("--mode", choices=V.MODES, default=None,
                   help="what replaces the background (default: transparent, or from --background)")
    p.add_argument("--background", help="image file, or a colour as #RRGGBB")
    p.add_argument("--mask-only", action="store_true", help="write 8-bit masks (255 = person)")
    p.add_argument("--threshold", type=float, default=V.THRESHOLD, help="mask threshold 0..1")
    p.add_argument("--softness", type=float, default=V.SOFTNESS, help="edge softness 0..1")
    p.add_argument("--blur", type=float, default=float(V.BLUR_STRENGTH),
                   help="background blur strength (Gaussian sigma, px)")
    p.add_argument("--light-wrap", type=float, default=V.LIGHT_WRAP, help="background light spilling onto edges 0..1")
    _add_mask_options(p)
    _add_shown_options(p)
    _add_framing_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_process)

    e = sub.add_parser("eval", help="score masks against ground truth (J, F, flicker, dtSSD)")
    e.add_argument("--frames", type=Path, help="folder of frames")
    e.add_argument("--masks", type=Path, help="folder of ground-truth masks with the frames' names")
    e.add_argument("--suite", type=Path, help="a folder laid out like shared/eval (davis/*, cihp)")
    e.add_argument("--ignore-unannotated-blobs", action="store_true",
                   help="drop predicted blobs that do not touch the annotated person")
    e.add_argument("--stills", action="store_true", help="frames are unrelated photos, not a video")
    e.add_argument("--upper-body", action="store_true",
                   help="with --suite: each DAVIS frame cut to its person's upper body, scored as a still")
    e.add_argument("--lag", type=int, default=0,
                   help="pose pipeline: its crop comes from landmarks N frames old (what OBS's GPU crops cost)")
    e.add_argument("--phases", type=_count(1), default=1, metavar="N",
                   help="each video played from each of its first N frames, the figures averaged (3: the "
                        "figures in README and docs/measurements.md)")
    e.add_argument("--json", action="store_true")
    _add_mask_options(e)
    _add_shown_options(e)
    e.set_defaults(func=cmd_eval)

    b = sub.add_parser("bench", help="per-stage milliseconds at 720p, 1080p and 4K")
    b.add_argument("--json", action="store_true")
    b.add_argument("--runs", type=int, default=200, help="timed runs per measurement")
    b.add_argument("--model", help="`pose`: time the pose pipeline over --frames; `full_body`: the selfie mask path, "
                                    "the pose and full_body side by side (default: every segmentation model)")
    b.add_argument("--frames", type=Path, help="with --model pose or full_body: a folder of video frames")
    b.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads")
    b.add_argument("--compare-threads", action="store_true", help="also time inference at 1, 2 and 4 threads")
    b.set_defaults(func=cmd_bench)

    m = sub.add_parser("models", help="list the installed models")
    m.set_defaults(func=cmd_models)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InputError, ModelError) as exc:
        print(f"backdrop: error: {exc}", file=sys.stderr)
        return 2
