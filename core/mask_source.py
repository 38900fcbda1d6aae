"""The mask-source contract: what every mask pipeline is (`MaskSource`), the plan a driver asks it for
(`FramePlan`: the crops to cut out of the next frame, each at a model's size) and what it hands over
(`MaskResult`, with what the pipeline was doing in one `MaskStatus`). A leaf but for the rectangle
type: it imports only core/geometry.py (`Rect`, itself a leaf), so a pipeline, a driver or a plug-in
depends on the contract and nothing behind it; tests/test_architecture.py checks that, and tests/run
type-checks both modules strictly.

The OBS filter draws every crop of a plan on the GPU at model size and reads back only those pixels,
so a plan says everything the GPU needs (rectangles or quads in frame coordinates, the output sizes)
and what the worker needs to interpret the pixels it gets back (which model, which frame size).
Frozen: a plan is made on the render thread and read on the mask worker, so nobody may change it in
between. Pure Python: the OBS filter imports it before it knows whether numpy and OpenCV are installed.

Hand-off to compositing (the CPU reference in core/selfie.py, the OBS shader in the filter): a
`MaskResult` with the id of the frame it came from, the rectangle of the frame it covers (normalised;
the whole frame unless person tracking cropped it), an 8-bit probability mask at model size (255 =
person) and the refinement coefficients (A, B); the full-resolution mask is A * luma + B inside the
rectangle (0 outside), after which threshold and edge softness are applied (composite.smoothstep_alpha).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from .geometry import FULL, Rect

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


THUMB_SIDE = 256  # the motion thumbnail's longer side, in pixels: 256x144 for a 16:9 frame (core/motion.py)


def thumb_size(width: int, height: int) -> tuple[int, int]:
    """(w, h) of a frame's motion thumbnail: the frame's aspect, the longer side THUMB_SIDE."""
    scale = THUMB_SIDE / max(width, height)
    return max(16, round(width * scale)), max(16, round(height * scale))


# Four corners in normalised frame coordinates: top-left, top-right, bottom-right, bottom-left of
# the crop as the model sees it (a rotated square for a pose; may reach outside the frame).
Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


class Border(Enum):
    """What a crop reaching beyond the frame sees there."""

    REPLICATE = "replicate"  # the frame's edge pixels (MediaPipe's landmark crops)
    ZERO = "zero"  # black (the detector's letterbox)


@dataclass(frozen=True)
class Crop:
    rect: Rect = FULL  # axis-aligned: normalised frame coordinates (0..1), the same at any frame size
    model: str = ""  # the model that runs on it
    size: tuple[int, int] = (0, 0)  # the model's input (width, height): what the crop is drawn at
    quad: Quad | None = None  # instead of `rect`: any four corners, drawn onto the model's square
    border: Border = Border.REPLICATE
    tag: object = None  # the planning pipeline's own note, handed back with the crop (the pose's: its Roi)
    search: bool = False  # only looks for people the crops before it missed (core/tracking.py)

    def frame_uv_map(self, width: int, height: int) -> tuple[tuple[float, float], tuple[float, float, float, float]]:
        """For a quad (a parallelogram): (origin, (x axis, y axis)) with frame uv = origin + u * x_axis +
        v * y_axis for crop uv (u, v), texel centres where OpenCV's warp puts them. core/pose.py's
        `cut` maps the quad's corners onto the crop's corner *coordinates* in OpenCV's pixel
        convention (pixel centres at integers), so crop pixel x sits at u * size - 1/2 and frame
        pixel X at uv * width - 1/2: the same samples as the CPU cut, drawn by the GPU."""
        if self.quad is None:
            raise ValueError("frame_uv_map: the crop has no quad")
        (tlx, tly), (trx, try_), _, (blx, bly) = self.quad
        mw, mh = self.size
        ex, ey = (trx - tlx, try_ - tly), (blx - tlx, bly - tly)
        ox = tlx - 0.5 / mw * ex[0] - 0.5 / mh * ey[0] + 0.5 / width
        oy = tly - 0.5 / mw * ex[1] - 0.5 / mh * ey[1] + 0.5 / height
        return (ox, oy), (*ex, *ey)


@dataclass(frozen=True)
class FramePlan:
    frame_size: tuple[int, int]  # (width, height) of the frame the crops come from
    crops: tuple[Crop, ...]

    @classmethod
    def whole(cls, width: int, height: int, model: str, size: tuple[int, int]) -> FramePlan:
        """The whole frame through one model."""
        return cls((width, height), (Crop(FULL, model, size),))


DEFAULT_TEMPORAL = 0.6  # temporal smoothing everywhere it has a default (measured, see README)


@dataclass
class MaskOptions:
    temporal: float = DEFAULT_TEMPORAL  # 0 = off, 1 = heaviest smoothing on still regions
    min_blob: float = 0.0  # drop person blobs smaller than this fraction of the largest
    refine: float = 0.0  # guided-upsampling strength, 0 = plain bilinear (measured: no gain on shared/eval yet)
    refine_radius: int = 2  # in model pixels
    refine_eps: float = 1e-3
    tracking: bool = True  # person tracking: run the model on a crop around the people (core/tracking.py)
    tracking_every: int = 30  # with tracking: a full-frame pass every N frames
    tracking_every_s: float | None = None  # and at least this often in seconds (OBS: masks may come slower than frames)
    tracking_margin: float = 0.15  # crop margin, as a fraction of the people's box


class PoseState(Enum):
    """What a pipeline's pose branch did with a frame (full_body's; the filter's status line words it)."""

    ACTIVE = "active"  # fused: a full body in view, the pose's person the selfie model's
    NO_FULL_BODY = "no_full_body"  # tracking a person, but no full body in view
    SEARCHING = "searching"  # nobody tracked: the detector looks
    ELSEWHERE = "elsewhere"  # its person is not one the selfie model sees


