"""Masks carried forward by motion, for the frames the model made no mask for.

When masks come for only some frames (Full body on a slow CPU, a mask rate below the video rate),
the frames between would show the newest older mask, and a moving person would drag the old
position's background along. Instead each such frame gets a small grey thumbnail (and so do the
frames back to the newest mask; in OBS none while every frame has its mask); the optical flow from it
to the thumbnail before (OpenCV's DIS, on the CPU) says where each of its pixels was a frame ago, and
the newest mask is warped along that chain of flows, one step per frame.

Measured on ../shared/eval's four videos (Full body, a mask every third frame, `backdrop eval
--mask-every 3 --mask-lag 3`): mean J 0.622 showing the newest older mask, 0.747 carried forward this
way (0.849 with a mask for every frame). The settings were chosen in a one-off comparison over the
same masks: DIS down to half the thumbnail's resolution 0.752, its ultrafast preset (a quarter) 0.721
for a quarter of the CPU, the full resolution 0.770 for four times it; flows chained frame to frame
beat one flow over the whole gap (ultrafast 0.721 against 0.711, DIS's medium preset 0.748 against
0.737): small steps are what DIS tracks best.

One implementation for both drivers, so the command line scores what OBS shows: `MaskCarrier`. The
filter's mask worker feeds it the thumbnails the GPU drew and the masks the model made; `backdrop
process/eval` feeds it the frames' thumbnails and asks for the mask each frame is shown with
(core/mask_timeline.py says which), carried to its frame.
"""

from __future__ import annotations

import dataclasses
import functools

import cv2
import numpy as np

from .geometry import Rect
from .mask_source import thumb_size
from .ready_mask import ReadyMask

KEEP_FLOWS = 16  # frames whose flows are kept: more than a mask's latency plus the gap between masks
# A thumbnail more frames than this after the one before starts a new chain: the filter draws them
# only around frames that miss their mask, and a flow across a gap is neither needed nor small steps.
MAX_STEP = 2


def grey_thumbnail(pixels: np.ndarray) -> np.ndarray:
    """uint8 RGB or RGBA (a frame, or the thumbnail the GPU drew) -> the grey thumbnail the flow runs
    on. A frame is scaled by bilinear sampling at pixel centres, as the GPU draws it."""
    h, w = pixels.shape[:2]
    size = thumb_size(w, h)
    if (w, h) != size:
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(pixels, cv2.COLOR_RGBA2GRAY if pixels.shape[2] == 4 else cv2.COLOR_RGB2GRAY)


def _flow_estimator() -> cv2.DISOpticalFlow:
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    # Patches down to half the thumbnail's resolution (ultrafast stops at a quarter): 0.8 ms CPU a
    # frame at 256x144 instead of 0.2, for J 0.752 instead of 0.721 (the comparison above).
    dis.setFinestScale(1)
    return dis


class MotionField:
    """Flows between consecutive thumbnails of one stream: for frame k, where each of its pixels was
    in the frame before it (the previous thumbnail given, which a dropped thumbnail makes older)."""

    def __init__(self, keep: int = KEEP_FLOWS) -> None:
        self.keep = keep  # frames whose flows are kept
        self._dis: cv2.DISOpticalFlow | None = None
        self._last: tuple[int, np.ndarray] | None = None
        self.flows: dict[int, tuple[int, np.ndarray]] = {}  # frame -> (the frame before it, flow to it)
        self.after: dict[int, int] = {}  # frame -> the frame whose flow leads back to it

    def add(self, frame_id: int, grey: np.ndarray) -> None:
        last = self._last
        if last is not None and last[0] < frame_id <= last[0] + MAX_STEP and last[1].shape == grey.shape:
            if self._dis is None:
                self._dis = _flow_estimator()
            self.flows[frame_id] = (last[0], self._dis.calc(grey, last[1], None))  # type: ignore[call-overload]  # None: OpenCV allocates the flow; its stubs want one
            self.after[last[0]] = frame_id
        else:  # the first thumbnail, a new chain, a new size, or frame ids starting over: no motion to the past
            self.flows.clear()
            self.after.clear()
        self._last = (frame_id, grey)
        for old in [k for k in self.flows if k <= frame_id - self.keep]:
            self.after.pop(self.flows.pop(old)[0], None)

    def path(self, source: int, to: int) -> list[np.ndarray] | None:
        """The flows that carry frame `source` to frame `to`, oldest first; None when a thumbnail on
        the way is missing (then nothing can be carried)."""
        steps, k = [], to
        while k > source and k in self.flows:
            k, flow = self.flows[k]
            steps.append(flow)
        return steps[::-1] if k == source else None


