"""Person tracking: run the model on a crop around the people instead of the whole frame.

The selfie model is tuned for a face that fills the frame; a person standing further back gets few
of its 256x256 input pixels and loses hands and hair, or is not found at all. So: a search while
nobody is tracked (the whole frame and a zoomed tile per mask, SEARCH_TILES), then a crop per person
(blobs of at least 5% of the largest; blobs closer than half their size are one person, people
whose crops would overlap or save little share one), grown by a margin, widened to the aspect of
the model that needs the least widening, and kept inside the frame. A periodic look (every
`full_every` masks, and every `every_s` seconds: there a tile, with the whole frame on every second
one) adds people who came in; a person filling most of the frame makes the whole frame the crop.

The crops it plans are in normalised frame coordinates (core/geometry.py), so they mean the same on
the CPU and in the OBS shader, at any frame size; the boxes it reasons about are in frame pixels.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import cv2
import numpy as np

from .geometry import FULL, Rect, model_to_frame

# The person search: while nobody is tracked (and on the periodic full-frame look) each mask also looks
# at one of these tiles, half the frame across, in rotation, the middle one first: the model sees what
# is in a tile twice as large as in the whole frame, so a person standing back is found. Overlapping
# by a quarter, every part of the frame up to a quarter of its size lies wholly inside one tile.
SEARCH_TILE = 0.5
SEARCH_TILES = tuple(sorted((Rect(x, y, x + SEARCH_TILE, y + SEARCH_TILE) for y in (0.0, 0.25, 0.5)
                             for x in (0.0, 0.25, 0.5)), key=lambda r: abs(r.x0 - 0.25) + abs(r.y0 - 0.25)))
FILLS_FRAME = "fills the frame"  # PersonTracker.found: a person filling the frame, the full frame is the crop
MAX_CROPS = 3  # separate people beyond this share one crop: inference runs once per crop
MERGE_WASTE = 0.5  # two people get one crop when it adds at most this much area to their own two
# While the picture is still (core/temporal.py `moving`), a person's crop stays put while the mask moves it by at
# most HOLD_TOLERANCE of its size, and people filling the frame get a crop again only below HOLD_COVER of
# max_cover; a moving person's crop follows the mask, or it would lag them.
HOLD_TOLERANCE = 0.05
HOLD_COVER = 0.85
# The timed look (`every_s`, OBS) looks at the whole frame on every second one only: the tile finds people far
# off at the same pace, and the whole frame, which finds people large enough for it anywhere, every 1 s in OBS
# (tools/measure/bench_obs.py, tools/measure/mask_stages.py: what each costs).
WHOLE_EVERY_LOOKS = 2


class PersonTracker:
    """Threads: `update` runs on the mask worker and publishes where people are as one immutable
    tuple of (rect, model) crops, replaced whole; `plan` runs on the render thread and reads it once,
    so it never sees the rectangle of one mask with the model of another. `since_full` and
    `next_tile` are the render thread's own."""

    def __init__(self, aspects: dict[str, float], full_every: int = 30, margin: float = 0.15,
                 max_cover: float = 0.8, every_s: float | None = None, clock=time.monotonic) -> None:
        """aspects: model name -> its input's width / height. The periodic look comes every
        `full_every` plans, and, with `every_s`, at least every that many seconds."""
        self.aspects, self.full_every, self.margin, self.max_cover = aspects, full_every, margin, max_cover
        self.every_s, self.clock, self.last_look = every_s, clock, clock()
        self.last_whole = self.last_look
        self.whole_every_looks = WHOLE_EVERY_LOOKS
        self.found: tuple[tuple[Rect, str], ...] | str | None = None  # crops; None: nobody; or FILLS_FRAME
        self.since_full = 0
        self.next_tile = 0
        self.moving = False  # the person moved at the last mask that could tell

    def reset(self) -> None:
        self.found, self.since_full, self.next_tile, self.moving = None, 0, 0, False

    @property
    def searching(self) -> bool:
        return self.found is None

    def _closest_model(self, aspect: float) -> str:
        return min(self.aspects, key=lambda m: abs(np.log(self.aspects[m] / aspect)))

    def plan(self, width: int, height: int) -> tuple[tuple[tuple[Rect, str], ...], int]:
        """The crops for the next frame, and how many of the last ones only search: the people's
        crops; the full frame and a search tile while nobody is tracked; on the periodic look, the
        people's crops and the full frame and a tile searching for anyone else."""
        found, now = self.found, self.clock()
        due = self.every_s is not None and now - self.last_look >= self.every_s
        if isinstance(found, tuple) and self.since_full < self.full_every and not due:
            self.since_full += 1
            return found, 0
        # The whole frame on the look every `full_every` masks, and at least every `whole_every_looks` timed
        # looks; the tile on every look, so the rotation's pace is the timed looks' (nine tiles in 4.5 s at
        # every_s 0.5).
        whole = not isinstance(found, tuple) or self.since_full >= self.full_every or \
            self.every_s is None or now - self.last_whole >= self.whole_every_looks * self.every_s - 1e-9
        self.last_look = now
        if whole:
            self.since_full, self.last_whole = 0, now
        else:
            self.since_full += 1
        model = self._closest_model(width / height)
        if found == FILLS_FRAME:
            return ((FULL, model),), 0
        tile = (SEARCH_TILES[self.next_tile % len(SEARCH_TILES)], model)
        self.next_tile += 1
        if not isinstance(found, tuple):  # None: nobody
            return ((FULL, model), tile), 1
        if not whole:
            return found + (tile,), 1
        return found + ((FULL, model), tile), 2

    def update(self, prob: np.ndarray, rect: Rect, width: int, height: int, moving: bool | None = None) -> None:
        """Learn where the people are from the mask just computed over `rect`. `moving`: whether the
        person moved (core/temporal.py); None: not known, the last answer stands."""
        if moving is not None:
            self.moving = moving
        binary = (prob > 0.5).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8, ltype=cv2.CV_16U)  # 16-bit: faster
        if n <= 1:
            self.found = None  # nobody: search the whole frame next time
            return
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = stats[1:][areas >= 0.05 * areas.max()]
        mh, mw = prob.shape
        m2f = model_to_frame(width, height, rect, mw, mh)
        boxes = []
        for x, y, w, h in keep[:, :4]:
            x0, y0 = m2f @ [x - 0.5, y - 0.5, 1.0]
            x1, y1 = m2f @ [x + w - 0.5, y + h - 0.5, 1.0]
            boxes.append(Rect(x0, y0, x1, y1))
        crops = [self._crop(box, width, height) for box in _people(boxes)]
        fit = functools.partial(self._fit, width=width, height=height)
        while len(crops) > 1:  # one crop for people whose own crops would overlap or save little
            waste, merged = _merge_closest(crops, fit)
            if len(crops) <= MAX_CROPS and not _overlapping(crops) and waste > MERGE_WASTE:
                break
            crops = merged
        hold = not self.moving
        cover = self.max_cover * (HOLD_COVER if self.found == FILLS_FRAME and hold else 1.0)  # no back and forth
        if sum(c.area for c, _ in crops) >= cover * width * height:
            self.found = FILLS_FRAME  # the full frame is the crop
            return
        held = self.found if isinstance(self.found, tuple) and hold else ()
        self.found = tuple(self._hold(c, model, held, width, height) for c, model in crops)

    def _hold(self, crop: Rect, model: str, held: tuple[tuple[Rect, str], ...], width: int, height: int
              ) -> tuple[Rect, str]:
        """The crop a person gets (`crop` in frame pixels; the result normalised): the one they had
        while no edge of it is more than HOLD_TOLERANCE of its size from where the mask now asks for
        it, else the new one. A crop that followed every wobble of the mask would change the model's
        input every frame, and with it the mask: a still person's edge would boil."""
        tolerance = HOLD_TOLERANCE * max(crop.width, crop.height)
        edges = (crop.x0, crop.y0, crop.x1, crop.y1)
        for rect, held_model in held:
            moved = max(abs(a - b) for a, b in zip(rect.to_pixels(width, height), edges, strict=True))
            if held_model == model and moved <= tolerance:
                return rect, held_model
        return Rect(crop.x0 / width, crop.y0 / height, crop.x1 / width, crop.y1 / height), model

    def _crop(self, box: Rect, width: int, height: int) -> tuple[Rect, str]:
        """A person's box (frame pixels) grown by the margin, widened to the aspect of the model that
        needs the least widening, kept inside the frame: (box, model)."""
        grow = self.margin * max(box.x1 - box.x0, box.y1 - box.y0)
        return self._fit(Rect(box.x0 - grow, box.y0 - grow, box.x1 + grow, box.y1 + grow), width, height)

    def _fit(self, box: Rect, width: int, height: int) -> tuple[Rect, str]:
        """A box (frame pixels) widened to the aspect of the model that needs the least widening, kept
        inside the frame: (box, model)."""
        x0, y0, x1, y1 = box.x0, box.y0, box.x1, box.y1
        best: tuple[float, str, float, float] | None = None
        for model, aspect in self.aspects.items():
            w, h = x1 - x0, y1 - y0
            w2, h2 = max(w, h * aspect), max(h, w / aspect)
            if best is None or w2 * h2 < best[0]:
                best = (w2 * h2, model, w2, h2)
        assert best is not None  # there is a model
        _, model, w2, h2 = best
        w2, h2 = min(w2, width), min(h2, height)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        nx0 = min(max(cx - w2 / 2, 0.0), width - w2)
        ny0 = min(max(cy - h2 / 2, 0.0), height - h2)
        return Rect(nx0, ny0, nx0 + w2, ny0 + h2), model