@dataclass(frozen=True)
class MaskStatus:
    """What the pipeline was doing when it made a mask: diagnostics, as data (the OBS filter's
    status line, obs_script/filter_status.py, turns them into words)."""

    searching: bool = False  # person tracking found nobody yet: the next masks also search zoomed tiles
    pose: PoseState | None = None  # the pose branch's state; None: the pipeline has none


@dataclass(frozen=True)
class MaskResult:
    """A pipeline's output for one frame, and nothing else: what the runner or the motion carrier
    add travels beside it (core/ready_mask.py)."""

    frame_id: int
    mask: NDArray[np.uint8]  # HxW at model size, P(person) * 255
    coeffs: NDArray[np.float32] | None  # HxWx2 (A, B); None without edge refinement (then A = 0, B = p)
    infer_ms: float
    post_ms: float
    rect: Rect = FULL  # the part of the frame the mask covers
    status: MaskStatus = MaskStatus()


class MaskSource(Protocol):
    """What every mask pipeline is (the selfie models', the pose's, full_body's, a plug-in's), made by
    core/pipelines.py. Two drivers, one path: the OBS filter plans on its render thread, cuts the crops
    on the GPU and runs the plan on its mask worker; the CLI does the same with the crops cut on the
    CPU (core/cpu_frame.py). One instance is one stream's state (trackers, temporal filters) over
    shared sessions; whether the stream restarted is decided for every pipeline in one place
    (core/stream.py), which calls `reset`."""

    @property
    def tracking(self) -> bool:
        """Person tracking is on: it engages over a few frames of a still."""

    def plan(self, width: int, height: int) -> FramePlan:
        """The crops the next frame needs (render thread)."""

    def run_plan(self, images: tuple[NDArray[np.uint8], ...], frame_id: int, plan: FramePlan) -> MaskResult:
        """The crops of `plan`, cut at their sizes (RGB) -> the mask (worker thread)."""

    def configure(self, options: MaskOptions) -> None:
        """New options, keeping the stream's state where they allow."""

    def reset(self) -> None:
        """Forget the history: the stream restarted (another frame size, a cut to an unrelated picture)."""

    def describe(self) -> str:
        """The sessions in use and their providers, live (run-time fallbacks show)."""