def carry(planes: np.ndarray, rect: Rect, flows: list[np.ndarray]) -> np.ndarray:
    """`planes` (a mask over `rect` of the frame at any size, HxW or HxWxC) moved along `flows`."""
    h, w = planes.shape[:2]
    for flow in flows:
        th, tw = flow.shape[:2]
        to_thumb_x, to_thumb_y, u, v, kx, ky = _grids(rect, w, h, tw, th)
        moved = cv2.remap(flow, to_thumb_x, to_thumb_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        planes = cv2.remap(planes, u + kx * moved[:, :, 0], v + ky * moved[:, :, 1], cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
    return planes


@functools.lru_cache(maxsize=8)
def _grids(rect: Rect, w: int, h: int, tw: int, th: int):
    """For a mask of w x h over `rect`: each pixel's centre in thumbnail pixels, its own coordinates,
    and thumbnail pixels -> mask pixels. Pixel centres on both sides, as the GPU samples."""
    u, v = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    rw, rh = rect.x1 - rect.x0, rect.y1 - rect.y0
    to_thumb_x = ((rect.x0 + (u + 0.5) / w * rw) * tw - 0.5).astype(np.float32)
    to_thumb_y = ((rect.y0 + (v + 0.5) / h * rh) * th - 0.5).astype(np.float32)
    return to_thumb_x, to_thumb_y, u, v, float(w / (tw * rw)), float(h / (th * rh))  # Python floats keep float32


class MaskCarrier:
    """Masks carried forward by motion, one flow at a time: the one carrier of both drivers. The filter
    feeds it, on the mask worker's motion thread, the thumbnails the GPU drew and the masks the model
    made, and gets the newest mask carried to each later frame with a thumbnail (`add_frame`,
    `add_mask`); `backdrop process/eval` (core/tools/shown_stream.py) feeds it the frames' thumbnails
    and asks for the mask a frame is shown with, carried to the frame the timeline says (`carry`)."""

    def __init__(self, keep: int = KEEP_FLOWS) -> None:
        self.field = MotionField(keep)
        self._newest: ReadyMask | None = None  # the newest mask (the last one carried), as far as it went

    def add_frame(self, frame_id: int, grey: np.ndarray) -> list[ReadyMask]:
        """A frame's thumbnail: the newest mask carried on to it."""
        self.field.add(frame_id, grey)
        return self._advance()

    def add_thumbnail(self, frame_id: int, grey: np.ndarray) -> None:
        """A frame's thumbnail, for `carry` to carry a mask to it later."""
        self.field.add(frame_id, grey)

    def add_mask(self, mask: ReadyMask) -> list[ReadyMask]:
        """A mask the model made (masks come in frame order: a mask's frame is never older)."""
        self._newest = mask
        return self._advance()

    def carry(self, mask: ReadyMask, frame_id: int) -> ReadyMask | None:
        """`mask` carried to `frame_id`, on from the mask carried last when it is this one carried no
        further (None: a thumbnail on the way is missing, or the frames changed size: nothing to carry)."""
        last = self._newest
        if last is None or last.source != mask.source or last.frame_id > frame_id:
            self._newest = mask
        self._advance(frame_id)
        newest = self._newest
        return newest if newest is not None and newest.frame_id == frame_id else None

    def _advance(self, to: int | None = None) -> list[ReadyMask]:
        """The newest mask carried to each later frame with a flow (up to frame `to`); each keeps its
        source and people."""
        out: list[ReadyMask] = []
        newest = self._newest
        while newest is not None and newest.frame_id in self.field.after \
                and (to is None or self.field.after[newest.frame_id] <= to):
            k = self.field.after[newest.frame_id]
            flow = self.field.flows[k][1]
            r = newest.result
            coeffs = None if r.coeffs is None else carry(r.coeffs, r.rect, [flow])
            moved = dataclasses.replace(r, frame_id=k, mask=carry(r.mask, r.rect, [flow]), coeffs=coeffs)
            newest = dataclasses.replace(newest, result=moved)
            out.append(newest)
        self._newest = newest
        return out
