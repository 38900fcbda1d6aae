"""MediaPipe's own Pose solution's cost per frame on a video, for README's side-by-side with
`backdrop bench --model pose --frames DIR` (run both on the same machine, one after the other):

    /tmp/mpenv/bin/python tools/reference/time_mediapipe_pose.py ../shared/eval/davis/rollerblade/frames

Same settings as make_pose_masks.py (model_complexity=1, segmentation on, video mode); the video
is run twice and the second pass is timed, as `backdrop bench` does.
"""

import sys
import time
from pathlib import Path

import mediapipe as mp
import numpy as np
from PIL import Image


def main() -> None:
    frames = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(Path(sys.argv[1]).glob("*.jpg"))]
    for _ in range(2):
        with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, enable_segmentation=True) as pose:
            t0 = time.perf_counter()
            for f in frames:
                pose.process(f)
            ms = 1000.0 * (time.perf_counter() - t0) / len(frames)
    print(f"MediaPipe Pose {mp.__version__}: {ms:.1f} ms per frame over {len(frames)} frames of {sys.argv[1]}")


if __name__ == "__main__":
    main()
