"""Benchmark Backdrop inside real headless OBS against no filter and OBS's native colour filter.

    .venv/bin/python tools/measure/bench_obs.py [--seconds 8] [--reps 3] [--sizes 480p,720p,1080p] [--video DIR]

A script, not a test: it prints tables. Every case runs in its own fresh OBS, one after the other
in one run, on the same looping real video; the cases are interleaved and repeated (`--reps`), and
each figure is the median with its range, so the figures are comparable with each other (never
with another machine: llvmpipe emulates the GPU on the CPU here). Per case: OBS's average frame
render time, skipped frames, OBS's CPU per rendered frame (/proc), the CPU of Backdrop's mask
worker threads (`backdrop-mask`, where ONNX Runtime runs with one intra-op thread, and
`backdrop-motion`, which carries masks by motion) per rendered frame, and from the filter's status
record, counted by the filter over one window: distinct masks uploaded per second against frames
rendered per second, the worker's CPU per mask, and the latency; and over the window, from two
status records: the motion thread's CPU per frame, thumbnails read back per frame, the frames not
sent to the worker, shown carried and shown held (in %), masks later than their frame's showing,
and a table of the filter's GPU passes per frame by kind.
"bare session" runs the same model session on the same frames on the worker with no tracking,
smoothing or refinement: its CPU per mask is the cost of inference alone.

The peer, obs-backgroundremoval 1.2.0 built from its tag (../shared/PEER_BENCH.md), is an optional case: a
measuring aid, never a dependency. `--peer DIR` (or BACKDROP_PEER_DIR; default /opt/peer) holds
DIR/obs-backgroundremoval/bin/64bit/obs-backgroundremoval.so and DIR/obs-backgroundremoval/data/; without it
the case is skipped with a line saying so. "graphics thread" is the CPU of OBS's graphics thread (where the
peer runs its inference), "CPU-side" that plus Backdrop's worker threads, per rendered frame, and "OBS CPU
over none" the process's CPU per frame over the same round's no-filter case.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.tools.media_io import read_rgb  # noqa: E402
from tests.obs_harness import SAMPLE_JPEG, ObsInstance, filter_entry, named_threads, pattern_settings, write_video  # noqa: E402

SIZES = {"480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
REPO = Path(__file__).resolve().parents[2]
DEFAULT_FRAMES = REPO.parent / "shared" / "eval" / "davis" / "breakdance-flare" / "frames"
CLK_TCK = os.sysconf("SC_CLK_TCK")

CASES: list[tuple[str, list[dict], bool]] = [  # (name, filters, on both cameras)
    ("no filter", [], False),
    ("OBS colour correction (C)", [filter_entry("Colour", {"gamma": 0.2, "saturation": 0.3}, kind="color_filter_v2")],
     False),
    ("Backdrop skeleton (test mask, no model)", [filter_entry("Backdrop", pattern_settings("opaque"))], False),
    ("Backdrop bare session (inference only)", [filter_entry("Backdrop", pattern_settings("bare"))], False),
    ("Backdrop transparent", [filter_entry("Backdrop", {})], False),
    ("Backdrop transparent, video not matched", [filter_entry("Backdrop", {"match_video_to_mask": False})], False),
    ("Backdrop transparent, auto-frame", [filter_entry("Backdrop", {"framing": "follow"})], False),
    ("Backdrop blur", [filter_entry("Backdrop", {"mode": "blur"})], False),
    ("Backdrop blur, video not matched", [filter_entry("Backdrop", {"mode": "blur", "match_video_to_mask": False})],
     False),
    ("Backdrop blur, auto-frame", [filter_entry("Backdrop", {"mode": "blur", "framing": "follow"})], False),
    ("Backdrop image", [filter_entry("Backdrop", {"mode": "image", "background_image": str(SAMPLE_JPEG)})], False),
    ("Backdrop colour", [filter_entry("Backdrop", {"mode": "color"})], False),
    ("Backdrop Low CPU", [filter_entry("Backdrop", {"preset": "low_cpu"})], False),
    ("Backdrop Low CPU, not carried by motion", [filter_entry("Backdrop", {"preset": "low_cpu",
                                                                          "carry_masks_by_motion": False})], False),
    ("Backdrop Quality", [filter_entry("Backdrop", {"preset": "quality"})], False),
    ("Backdrop Full body", [filter_entry("Backdrop", {"preset": "full_body"})], False),
    ("Backdrop Full body, not carried by motion", [filter_entry("Backdrop", {"preset": "full_body",
                                                                            "carry_masks_by_motion": False})], False),
    ("two Backdrop cameras", [filter_entry("Backdrop", {})], True),
    # The periodic look (core/tracking.py) against none, on the same pipeline (tests/obs_plugin.py): its cost in OBS.
    ("Backdrop, periodic look (test pipeline)", [filter_entry("Backdrop", pattern_settings("look"))], False),
    ("Backdrop, periodic look, whole frame each time (as before; test pipeline)",
     [filter_entry("Backdrop", pattern_settings("look_whole_each_time"))], False),
    ("Backdrop, no periodic look (test pipeline)", [filter_entry("Backdrop", pattern_settings("no_look"))], False),
]
PEER_CASE = "obs-backgroundremoval 1.2.0 (peer)"
PEER_MODULE = "obs-backgroundremoval"
CASES.append((PEER_CASE, [filter_entry("Peer", {}, kind="background_removal")], False))
GRAPHICS_THREAD = "libobs: graphic"  # OBS's graphics thread ("libobs: graphics thread", cut to 15 by the kernel)
STATUS = {  # figure: its key in the filter's status record (obs_script/filter_status.py)
    "mask_fps": "mask_fps", "video_fps": "video_fps", "cpu_per_mask_ms": "cpu_ms_per_mask",
    "latency_frames": "latency_frames", "delay_ms": "video_delay_ms", "ring_mb": "ring_mb",
}


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


def peer_env(peer: Path, tmp: Path) -> dict[str, str] | None:
    """OBS's extra module path for the peer's build, or None when it is not built there. OBS reads its data
    from OBS_PLUGINS_DATA_PATH/<module name>: a link in `tmp` names the build's data/ so."""
    module = peer / PEER_MODULE
    if not (module / "bin" / "64bit" / f"{PEER_MODULE}.so").is_file() or not (module / "data").is_dir():
        return None
    data = tmp / "peer-data"
    data.mkdir(exist_ok=True)
    if not (data / PEER_MODULE).exists():
        (data / PEER_MODULE).symlink_to((module / "data").resolve())
    return {"OBS_PLUGINS_PATH": str(module / "bin" / "64bit"), "OBS_PLUGINS_DATA_PATH": str(data)}


