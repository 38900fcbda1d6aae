"""Benchmark Backdrop inside real headless OBS against no filter and OBS's native colour filter.

    .venv/bin/python tests/bench_obs.py [--seconds 10] [--sizes 720p,1080p] [--video DIR_OF_FRAMES]

A script, not a test: it prints a table. Every case runs in its own fresh OBS, one after the
other in one run, on the same looping real video, so the figures are comparable with each other
(never with another machine: llvmpipe emulates the GPU on the CPU here). Per case: OBS's average
frame render time, skipped frames, OBS process CPU per rendered frame (/proc), the CPU of
Backdrop's own threads (the mask worker, named `backdrop-mask`, ONNX Runtime runs on it with one
intra-op thread) per rendered frame, mask fps and frame-to-mask latency (from the filter's status).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.media_io import read_rgb  # noqa: E402
from tests.obs_harness import SAMPLE_JPEG, ObsInstance, filter_entry, named_threads, write_video  # noqa: E402

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
REPO = Path(__file__).resolve().parent.parent
DEFAULT_FRAMES = REPO.parent / "shared" / "eval" / "davis" / "breakdance-flare" / "frames"
CLK_TCK = os.sysconf("SC_CLK_TCK")

CASES: list[tuple[str, list[dict], bool]] = [  # (name, filters, on both cameras)
    ("no filter", [], False),
    ("OBS colour correction (C)", [filter_entry("Colour", {"gamma": 0.2, "saturation": 0.3}, kind="color_filter_v2")],
     False),
    ("Backdrop skeleton (test mask, no model)", [filter_entry("Backdrop", {"debug_mask": "opaque"})], False),
    ("Backdrop transparent", [filter_entry("Backdrop", {})], False),
    ("Backdrop blur", [filter_entry("Backdrop", {"mode": "blur"})], False),
    ("Backdrop image", [filter_entry("Backdrop", {"mode": "image", "background_image": str(SAMPLE_JPEG)})], False),
    ("Backdrop colour", [filter_entry("Backdrop", {"mode": "color"})], False),
    ("Backdrop Low CPU", [filter_entry("Backdrop", {"preset": "low_cpu"})], False),
    ("Backdrop Quality", [filter_entry("Backdrop", {"preset": "quality"})], False),
    ("two Backdrop cameras", [filter_entry("Backdrop", {})], True),
]


def _cpu_ticks(pid: int, tid: int | None = None) -> int:
    path = f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat"
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _video(size: tuple[int, int], frames_dir: Path, out: Path) -> Path:
    if frames_dir.is_dir():
        frames = [read_rgb(p) for p in sorted(frames_dir.glob("*.jpg"))]
    else:  # no eval data here: a slow pan across the bundled photo
        photo = read_rgb(SAMPLE_JPEG)
        frames = [photo[:, (i % 60) * 2: (i % 60) * 2 + 384] for i in range(60)]
    return write_video(out, [cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in frames])


def run_case(video: Path, size: tuple[int, int], filters: list[dict], both: bool, seconds: float) -> dict:
    sources = ["Camera", "Camera 2"] if both else ["Camera"]
    env = {"BACKDROP_STATUS_LOG_S": "2"}
    with ObsInstance(width=size[0], height=size[1], image=video, filters=filters, sources=sources,
                     filters_on_all=both, env=env) as inst:
        if any(f["id"] == "backdrop_filter" for f in filters):
            inst.wait_log("engine ready", timeout=60, count=len(sources))
        time.sleep(3.0)  # warm-up
        pid = inst.obs.pid
        tids = named_threads(pid)
        s0, p0, t0 = inst.stats(), _cpu_ticks(pid), {t: _cpu_ticks(pid, t) for t in tids}
        time.sleep(seconds)
        s1, p1 = inst.stats(), _cpu_ticks(pid)
        t1 = {t: _cpu_ticks(pid, t) for t in tids}
        status = inst.latest_status()
    frames = max(1, s1["renderTotalFrames"] - s0["renderTotalFrames"])
    ms_per_tick = 1000.0 / CLK_TCK
    fps = re.search(r"([\d.]+) mask fps", status)
    latency = re.search(r"latency (\d+) frame", status)
    return {
        "render_ms": s1["averageFrameRenderTime"],
        "skipped": s1["renderSkippedFrames"] - s0["renderSkippedFrames"],
        "frames": frames,
        "obs_cpu_ms_per_frame": (p1 - p0) * ms_per_tick / frames,
        "backdrop_cpu_ms_per_frame": sum(t1[t] - t0[t] for t in tids) * ms_per_tick / frames if tids else 0.0,
        "mask_fps": float(fps.group(1)) if fps else None,
        "latency_frames": int(latency.group(1)) if latency else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--sizes", default="720p,1080p")
    ap.add_argument("--video", type=Path, default=DEFAULT_FRAMES, help="folder of frames to loop")
    ap.add_argument("--cases", default="", help="comma-separated substrings of case names to run")
    args = ap.parse_args()
    wanted = [c for c in args.cases.split(",") if c]
    tmp = Path(tempfile.mkdtemp(prefix="backdrop-bench-"))
    print(f"video: {args.video if args.video.is_dir() else 'bundled photo, panned'}; {args.seconds:.0f} s per case")
    for label in args.sizes.split(","):
        size = SIZES[label]
        video = _video(size, args.video, tmp / f"loop_{label}.mp4")
        print(f"\n{label}30")
        print("| case | frame render ms | skipped | OBS CPU ms/frame | Backdrop threads CPU ms/frame | mask fps "
              "| latency frames |\n|---|---|---|---|---|---|---|")
        for name, filters, both in CASES:
            if wanted and not any(w.lower() in name.lower() for w in wanted):
                continue
            r = run_case(video, size, filters, both, args.seconds)
            mask = f"{r['mask_fps']:.1f}" if r["mask_fps"] is not None else "-"
            lat = str(r["latency_frames"]) if r["latency_frames"] is not None else "-"
            print(f"| {name} | {r['render_ms']:.2f} | {r['skipped']} / {r['frames']} | {r['obs_cpu_ms_per_frame']:.2f} "
                  f"| {r['backdrop_cpu_ms_per_frame']:.2f} | {mask} | {lat} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
