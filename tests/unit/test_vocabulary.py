"""One vocabulary: the numbers and names the shaders use are core/vocabulary.py's, read back out of
the .effect files (which cannot import Python), so changing one side alone fails here."""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys

import pytest

from core import vocabulary as V
from tests.conftest import REPO

DATA = REPO / "obs_script" / "data"


def _private(name: str):
    """An obs_script module, imported the way OBS imports it (private package name)."""
    spec = importlib.util.spec_from_file_location("backdrop_obs_entry", REPO / "obs_script" / "backdrop_obs.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    return entry._import_private(f"obs_script.{name}")


def _effect_text(name: str) -> str:
    """An effect file with its #includes inlined, as OBS's preprocessor reads it."""
    text = (DATA / name).read_text(encoding="utf-8")
    return re.sub(r'^#include\s+"([^"]+)"', lambda m: _effect_text(m.group(1)), text, flags=re.M)


def _define(name: str) -> str:
    m = re.search(rf"^#define\s+{name}\s+(.+?)\s*$", _effect_text("backdrop_common.effect"), re.M)
    assert m, f"#define {name} is missing from backdrop_common.effect"
    return m.group(1)


def _numbers(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"-?\d+\.\d*(?:e-?\d+)?", text))


def test_shader_constants_are_the_vocabulary_s():
    assert _numbers(_define("LUMA_WEIGHTS")) == V.LUMA_WEIGHTS
    assert float(_define("MIN_SOFTNESS")) == V.MIN_SOFTNESS
    assert float(_define("EMPTY_WEIGHT")) == V.EMPTY_WEIGHT


def test_a_changed_shader_constant_is_caught(monkeypatch):
    """The check above can fail: a shader with other luma weights does not pass it."""
    original = _effect_text

    def edited(name: str) -> str:
        return original(name).replace("0.7152", "0.7150")

    monkeypatch.setattr(sys.modules[__name__], "_effect_text", edited)
    with pytest.raises(AssertionError):
        test_shader_constants_are_the_vocabulary_s()


def test_the_blur_prefilters_have_the_variances_the_plan_leaves_out():
    """Down and Half take a [1 2 1] x [1 2 1] of bilinear taps, each between two texels per axis (a
    2-texel box), 2 frame pixels and 1 texel apart: per axis a variance of 2 s^2 / 4 + 1/4, which
    gpu_blur_plan subtracts from the strength's before the Gaussian."""
    blur = _effect_text("backdrop_blur.effect")
    for shader, spacing, variance in (("down", 2, V.DOWN_VARIANCE), ("PSHalf", 1, V.HALF_VARIANCE)):
        body = re.search(rf"float4 {shader}\(.*?\n}}\n", blur, re.S).group(0)
        assert "float((2 - abs(x)) * (2 - abs(y)))" in body and "sum / 16.0" in body, body
        assert ("float2(x, y) * 2.0 * texel" if spacing == 2 else "float2(x, y) * texel") in body, body
        taps = {offset: weight for offset, weight in ((-spacing, 1), (0, 2), (spacing, 1))}
        kernel = {}  # per axis: texel offset (from the tap centre, in half texels) -> weight
        for offset, weight in taps.items():
            for half in (-1, 1):
                kernel[2 * offset + half] = kernel.get(2 * offset + half, 0) + weight / 8
        assert sum(w * (x / 2) ** 2 for x, w in kernel.items()) == pytest.approx(variance)
    assert V.BLUR_SCALE == 4  # Down's taps at -2, 0, 2 pixels cover the 4 pixels of a 1/4-size texel


LIBOBS = pytest.mark.only_on("linux", reason="imports obs_script modules that load Debian's libobs (OBS's obs.dll "
                             "and libobs.framework do not load outside OBS)")


@LIBOBS
def test_every_technique_and_parameter_the_compositor_binds_exists():
    compositor = _private("compositor")
    BLUR_PARAMS, OUTPUT_PARAMS, technique = compositor.BLUR_PARAMS, compositor.OUTPUT_PARAMS, compositor.technique

    mask, blur = _effect_text("backdrop_mask.effect"), _effect_text("backdrop_blur.effect")
    techniques = set(re.findall(r"^technique\s+(\w+)", mask, re.M))
    for mode, wrap, show in itertools.product(V.MODES, (0.0, 0.5), (False, True)):
        assert technique(mode, wrap, show).decode() in techniques
    for text, names in ((mask, OUTPUT_PARAMS), (blur, BLUR_PARAMS)):
        declared = set(re.findall(r"^uniform\s+\w+\s+(\w+)", text, re.M))
        assert set(names) <= declared, set(names) - declared


@LIBOBS
def test_modes_and_defaults_have_one_source():
    fs = _private("filter_settings")
    assert fs.MODES == V.MODES and fs.STRINGS[fs.S_MODE] == V.MODE
    assert fs.FLOATS[fs.S_THRESHOLD][0] == V.THRESHOLD and fs.FLOATS[fs.S_SOFTNESS][0] == V.SOFTNESS
    assert fs.INTS[fs.S_BLUR] == (V.BLUR_STRENGTH, *V.BLUR_RANGE)
    assert fs.color_rgba(fs.DEFAULT_COLOR)[:3] == tuple(c / 255.0 for c in V.COLOR_RGB)


def test_cover_fit_fills_the_frame_and_crops_equally():
    sx, sy, ox, oy = V.cover_fit(1280, 720, 800, 300)  # a wide picture on a 16:9 frame: its sides go
    assert sy == 1.0 and oy == 0.0 and 0.0 < sx < 1.0 and ox == pytest.approx((1.0 - sx) / 2)
    assert 800 * sx / 300 == pytest.approx(1280 / 720)  # the visible part has the frame's aspect