def run_case(video: Path, size: tuple[int, int], filters: list[dict], both: bool, seconds: float,
             env: dict[str, str] | None = None) -> dict:
    sources = ["Camera", "Camera 2"] if both else ["Camera"]
    backdrop = any(f["id"] == "backdrop_filter" for f in filters)
    with ObsInstance(width=size[0], height=size[1], image=video, filters=filters, sources=sources,
                     filters_on_all=both, env={"BACKDROP_STATUS_LOG_S": "1", **(env or {})}) as inst:
        if backdrop:
            inst.wait_log("engine ready", timeout=60, count=len(sources))
            inst.wait_record(lambda r: r.get("state") == "running", "the filter running", timeout=60)
        elif env and "OBS_PLUGINS_PATH" in env:
            inst.wait_log(PEER_MODULE, timeout=60)  # its module loaded (it logs under its name)
        inst.measured_stats()
        time.sleep(2.0)  # warm-up: the first masks, the auto rate's first window
        pid = inst.obs.pid
        motion_tids = named_threads(pid, "backdrop-motion")
        tids = named_threads(pid) + motion_tids
        gids = named_threads(pid, GRAPHICS_THREAD)
        r0 = inst.status_record() if backdrop else {}
        s0, p0, t0 = inst.stats(), _cpu_ticks(pid), {t: _cpu_ticks(pid, t) for t in tids + gids}
        time.sleep(seconds)
        s1, p1 = inst.stats(), _cpu_ticks(pid)
        t1 = {t: _cpu_ticks(pid, t) for t in tids + gids}
        record = inst.status_record() if backdrop else {}
    frames = max(1, s1["renderTotalFrames"] - s0["renderTotalFrames"])
    ms_per_tick = 1000.0 / CLK_TCK
    out = {
        "render_ms": s1["averageFrameRenderTime"],
        "skipped_pct": 100.0 * (s1["renderSkippedFrames"] - s0["renderSkippedFrames"]) / frames,
        "obs_cpu_ms_per_frame": (p1 - p0) * ms_per_tick / frames,
        "backdrop_cpu_ms_per_frame": sum(t1[t] - t0[t] for t in tids) * ms_per_tick / frames if tids else 0.0,
        "graphics_cpu_ms_per_frame": sum(t1[t] - t0[t] for t in gids) * ms_per_tick / frames if gids else None,
    }
    if out["graphics_cpu_ms_per_frame"] is not None:
        out["cpu_side_ms_per_frame"] = out["graphics_cpu_ms_per_frame"] + out["backdrop_cpu_ms_per_frame"]
    matched = record.get("video_delay_frames") is not None  # the frame ring is in use
    for key, name in STATUS.items():
        value = record.get(name) if name != "ring_mb" or matched else None
        out[key] = float(value) if value is not None else None
    if out["mask_fps"] is not None and out["video_fps"]:
        out["mask_ratio"] = out["mask_fps"] / out["video_fps"]
    out["motion_cpu_ms_per_frame"] = sum(t1[t] - t0[t] for t in motion_tids) * ms_per_tick / frames if tids else None
    out.update(_per_frame(r0, record))
    return out


