"""The test harness's plug-in inside OBS: loaded by obs_script/backdrop_obs.py only when
BACKDROP_TEST_PLUGIN names it (tests/obs_harness.py sets it), imported like the product (under the
private package), so its relative imports reach the same modules the filter uses.

It plugs into the product's seams only: the session factory (faults from BACKDROP_TEST_FAULTS),
the pipeline registry (mask sources whose right answer is known exactly, chosen through the `model`
setting with the Custom preset; "test_slow" is "test_opaque" 0.1 s late, for a longer video delay) and
the filter's effect files (a broken one, to test the fallback).

"test_luma" = bright pixels are the person, "test_opaque" = everything, "test_split" = the right
half: they exercise the whole readback -> runner -> upload path. "test_bare" = the model session
alone on the worker thread, no tracking, smoothing or refinement: what the mask path costs on top of
inference.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..core import pipelines, session
from ..core.mask_source import FramePlan, MaskResult
from ..core.postprocess import to_u8
from ..obs_script import backdrop_filter
from . import faults

FAULTS = faults.install(session)


class TestPatternPipeline:
    model_size = (256, 256)
    tracking = False

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def configure(self, options) -> None:
        pass

    def reset(self) -> None:
        pass

    def describe(self) -> str:
        return f"test pattern ({self.kind})"

    def plan(self, width: int, height: int) -> FramePlan:
        return FramePlan.whole(width, height, f"test pattern {self.kind}", self.model_size)

    def run_plan(self, images, frame_id: int, plan: FramePlan) -> MaskResult:
        small_rgb = images[0]
        t0 = time.perf_counter()
        if FAULTS.delay_ms:
            time.sleep(FAULTS.delay_ms / 1000.0)
        if self.kind == "slow":  # a mask 0.1 s late: a longer video delay than the other patterns'
            time.sleep(0.1)
        if self.kind == "luma":
            mask = np.where(small_rgb.max(axis=2) > 127, 255, 0).astype(np.uint8)
        else:
            mask = np.full(small_rgb.shape[:2], 255, np.uint8)
            if self.kind == "split":
                mask[:, : mask.shape[1] // 2] = 0
        coeffs = np.zeros(mask.shape + (2,), np.float32)
        return MaskResult(frame_id, mask, coeffs, (time.perf_counter() - t0) * 1e3, 0.0)


class BarePipeline(TestPatternPipeline):
    def __init__(self, segmenter) -> None:
        super().__init__("bare")
        self.segmenter = segmenter

    def describe(self) -> str:
        return f"bare session ({self.segmenter.session.describe()})"

    def plan(self, width: int, height: int) -> FramePlan:
        return FramePlan.whole(width, height, self.segmenter.card.name, self.segmenter.model_size)

    def run_plan(self, images, frame_id: int, plan: FramePlan) -> MaskResult:
        t0 = time.perf_counter()
        prob = self.segmenter.infer_small(images[0])
        return MaskResult(frame_id, to_u8(prob), None, (time.perf_counter() - t0) * 1e3, 0.0)


def _bare(provider: str, threads: int, options, lag: int) -> BarePipeline:
    from ..core.segmenter import Segmenter

    return BarePipeline(Segmenter("selfie_general", provider, threads))


for _kind in ("luma", "opaque", "split", "slow"):
    pipelines.register(f"test_{_kind}", pipelines.PipelineKind(
        f"test pattern ({_kind})", lambda provider, threads, options, lag, kind=_kind: TestPatternPipeline(kind),
        in_obs=False))
pipelines.register("test_bare", pipelines.PipelineKind("selfie_general's session alone", _bare, in_obs=False))


def _selfie(provider: str, threads: int, options, lag: int, whole_every_looks: int | None):
    """selfie_general as OBS runs it (`options` from obs_script/engine.py), with its periodic look
    (core/tracking.py), the whole frame on every `whole_every_looks`-th timed look, or none (None):
    tools/measure/bench_obs.py measures what the look costs in OBS."""
    import dataclasses

    from ..core.segmenter import Segmenter
    from ..core.selfie import SelfiePipeline

    if whole_every_looks is None:
        options = dataclasses.replace(options, tracking_every=10**9, tracking_every_s=None)
    pipe = SelfiePipeline(Segmenter("selfie_general", provider, threads), options)
    if whole_every_looks is not None:
        pipe.tracker.whole_every_looks = whole_every_looks
    return pipe


for _name, _every in (("test_look", 2), ("test_look_whole_each_time", 1), ("test_no_look", None)):
    pipelines.register(_name, pipelines.PipelineKind(
        f"selfie_general, the whole frame on every {_every}. timed look" if _every else
        "selfie_general without the periodic look",
        lambda provider, threads, options, lag, every=_every: _selfie(provider, threads, options, lag, every),
        in_obs=False))

if FAULTS.effect:
    backdrop_filter.EFFECT_FILES["mask"] = Path(FAULTS.effect)
if FAULTS.crop_effect:
    backdrop_filter.EFFECT_FILES["crop"] = Path(FAULTS.crop_effect)
