"""Reading frames (an image, a folder of frames, a video) and writing results with the input's stems."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..image_file import read_image

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_EXTS = {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"}
SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "astronaut.jpg"  # the bundled sample picture


class InputError(ValueError):
    """The input cannot be read; the message says which file and why."""


@dataclass
class FrameSource:
    """An ordered sequence of RGB frames with a stem each (what output files are named after)."""

    kind: str  # "image", "frames" or "video"
    paths: list[Path]  # the input files (a video: the one file)
    count: int
    fps: float = 30.0

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        if self.kind == "video":
            yield from _video_frames(self.paths[0])
            return
        for p in self.paths:
            yield p.stem, read_rgb(p)


def read_rgb(path: Path) -> np.ndarray:
    """uint8 RGB HxWx3 (core/image_file.py); InputError naming the file when it is not a readable image."""
    try:
        return read_image(path)
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None


def _video_frames(path: Path) -> Iterator[tuple[str, np.ndarray]]:
    cap = cv2.VideoCapture(str(path))
    try:
        i = 0
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            yield f"{i:05d}", cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            i += 1
    finally:
        cap.release()


def open_input(path: Path) -> FrameSource:
    if path.is_dir():
        frames = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTS and p.is_file())
        if not frames:
            raise InputError(f"{path}: folder has no images ({', '.join(sorted(IMAGE_EXTS))})")
        return FrameSource("frames", frames, len(frames))
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    ext = path.suffix.lower()
    if ext in IMAGE_EXTS:
        return FrameSource("image", [path], 1)
    if ext in VIDEO_EXTS:
        cap = cv2.VideoCapture(str(path))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 30.0) if cap.isOpened() else 30.0
        cap.release()
        if n <= 0:
            raise InputError(f"{path}: not a readable video")
        return FrameSource("video", [path], n, fps)
    raise InputError(f"{path}: unsupported file type {ext or '(none)'}")


def write_image(path: Path, rgb_or_gray: np.ndarray) -> None:
    """Write PNG/JPEG; RGB(A) input, converted to OpenCV's BGR(A)."""
    img = rgb_or_gray
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGBA2BGRA if img.shape[2] == 4 else cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(path.suffix or ".png", img)
    if not ok:
        raise OSError(f"{path}: could not encode image")
    path.parent.mkdir(parents=True, exist_ok=True)
    buf.tofile(path)


class VideoSink:
    """Writes RGB frames to a video file (mp4v), sized by the first frame."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path, self.fps = path, fps or 30.0
        self._writer: cv2.VideoWriter | None = None

    def write(self, rgb: np.ndarray) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            h, w = rgb.shape[:2]
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter.fourcc(*"mp4v"), self.fps, (w, h))
            if not self._writer.isOpened():
                raise OSError(f"{self.path}: cannot open a video writer")
        self._writer.write(cv2.cvtColor(rgb[:, :, :3], cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