def _per_frame(r0: dict, r1: dict) -> dict:
    """The filter's own counters over the window (two status records): each GPU pass per frame by kind,
    thumbnails read back per frame, and what frames were first shown with, in % of frames."""
    frames = r1.get("frames", 0) - r0.get("frames", 0)
    if not r0 or frames <= 0:
        return {}
    p0, p1 = r0.get("passes", {}), r1.get("passes", {})
    out: dict = {"passes": {k: (p1[k] - p0.get(k, 0)) / frames for k in p1 if p1[k] - p0.get(k, 0)}}
    out["thumbnails_per_frame"] = out["passes"].get("thumbnail_readback", 0.0)
    for key in ("frames_unsent", "frames_carried", "frames_held", "masks_late", "dropped"):
        out[key + "_pct"] = 100.0 * (r1[key] - r0[key]) / frames
    return out


COLUMNS = [("render_ms", "frame render ms", 2), ("skipped_pct", "skipped %", 1), ("obs_cpu_ms_per_frame",
           "OBS CPU ms/frame", 1), ("backdrop_cpu_ms_per_frame", "mask worker CPU ms/frame", 2),
           ("mask_fps", "mask fps", 1), ("mask_ratio", "masks per frame", 2), ("cpu_per_mask_ms",
           "CPU ms per mask", 2), ("latency_frames", "latency frames", 0), ("delay_ms", "video delay ms", 0),
           ("ring_mb", "frame ring MB", 1)]
COLUMNS += [("graphics_cpu_ms_per_frame", "graphics thread CPU ms/frame", 2),
            ("cpu_side_ms_per_frame", "CPU-side ms/frame (graphics + Backdrop's threads)", 2),
            ("obs_cpu_over_none", "OBS CPU over none ms/frame", 1)]


# Whether a frame pays for carrying only when it misses its mask.
COLUMNS += [("motion_cpu_ms_per_frame", "motion thread CPU ms/frame", 2), ("thumbnails_per_frame",
            "thumbnail readbacks/frame", 2), ("frames_unsent_pct", "frames not sent %", 1), ("frames_carried_pct",
            "frames carried %", 1), ("frames_held_pct", "frames held %", 1), ("masks_late_pct", "masks late %", 1),
            ("dropped_pct", "crops dropped %", 1)]


def _passes_table(results: dict[str, list[dict]]) -> None:
    """GPU passes per frame by kind, per case (median over the repetitions)."""
    kinds = sorted({k for runs in results.values() for r in runs for k in r.get("passes", {})})
    if not kinds:
        return
    print("\nGPU passes per frame (the filter's counts; readbacks are maps of staged copies)")
    print("| case | " + " | ".join(kinds) + " |")
    print("|---" * (len(kinds) + 1) + "|")
    for name, runs in results.items():
        if any("passes" in r for r in runs):
            cells = [_cell([r["passes"].get(k, 0.0) for r in runs if "passes" in r], 2) for k in kinds]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def _cell(values: list, digits: int) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    med, lo, hi = statistics.median(values), min(values), max(values)
    return f"{med:.{digits}f}" if lo == hi else f"{med:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sizes", default="480p,720p,1080p")
    ap.add_argument("--video", type=Path, default=DEFAULT_FRAMES, help="folder of frames to loop")
    ap.add_argument("--cases", default="", help="comma-separated substrings of case names to run (=NAME: exactly)")
    ap.add_argument("--peer", type=Path, default=Path(os.environ.get("BACKDROP_PEER_DIR", "/opt/peer")),
                    help="where obs-backgroundremoval 1.2.0 is built (../shared/PEER_BENCH.md); optional")
    args = ap.parse_args()
    wanted = [c for c in args.cases.split(",") if c]
    cases = [c for c in CASES if not wanted or any(  # "=name": that case alone
        w[1:] == c[0] if w.startswith("=") else w.lower() in c[0].lower() for w in wanted)]
    tmp = Path(tempfile.mkdtemp(prefix="backdrop-bench-"))
    envs = {PEER_CASE: peer_env(args.peer, tmp)}
    if any(c[0] == PEER_CASE for c in cases) and envs[PEER_CASE] is None:
        print(f"peer: not built (see ../shared/PEER_BENCH.md; looked in {args.peer})")
        cases = [c for c in cases if c[0] != PEER_CASE]
    print(f"video: {args.video if args.video.is_dir() else 'bundled photo, panned'}; {args.seconds:.0f} s per case, "
          f"{args.reps} interleaved repetitions: median (range)")
    for label in args.sizes.split(","):
        size = SIZES[label]
        video = _video(size, args.video, tmp / f"loop_{label}.mp4")
        results: dict[str, list[dict]] = {name: [] for name, _, _ in cases}
        for _ in range(args.reps):
            for name, filters, both in cases:
                results[name].append(run_case(video, size, filters, both, args.seconds, envs.get(name)))
            if "no filter" in results and results["no filter"]:
                none = results["no filter"][-1]["obs_cpu_ms_per_frame"]
                for runs in results.values():
                    runs[-1]["obs_cpu_over_none"] = runs[-1]["obs_cpu_ms_per_frame"] - none
        print(f"\n{label}30")
        print("| case | " + " | ".join(title for _, title, _ in COLUMNS) + " |")
        print("|---" * (len(COLUMNS) + 1) + "|")
        for name, runs in results.items():
            cells = [_cell([r.get(key) for r in runs], digits) for key, _, digits in COLUMNS]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        _passes_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
