"""Self-test, run with the new environment's Python: load the model on the chosen provider, time it,
cut out the bundled sample, and say what runs (and why not something better).

    .venv/bin/python -m installer.selftest [--provider auto] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider", default="auto")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--out", type=Path, default=REPO / "out" / "sample_cutout.png")
    args = ap.parse_args(argv)

    import numpy as np

    from core.cpu_frame import full_size, run_frame
    from core.model_registry import DEFAULT_MODEL
    from core.segmenter import Segmenter
    from core.selfie import SelfiePipeline
    from core.tools.composite import composite
    from core.tools.media_io import read_rgb, write_image

    rgb = read_rgb(REPO / "core" / "samples" / "astronaut.jpg")
    pipe = SelfiePipeline(Segmenter(DEFAULT_MODEL, args.provider))
    small = run_frame(pipe, rgb)  # warm-up (and the first session's optimisation)
    times = []
    for i in range(30):
        t0 = time.perf_counter()
        small = run_frame(pipe, rgb, i)
        times.append(time.perf_counter() - t0)
    write_image(args.out, composite(rgb, full_size(small, rgb), "transparent"))
    session = pipe.segmenter.session
    report = {"provider": session.provider, "not_used": session.fallbacks,
              "ms_per_frame": 1000.0 * float(np.median(times)), "sample": str(args.out)}
    if args.json:
        print(json.dumps(report))
    else:
        print(f"[backdrop] self-test: {session.describe()}; {report['ms_per_frame']:.1f} ms per mask; "
              f"sample cut-out written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