def _people(boxes: list[Rect]) -> list[Rect]:
    """Blobs grouped into people: blobs closer than half the larger one's size are one person (a hand
    apart from its arm) or one group (people side by side share a crop); farther ones are apart."""
    groups = list(boxes)
    i = 0
    while i < len(groups):
        for j in range(i + 1, len(groups)):
            a, b = groups[i], groups[j]
            near = 0.5 * max(a.x1 - a.x0, a.y1 - a.y0, b.x1 - b.x0, b.y1 - b.y0)
            if a.x0 - near <= b.x1 and b.x0 - near <= a.x1 and a.y0 - near <= b.y1 and b.y0 - near <= a.y1:
                groups[i] = a.union(b)
                del groups[j]
                i = -1  # a grown group may reach one it did not before
                break
        i += 1
    return groups


def _overlapping(crops: list[tuple[Rect, str]]) -> bool:
    boxes = [c for c, _ in crops]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def _merge_closest(crops: list[tuple[Rect, str]], fit: Callable[[Rect], tuple[Rect, str]]
                   ) -> tuple[float, list[tuple[Rect, str]]]:
    """The two crops whose union wastes least made one (`fit`: widened to a model's aspect), and how
    much it wastes: the area the merged crop adds, as a fraction of the two crops' own."""
    best: tuple[float, int, int, tuple[Rect, str]] | None = None
    for i in range(len(crops)):
        for j in range(i + 1, len(crops)):
            a, b = crops[i][0], crops[j][0]
            merged = fit(a.union(b))
            waste = (merged[0].area - a.area - b.area) / (a.area + b.area)
            if best is None or waste < best[0]:
                best = (waste, i, j, merged)
    assert best is not None  # there are two crops
    waste, i, j, merged = best
    return waste, [c for k, c in enumerate(crops) if k not in (i, j)] + [merged]
