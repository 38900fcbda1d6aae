"""`backdrop` command line (also `python -m core`): Backdrop's engine without OBS."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from .media_io import IMAGE_EXTS, InputError, open_input, write_image
from .model_registry import DEFAULT_MODEL, ModelError, list_models

SAMPLE = Path(__file__).resolve().parent / "samples" / "astronaut.jpg"


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


def cmd_process(args: argparse.Namespace) -> int:
    from .segmenter import Segmenter

    source = open_input(args.input)
    segmenter = Segmenter(args.model, args.provider, args.threads)
    if source.kind != "video":  # check every target before writing anything
        for p in source.paths:
            _output_path(source, p.stem, args.output)
    progress = _Progress(source.count, not args.quiet and sys.stderr.isatty())
    t0 = time.perf_counter()
    done, out = 0, args.output
    for stem, rgb in source:
        out = _output_path(source, stem, args.output)
        mask = segmenter.mask_u8(rgb)
        # --mask-only: 8-bit mask; otherwise a transparent cut-out (the mask becomes alpha)
        write_image(out, mask if args.mask_only else np.dstack([rgb, mask]))
        done += 1
        progress.update(done)
    ms = 1000 * (time.perf_counter() - t0) / max(done, 1)
    where = out if source.kind == "image" else args.output
    print(f"backdrop: {done} frame(s) -> {where} ({ms:.1f} ms/frame, model {segmenter.card.name}, "
          f"provider {segmenter.session.provider})")
    for note in segmenter.session.fallbacks:
        print(f"backdrop: not used: {note}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    for name, card in sorted(list_models().items()):
        print(f"{name:20s} {card.width}x{card.height}  {card.licence:10s} {card.description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="backdrop", description="Backdrop: AI background removal, offline.")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("process", help="segment an image, a folder of frames or a video")
    p.add_argument("input", type=Path, help=f"image, folder of frames or video (sample: {SAMPLE})")
    p.add_argument("-o", "--output", type=Path, required=True, help="output file or folder")
    p.add_argument("--mask-only", action="store_true", help="write 8-bit masks (255 = person)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="model name or card path (see `backdrop models`)")
    p.add_argument("--provider", default="auto", help="auto, cpu, cuda, directml, coreml, openvino")
    p.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_process)

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
