"""Auto-frame for one stream, the one framer of both drivers: `Framer` steps the camera
(core/framing.py) once a video frame, aimed anew at each new mask's people, and `people_hook` is what
finds those people in each mask made (on the filter's mask worker, as core/runner.py's post-mask hook;
in `backdrop process --framing follow`, as each mask is made). The filter (obs_script/backdrop_filter.py)
and the command line (core/tools/cli.py) call the same two, so the CLI frames what OBS frames.
"""

from __future__ import annotations

from collections.abc import Callable

from .framing import Camera, find_people
from .geometry import FULL, Rect
from .mask_source import MaskResult
from .ready_mask import ReadyMask

PeopleHook = Callable[[MaskResult, tuple[int, int]], tuple[Rect, ...]]


def people_hook(zoom: str | None) -> PeopleHook | None:
    """What to find in each mask made (the mask, the frame's (width, height)): the people, framed as
    `zoom` frames them (core/framing.py ZOOMS); None: auto-frame is off, nothing to find."""
    if zoom is None:
        return None

    def people(made: MaskResult, frame_size: tuple[int, int]) -> tuple[Rect, ...]:
        return find_people(made.mask, made.rect, frame_size, zoom)

    return people


class Framer:
    """One stream's auto-frame camera: the part of the frame shown, one step per video frame."""

    def __init__(self) -> None:
        self.camera: Camera | None = None  # while auto-frame is on
        self.framed_id = -1  # the mask whose people the camera last aimed at

    def off(self) -> Rect:
        """Auto-frame is off: the whole frame, and a new camera when it is turned on again."""
        self.camera = None
        return FULL

    def step(self, mask: ReadyMask | None, width: int, height: int, seconds: float, max_zoom: float,
             speed: str) -> Rect:
        """The part of the frame (normalised) to show with `mask` (None: no mask yet), `seconds` after
        the frame before."""
        if self.camera is None or self.camera.size != (width, height):
            self.camera, self.framed_id = Camera(width, height), -1
        people = None
        if mask is not None and mask.source != self.framed_id and mask.people is not None:  # None: found
            self.framed_id, people = mask.source, mask.people  # before framing was on; a carried mask has
            # its source's people
        return self.camera.step(people, seconds, max_zoom, speed).rect(width, height)
