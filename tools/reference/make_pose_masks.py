"""MediaPipe's own Pose solution (0.10.14) on our test stills and on the eval videos: the reference
Backdrop's BlazePose pipeline (core/pose.py) is tested against. Run once, commit what it writes.

mediapipe pulls in opencv-contrib and large dependencies, so it runs in its own environment, never
in Backdrop's:

    python3.11 -m venv /tmp/mpenv
    /tmp/mpenv/bin/pip install mediapipe==0.10.14 scikit-image
    /tmp/mpenv/bin/python tools/reference/make_pose_masks.py [../shared/eval]

Settings are the issue's: model_complexity=1 (the "full" models, the only ones in the wheel),
enable_segmentation=True, smooth_landmarks and smooth_segmentation at their defaults (True).
Stills run with static_image_mode=True, videos in video mode, one solution per video.
Writes tests/data/pose_reference/: <still>.png and <video>/NNNNN.png (segmentation_mask as
round(255 * p); no file when no pose was found) and landmarks.json per video and for the stills
(the 33 image landmarks x, y, z, visibility per frame, or null).
"""

import json
import sys
from pathlib import Path

import mediapipe as mp
import numpy as np
from PIL import Image
from skimage import data

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "pose_reference"
STILLS = {"astronaut": data.astronaut(), "cameraman": np.dstack([data.camera()] * 3)}
VIDEOS = ("breakdance-flare", "dance-jump", "rollerblade", "tennis")


def _landmarks(result):
    if result.pose_landmarks is None:
        return None
    return [[round(p.x, 6), round(p.y, 6), round(p.z, 6), round(p.visibility, 6)]
            for p in result.pose_landmarks.landmark]


def _save_mask(result, path: Path) -> None:
    if result.segmentation_mask is not None:
        u8 = np.clip(np.round(result.segmentation_mask * 255.0), 0, 255).astype(np.uint8)
        Image.fromarray(u8).save(path, optimize=True)


def main() -> None:
    eval_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "shared" / "eval"
    OUT.mkdir(parents=True, exist_ok=True)
    marks = {}
    for name, rgb in STILLS.items():
        with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=True) as pose:
            result = pose.process(np.ascontiguousarray(rgb))
        _save_mask(result, OUT / f"{name}.png")
        marks[name] = _landmarks(result)
    (OUT / "stills_landmarks.json").write_text(json.dumps(marks))
    for video in VIDEOS:
        frames = sorted((eval_dir / "davis" / video / "frames").glob("*.jpg"))
        out = OUT / video
        out.mkdir(exist_ok=True)
        marks = {}
        with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, enable_segmentation=True) as pose:
            for f in frames:
                result = pose.process(np.asarray(Image.open(f).convert("RGB")))
                _save_mask(result, out / f"{f.stem}.png")
                marks[f.stem] = _landmarks(result)
        (out / "landmarks.json").write_text(json.dumps(marks))
        print(video, len(frames), sum(v is not None for v in marks.values()))
    print(f"mediapipe {mp.__version__}")


if __name__ == "__main__":
    main()
