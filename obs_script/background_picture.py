"""One filter's background picture (`BackgroundPicture`): the file chosen in the settings, decoded on a
helper thread once the canvas size is known and again when the canvas needs another largest level,
and offered to the compositor, which uploads it on the render thread. Only the newest choice may
offer its picture: a 12-megapixel photo takes ~100 ms to decode, while `update` and `video_render`,
which choose and size it, run on the graphics thread and never wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from . import launcher
from .compositor import Compositor, picture_level0, prepare_picture


class BackgroundPicture:
    def __init__(self, compositor: Compositor, warn: Callable[[str], None]) -> None:
        self.compositor, self.warn = compositor, warn
        self.path: str | None = None  # the file chosen
        self.error = ""  # why the chosen file shows no picture, for the status line
        self.threads: list[threading.Thread] = []  # decoders started; destroy joins them
        self._lock = threading.Lock()
        self._choice = 0
        self._canvas: tuple[int, int] | None = None  # the canvas it was (is being) prepared for
        self._size: tuple[int, int] | None = None  # the decoded picture's own size

    def choose(self, path: str | None) -> None:
        """`update`: the file in the settings; a new one is decoded once `video_render` knows the canvas."""
        if path != self.path:
            self.path = path
            self._load(None)

    def fit(self, canvas: tuple[int, int]) -> None:
        """`video_render`, each frame: decode the picture (again) when this canvas needs it: not yet,
        or its largest level would change (not on every size change: a resizing source would decode it
        every frame)."""
        if not self.path:
            return
        size, prepared = self._size, self._canvas
        if prepared is None or (size is not None and picture_level0(size, canvas) != picture_level0(size, prepared)):
            self._load(canvas)

    def join(self, deadline_s: float) -> None:
        """Wait for the decoders (destroy), at most until `deadline_s` (time.monotonic)."""
        for thread in self.threads:
            launcher.join(thread, max(0.0, deadline_s - time.monotonic()))

    def _load(self, canvas: tuple[int, int] | None) -> None:
        """Decode the picture for `canvas` on a helper thread; None: not before the canvas is known."""
        path = self.path
        with self._lock:
            self._choice += 1
            self._canvas, self.error = canvas, ""
            if canvas is None:
                self._size = None
            if not path:
                self.compositor.offer_picture(None)
            if not path or canvas is None:
                return
        thread = threading.Thread(target=self._decode, args=(path, canvas, self._choice),
                                  name="backdrop-picture", daemon=True)
        self.threads = [t for t in self.threads if launcher.running(t)] + [thread]
        launcher.launch(thread)

    def _decode(self, path: str, canvas: tuple[int, int], choice: int) -> None:
        launcher.lower_priority()
        picture, error = None, ""
        try:
            from ..core.image_file import read_image

            picture = prepare_picture(read_image(path, alpha=True), canvas)
        except Exception as exc:
            error = f"background image {path!r}: {exc}"
        with self._lock:
            if choice != self._choice:
                return  # another picture, or none, was chosen meanwhile
            self.compositor.offer_picture(picture)
            self.error = error
            self._size = (picture.width, picture.height) if picture is not None else None
        if error:
            self.warn(error)
