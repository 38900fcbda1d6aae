"""Auto-frame: a virtual camera operator that keeps everyone in view framed.

Two halves, on two threads. `find_people` reads a mask on the mask worker (at model size: the CPU
never sees full-resolution pixels) and says where each person is and how much of them the chosen
framing shows. `Camera` runs once per video frame on the render thread (pure Python, a few float
operations) and moves a window over the frame the way a camera operator would:

- a dead zone: the aim changes only when the framing wanted moves or resizes noticeably, in
  `PERSIST` masks in a row, so a person sitting still (mask noise, breathing, a nod) never moves
  the picture;
- critically damped pans and zooms towards the aim: exponential ease-out, no overshoot (the
  response to a step is monotonic, and so is that to a run of steps the same way);
- never more than `max_zoom` (the picture is scaled up from the frame: 2x keeps it sharp);
- back to the whole frame after `LOST_S` seconds with nobody in view.

The window keeps the frame's aspect ratio, so the output keeps the source's size; the filter cuts
and scales it on the GPU, and the mask through the same window, so every background mode works on
the framed picture. numpy and OpenCV are imported where they are used: the filter's settings read
this module's choices before it knows whether they are installed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .geometry import Rect

if TYPE_CHECKING:
    import numpy as np

# How much of a person each choice frames, from the top of their head, in head heights
# (None: all of them). A head is about 1.3 of its width tall.
ZOOMS = {"head_shoulders": 2.6, "upper_body": 4.6, "whole_person": None}
ZOOM_LABELS = {"head_shoulders": "Head and shoulders", "upper_body": "Upper body", "whole_person": "Whole person"}
# Critical damping's angular frequency (1/s): about 4.7 / omega seconds to cover 95% of a move.
SPEEDS = {"slow": 2.0, "medium": 4.0, "fast": 8.0}
SPEED_LABELS = {"slow": "Slow", "medium": "Medium", "fast": "Fast"}
MAX_ZOOM_RANGE = (1.0, 4.0)

MARGIN = 0.08  # of the window's size, around the people framed
DEAD_ZONE = 0.07  # the aim moves when the framing wanted is off by this much of the window's size
DEAD_ZONE_SIZE = 0.12  # or is this much larger or smaller
PERSIST = 3  # masks in a row that must want the move: one odd mask (a periodic look at the whole
# frame sees a person at another resolution) never moves the picture
LOST_S = 3.0  # seconds with nobody in view before going back to the whole frame
MIN_SHARE = 0.12  # a blob smaller than this share of the largest is not a person (mask noise, a hand)
MIN_AREA = 0.002  # nor one smaller than this share of the frame
HEAD_ASPECT = 1.3  # head height / head width
SHOULDERS = 1.6  # a row this much wider than the head so far is the shoulders
ANALYSIS_SIDE = 128  # masks larger than this are shrunk first (a 256-px model mask: 0.11 ms a mask, not 0.3)
SNAP_PX = 0.5  # closer than this to the aim, and slower than this per frame: at rest, exactly


@dataclass(frozen=True)
class Window:
    """Where the camera points: centre and height in frame pixels (its width is the frame's aspect
    ratio times the height), the state its critically damped motion moves; `rect` is the part of
    the frame it shows."""

    cx: float
    cy: float
    h: float

    def rect(self, width: int, height: int) -> Rect:
        """The part of the frame shown, normalised (core/geometry.py)."""
        w = self.h * width / height
        x0, y0 = (self.cx - w / 2) / width, (self.cy - self.h / 2) / height
        return Rect(x0, y0, x0 + w / width, y0 + self.h / height)

    def zoom(self, height: int) -> float:
        return height / self.h


def whole(width: int, height: int) -> Window:
    return Window(width / 2, height / 2, float(height))


def find_people(mask: np.ndarray, rect: Rect, frame_size: tuple[int, int], zoom: str) -> tuple[Rect, ...]:
    """Each person in a mask (uint8, 255 = person, covering `rect` of the frame), as the box `zoom`
    frames of them, in frame pixels; largest first."""
    import cv2
    import numpy as np

    width, height = frame_size
    mh, mw = mask.shape[:2]
    if max(mh, mw) > ANALYSIS_SIDE:
        f = ANALYSIS_SIDE / max(mh, mw)
        mask = cv2.resize(mask, (max(1, round(mw * f)), max(1, round(mh * f))), interpolation=cv2.INTER_AREA)
        mh, mw = mask.shape[:2]
    sx, sy = (rect.x1 - rect.x0) * width / mw, (rect.y1 - rect.y0) * height / mh  # frame px per mask px
    ox, oy = rect.x0 * width, rect.y0 * height
    count, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 127).astype(np.uint8), connectivity=8)
    if count <= 1:
        return ()
    areas = stats[1:, cv2.CC_STAT_AREA] * (sx * sy)
    keep = [i + 1 for i in np.argsort(-areas)
            if areas[i] >= MIN_SHARE * areas.max() and areas[i] >= MIN_AREA * width * height]
    people = []
    for label in keep:
        x, y, w, h = stats[label, :4]
        rows = labels[y:y + h, x:x + w] == label
        bottom = framed_rows(rows.sum(axis=1) * sx, sy, ZOOMS.get(zoom))
        columns = np.flatnonzero(rows[:bottom].any(axis=0))
        people.append(Rect(float(ox + (x + columns[0]) * sx), float(oy + y * sy),
                          float(ox + (x + columns[-1] + 1) * sx), float(oy + (y + bottom) * sy)))
    return tuple(people)


def framed_rows(widths: np.ndarray, row_px: float, heads: float | None) -> int:
    """How many rows of a person, from the top (their widths in frame pixels, top row first), show
    `heads` head heights from the top of the head (None: all). The head is what lies above the first row
    clearly wider than everything above it (the shoulders) and at least 0.3 of its own width down:
    near the crown a round head widens many times over from one row to the next, as fast as a
    shoulder line would (a crown one mask pixel wide would pass for the whole head)."""
    if heads is None:
        return len(widths)
    head_w = float(widths[0])
    for i, w in enumerate(widths):
        if i * row_px >= 0.3 * w and w > SHOULDERS * head_w:
            break
        head_w = max(head_w, float(w))
    bottom = math.ceil(heads * HEAD_ASPECT * head_w / row_px)
    return int(min(len(widths), max(1, bottom)))


def aim(people: tuple[Rect, ...], width: int, height: int, max_zoom: float) -> Window:
    """The window that frames all of `people` (centred, with a margin), at most `max_zoom`, inside the
    frame; the whole frame without anyone."""
    if not people:
        return whole(width, height)
    box = people[0]
    for other in people[1:]:
        box = box.union(other)
    aspect = width / height
    h = max(box.y1 - box.y0, (box.x1 - box.x0) / aspect) / (1.0 - 2.0 * MARGIN)
    h = min(float(height), max(h, height / max(1.0, max_zoom)))
    return inside(Window((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2, h), width, height)


def inside(window: Window, width: int, height: int) -> Window:
    """The window moved into the frame (and no larger than it)."""
    h = min(window.h, float(height))
    half_w, half_h = h * width / height / 2, h / 2
    return Window(min(max(window.cx, half_w), width - half_w), min(max(window.cy, half_h), height - half_h), h)


class Camera:
    """One filter's camera: where it points, how fast it moves, what it aims at."""

    def __init__(self, width: int, height: int) -> None:
        """At the whole frame, at rest: a new camera when framing is turned on or the source changes size."""
        self.size = (width, height)
        self.window = self.target = whole(width, height)
        self.velocity = (0.0, 0.0, 0.0)
        self.unseen_s = 0.0
        self.people = 0  # in view at the newest mask
        self.wanted: list[Window] = []  # the masks in a row that want the aim moved

    def step(self, people: tuple[Rect, ...] | None, seconds: float, max_zoom: float, speed: str) -> Window:
        """One video frame `seconds` long; `people`: the shown mask's (None: no new mask this frame)."""
        width, height = self.size
        if people is not None:
            self.people = len(people)
            self.unseen_s = 0.0 if people else self.unseen_s + seconds
            if people or self.unseen_s >= LOST_S:
                self._retarget(aim(people, width, height, max_zoom))
        elif self.unseen_s:
            self.unseen_s += seconds
            if self.unseen_s >= LOST_S:
                self._retarget(whole(width, height))
        self.window, self.velocity = self._follow(seconds, SPEEDS.get(speed, SPEEDS["medium"]))
        return self.window

    @property
    def steady(self) -> bool:
        """At rest on its aim, and no mask wants it moved."""
        return self.window == self.target and not self.wanted

    def _retarget(self, wanted: Window) -> None:
        """Aim anew when `PERSIST` masks in a row want a window outside the dead zone around the aim:
        at the median of what they want."""
        t = self.target
        moved = max(abs(wanted.cx - t.cx) / (t.h * self.size[0] / self.size[1]), abs(wanted.cy - t.cy) / t.h)
        if moved <= DEAD_ZONE and abs(math.log(wanted.h / t.h)) <= math.log1p(DEAD_ZONE_SIZE):
            self.wanted = []
            return
        self.wanted.append(wanted)
        if len(self.wanted) >= PERSIST:
            middle = len(self.wanted) // 2
            cx, cy, h = (sorted(values)[middle] for values in zip(*((w.cx, w.cy, w.h) for w in self.wanted),
                                                                    strict=True))
            self.target, self.wanted = inside(Window(cx, cy, h), *self.size), []

    def _follow(self, dt: float, omega: float) -> tuple[Window, tuple[float, float, float]]:
        """Critically damped motion towards the aim, solved exactly over `dt` (stable at any frame
        rate): e(t) = (e0 + (v0 + omega e0) t) exp(-omega t)."""
        decay = math.exp(-omega * dt)
        now = (self.window.cx, self.window.cy, self.window.h)
        goal = (self.target.cx, self.target.cy, self.target.h)
        position, velocity = [], []
        for x, v, g in zip(now, self.velocity, goal, strict=True):
            e = x - g
            k = v + omega * e
            e, v = (e + k * dt) * decay, (v - omega * k * dt) * decay
            if abs(e) < SNAP_PX and abs(v) * dt < SNAP_PX:
                e = v = 0.0
            position.append(g + e)
            velocity.append(v)
        width, height = self.size
        vx, vy, vh = velocity
        return inside(Window(*position), width, height), (vx, vy, vh)
