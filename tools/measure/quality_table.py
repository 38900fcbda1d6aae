"""README's mask-quality tables, re-measured in one run: `backdrop eval` for each configuration over
../shared/eval (four DAVIS videos, CIHP), then the same DAVIS frames cut to the upper body.

    .venv/bin/python tools/measure/quality_table.py [--suite ../shared/eval]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TUNING, UNSEEN = ("breakdance-flare", "dance-jump"), ("rollerblade", "tennis")
CONFIGS = [  # (label, backdrop eval arguments)
    ("raw model (`--raw`)", ["--raw"]),
    ("**default** (tracking, temporal 0.6)", []),
    ("Quality preset (default + edge refinement 0.5)", ["--refine", "0.5"]),
    ("pose (`--model pose`)", ["--model", "pose"]),
    ("pose, lag 2", ["--model", "pose", "--lag", "2"]),
    ("**full_body** (`--model full_body`)", ["--model", "full_body"]),
    ("full_body, lag 2", ["--model", "full_body", "--lag", "2"]),
    ("default as shown in OBS (masks 2 frames late, video matched)", ["--mask-lag", "2"]),
    ("default, 2 frames late, not matched", ["--mask-lag", "2", "--no-match-video"]),
    ("full_body as shown in OBS on a 2-core CPU (every 3rd frame, 3 late, matched, carried by motion)",
     ["--model", "full_body", "--mask-lag", "3", "--mask-every", "3"]),
    ("full_body on a 2-core CPU, not carried by motion",
     ["--model", "full_body", "--mask-lag", "3", "--mask-every", "3", "--no-motion"]),
    ("full_body on a 2-core CPU, not matched (carried)",
     ["--model", "full_body", "--mask-lag", "3", "--mask-every", "3", "--no-match-video"]),
    ("Low CPU, on time (a mask per frame)", ["--model", "selfie_landscape", "--temporal", "0.7"]),
    ("Low CPU as shown in OBS (every 3rd frame, 2 late, matched, carried by motion)",
     ["--model", "selfie_landscape", "--temporal", "0.7", "--mask-lag", "2", "--mask-every", "3"]),
    ("Low CPU, not carried by motion",
     ["--model", "selfie_landscape", "--temporal", "0.7", "--mask-lag", "2", "--mask-every", "3", "--no-motion"]),
]
UPPER = [("default", []), ("full_body", ["--model", "full_body"])]


def _eval(suite: Path, args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "core", "eval", "--suite", str(suite), "--json", *args],
                         cwd=REPO, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["results"]


def _mean(rows: dict, names, key: str) -> float:
    return sum(rows[n][key] for n in names) / len(names)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", type=Path, default=REPO.parent / "shared" / "eval")
    suite = ap.parse_args().suite
    print("| configuration | breakdance-flare J | dance-jump J | rollerblade J | tennis J | tuning J / F / flicker "
          "| unseen J / F / flicker | CIHP J | ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, args in CONFIGS:
        r = _eval(suite, args)
        per = " | ".join(f"{r[v]['J']:.3f}" for v in TUNING + UNSEEN)
        tune = " / ".join(f"{_mean(r, TUNING, k):.3f}" if k != "flicker" else f"{_mean(r, TUNING, k):.2f}"
                          for k in ("J", "F", "flicker"))
        unseen = " / ".join(f"{_mean(r, UNSEEN, k):.3f}" if k != "flicker" else f"{_mean(r, UNSEEN, k):.2f}"
                            for k in ("J", "F", "flicker"))
        ms = _mean(r, TUNING + UNSEEN, "ms")
        print(f"| {label} | {per} | {tune} | {unseen} | {r['cihp']['J']:.3f} | {ms:.1f} |", flush=True)
    print("\nUpper-body framing (`--upper-body`: each DAVIS frame cut to its person's upper body, as a still)\n")
    print("| configuration | breakdance-flare J | dance-jump J | rollerblade J | tennis J | mean J |")
    print("|---|---|---|---|---|---|")
    for label, args in UPPER:
        r = _eval(suite, ["--upper-body", *args])
        per = " | ".join(f"{r[v]['J']:.3f}" for v in TUNING + UNSEEN)
        print(f"| {label} | {per} | {_mean(r, TUNING + UNSEEN, 'J'):.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
