"""Direct3D 11, proven as far as Debian can: every pass of every effect in obs_script/data, as real
OBS 29 builds it (captured with an LD_PRELOAD shim), with the Direct3D 11 backend's replacements,
type-checked by glslang's HLSL front end and spirv-val and linted for Shader Model 4. The negative
fixtures prove each check can fail."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.d3d.hlsl import Shader, lint_sm4, type_check
from tests.obs_harness import ObsInstance

pytestmark = [pytest.mark.obs,
              pytest.mark.skipif(not shutil.which("glslangValidator") or not shutil.which("spirv-val"),
                                 reason="needs glslang-tools and spirv-tools (tests/run installs them)")]
EFFECTS = REPO / "obs_script" / "data"
D3D = REPO / "tests" / "d3d"


@pytest.fixture(scope="module")
def captured(tmp_path_factory) -> list[Shader]:
    """The shader strings real OBS builds from every .effect file under obs_script/data."""
    work = tmp_path_factory.mktemp("shaders")
    shim = work / "shader_capture.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(shim), str(D3D / "shader_capture.c"), "-ldl"], check=True)
    dump = work / "dump"
    dump.mkdir()
    env = {"LD_PRELOAD": str(shim), "BACKDROP_SHADER_DUMP": str(dump), "BACKDROP_EFFECTS_DIR": str(EFFECTS)}
    with ObsInstance(scripts=[D3D / "load_effects.py"], env=env) as inst:
        log = inst.wait_log("[effect-capture] done", timeout=60)
    for effect in EFFECTS.glob("*.effect"):
        assert f"[effect-capture] {effect.name}: ok" in log
    shaders = [Shader.from_capture(p) for p in sorted(dump.glob("*.hlsl"))]
    return [s for s in shaders if s.location.startswith(str(EFFECTS))]


def _techniques(effect: Path) -> int:
    return len(re.findall(r"^\s*technique\s+\w+", effect.read_text(encoding="utf-8"), re.M))


def test_every_pass_of_every_effect_was_captured(captured):
    expected = sum(2 * _techniques(e) for e in EFFECTS.glob("*.effect"))  # one vertex + one pixel shader each
    assert expected > 0 and len(captured) == expected
    assert {s.stage for s in captured} == {"vs", "ps"}


def test_every_shader_type_checks_for_direct3d_and_passes_the_sm4_lint(captured, tmp_path):
    failures = {}
    for shader in captured:
        errors = type_check(shader, tmp_path)
        problems = lint_sm4(shader)
        if errors or problems:
            failures[shader.location] = (errors, problems)
    assert failures == {}


def _ps(captured, technique: str) -> Shader:
    return next(s for s in captured if s.stage == "ps" and f"technique {technique}," in s.location)


def _vs(captured) -> Shader:
    return next(s for s in captured if s.stage == "vs")


def _inject_in_main(shader: Shader, code: str) -> Shader:
    text = re.sub(r"(\bmain\s*\([^()]*\)[^{]*\{)", lambda m: m.group(1) + "\n\t" + code + "\n", shader.text, count=1)
    assert text != shader.text
    return Shader(shader.stage, shader.location, text)


@pytest.mark.parametrize("glsl", [
    "float glsl_ism = mix(0.0, 1.0, 0.5);",
    "float glsl_ism = fract(0.5);",
    "vec4 glsl_ism = vec4(0.0, 0.0, 0.0, 0.0);",
    "float4 glsl_ism = texture(image, v_in.uv);",
    "float glsl_ism = mod(3.0, 2.0);",
    "float glsl_ism = atan(1.0, 2.0);",
])
def test_glsl_isms_fail_the_type_check(captured, tmp_path, glsl):
    assert type_check(_inject_in_main(_ps(captured, "DrawTransparent"), glsl), tmp_path) != ""


def _edit(shader: Shader, old: str, new: str) -> Shader:
    assert old in shader.text, old
    return Shader(shader.stage, shader.location, shader.text.replace(old, new, 1))


def _sm4_fixtures(captured) -> dict[str, tuple[Shader, str]]:
    vs = _vs(captured)
    vs_sample = Shader("vs", vs.location, "uniform texture2d tex;\nsampler_state s { Filter = Linear; };\n"
                       + vs.text.replace("return VSDefault(v_in);",
                                         "VertData o = VSDefault(v_in);\n\to.uv += tex.Sample(s, v_in.uv).rg;\n"
                                         "\treturn o;"))
    no_target = _edit(_ps(captured, "DrawTransparent"), ") : TARGET", ")")
    # The blur's loop runs to a uniform: fine with SampleLevel, an error with Sample (implicit derivatives).
    varying_loop = _edit(_ps(captured, "Gauss"), "image.SampleLevel(linear_clamp, v_in.uv + offset, 0.0)",
                         "image.Sample(linear_clamp, v_in.uv + offset)")
    divergent = _inject_in_main(_ps(captured, "DrawTransparent"),
                                "if (v_in.uv.x > 0.5) { v_in.uv = image.Sample(linear_clamp, v_in.uv).rg; }")
    divergent_call = _inject_in_main(_ps(captured, "DrawTransparent"),
                                     "if (v_in.uv.y > 0.5) v_in.uv.x = sample_mask(v_in.uv);")
    rect = Shader("ps", "rect", "uniform texture_rect r;\n" + _ps(captured, "DrawTransparent").text)
    return {"vertex Sample": (vs_sample, "vertex shader"), "no TARGET": (no_target, "no TARGET"),
            "varying loop": (varying_loop, "loop with a varying bound"),
            "divergent branch": (divergent, "divergent"), "divergent call": (divergent_call, "divergent"),
            "texture_rect": (rect, "texture_rect")}


@pytest.mark.parametrize("case", ["vertex Sample", "no TARGET", "varying loop", "divergent branch",
                                  "divergent call", "texture_rect"])
def test_each_sm4_rule_fails_its_fixture(captured, case, tmp_path):
    shader, message = _sm4_fixtures(captured)[case]
    problems = lint_sm4(shader)
    assert any(message in p for p in problems), problems
    if case != "texture_rect":  # glslang accepts every one of these: only the lint catches them
        assert type_check(shader, tmp_path) == ""


def test_constant_loops_pass_and_light_wrap_off_has_no_taps(captured):
    wrap = _ps(captured, "DrawColorWrap")  # light wrap: a 3x3 constant loop of samples
    assert "for (int y = -1; y <= 1; y++)" in wrap.text
    assert lint_sm4(wrap) == []
    assert "for (" not in _ps(captured, "DrawColor").text  # its own technique: off costs no taps
