"""Backdrop's effects as Direct3D 11 would compile them, checked as far as Debian can.

OBS on Windows compiles each pass with D3DCompile (vs_4_0 / ps_4_0). What it compiles is the string
libobs's effect parser builds (captured from real OBS by shader_capture.c), after the Direct3D 11
backend's token replacements. Debian has no D3DCompile; glslang's HLSL front end type-checks the
result (it rejects GLSL-isms) but has no shader-model profile, so `lint_sm4` checks the Shader
Model 4 rules it cannot.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# libobs-d3d11/d3d11-shaderprocessor.cpp, ShaderProcessor::BuildString (same replacements from tag
# 29.0.2 to 32.2.2): whole tokens replaced, texture_rect refused, one line prepended.
D3D11_TOKENS = {"POSITION": "SV_Position", "TARGET": "SV_Target", "texture2d": "Texture2D",
                "texture3d": "Texture3D", "texture_cube": "TextureCube", "sampler_state": "SamplerState",
                "VERTEXID": "SV_VertexID"}
D3D11_PREFIX = "static const bool obs_glsl_compile = false;\n\n"
_TOKEN = re.compile(r"\b(" + "|".join(D3D11_TOKENS) + r"|texture_rect)\b")
_GRADIENT = re.compile(r"\.(?:Sample|SampleBias|SampleCmp)\s*\(|\b(?:ddx|ddy)\w*\s*\(")


class D3DError(RuntimeError):
    """What the Direct3D 11 backend itself would throw."""


@dataclass(frozen=True)
class Shader:
    stage: str  # "vs" or "ps"
    location: str  # "<file> (Pixel shader, technique X, pass 0)", as libobs names it
    text: str  # the string libobs passed to gs_vertexshader_create / gs_pixelshader_create

    @classmethod
    def from_capture(cls, path: Path) -> Shader:
        first, _, text = path.read_text(encoding="utf-8").partition("\n")
        return cls(path.name.split(".")[1], first.removeprefix("// location: "), text)


def d3d11_string(captured: str) -> str:
    def swap(m: re.Match) -> str:
        if m.group(1) == "texture_rect":
            raise D3DError("texture_rect is not supported in D3D")
        return D3D11_TOKENS[m.group(1)]

    return D3D11_PREFIX + _TOKEN.sub(swap, captured)


def type_check(shader: Shader, workdir: Path) -> str:
    """glslang's HLSL front end on the Direct3D string, then spirv-val; '' when both pass, else the errors."""
    src = workdir / "shader.hlsl"
    spv = workdir / "shader.spv"
    try:
        src.write_text(d3d11_string(shader.text), encoding="utf-8")
    except D3DError as exc:
        return str(exc)
    stage = {"vs": "vert", "ps": "frag"}[shader.stage]
    res = subprocess.run(["glslangValidator", "-D", "-V", "-S", stage, "-e", "main", "-o", str(spv), str(src)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        return "\n".join(line for line in res.stdout.splitlines() if "ERROR" in line) or res.stdout
    res = subprocess.run(["spirv-val", str(spv)], capture_output=True, text=True)
    return "" if res.returncode == 0 else res.stdout + res.stderr


# -- Shader Model 4 rules glslang does not check -------------------------------------------------
def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", " ", re.sub(r"//[^\n]*", "", text), flags=re.S)


def _close(text: str, i: int, open_ch: str, close_ch: str) -> int:
    """Index just past the bracket that closes the one at `i`."""
    depth = 0
    for j in range(i, len(text)):
        depth += text[j] == open_ch
        depth -= text[j] == close_ch
        if depth == 0:
            return j + 1
    raise ValueError(f"unbalanced {open_ch} at {i}")


def _statement(text: str, i: int) -> tuple[str, int]:
    """The statement starting at or after `i` (a braced block or up to its ';'), and where it ends."""
    while text[i].isspace():
        i += 1
    if text[i] == "{":
        end = _close(text, i, "{", "}")
        return text[i:end], end
    depth, j = 0, i
    while j < len(text):
        depth += text[j] == "("
        depth -= text[j] == ")"
        if text[j] == ";" and depth == 0:
            return text[i:j + 1], j + 1
        j += 1
    return text[i:], len(text)


def _functions(text: str) -> dict[str, tuple[str, str]]:
    """name -> (signature, body) for every function defined in the shader string."""
    out = {}
    for m in re.finditer(r"\b\w+\s+(\w+)\s*\(([^()]*)\)\s*(?::\s*\w+\s*)?\{", text):
        body_start = m.end() - 1
        out[m.group(1)] = (text[m.start():body_start], text[body_start:_close(text, body_start, "{", "}")])
    return out


def _gradient_functions(funcs: dict[str, tuple[str, str]]) -> set[str]:
    """Functions that take implicit derivatives, directly or through a function they call."""
    found = {name for name, (_, body) in funcs.items() if _GRADIENT.search(body)}
    changed = True
    while changed:
        changed = False
        for name, (_, body) in funcs.items():
            if name not in found and any(re.search(rf"\b{f}\s*\(", body) for f in found):
                found.add(name)
                changed = True
    return found


def _uses_gradients(code: str, gradient_funcs: set[str]) -> bool:
    return bool(_GRADIENT.search(code)) or any(re.search(rf"\b{f}\s*\(", code) for f in gradient_funcs)


_CONST_FOR = re.compile(r"^\s*(?:int|uint)?\s*\w+\s*=\s*-?\d+\s*;\s*\w+\s*(?:<|<=|>|>=|!=)\s*-?\d+\s*;")


def lint_sm4(shader: Shader) -> list[str]:
    """Shader Model 4 rules D3DCompile enforces and glslang does not; one message per violation."""
    text = _strip_comments(shader.text)
    problems = []
    if re.search(r"\btexture_rect\b", text):
        problems.append("texture_rect: not supported by the Direct3D 11 backend")
    funcs = _functions(text)
    gradient_funcs = _gradient_functions(funcs)
    if shader.stage == "vs" and _uses_gradients(text, gradient_funcs):
        problems.append("Sample (implicit derivatives) in a vertex shader: use SampleLevel")
    if shader.stage == "ps" and not re.search(r"\bmain\s*\([^()]*\)\s*:\s*TARGET\b", text):
        problems.append("the pixel shader's return carries no TARGET semantic")
    uniforms = set(re.findall(r"\buniform\s+\w+\s+(\w+)", text)) | set(re.findall(r"\bstatic\s+const\s+\w+\s+(\w+)",
                                                                                   text))
    for name, (_, body) in funcs.items():
        for m in re.finditer(r"\b(for|while)\s*\(", body):
            open_paren = m.end() - 1
            close = _close(body, open_paren, "(", ")")
            header = body[open_paren + 1:close - 1] + ";"
            constant = m.group(1) == "for" and _CONST_FOR.match(header)
            loop_body, _ = _statement(body, close)
            if not constant and _uses_gradients(loop_body, gradient_funcs):
                problems.append(f"{name}: gradient sampling in a loop with a varying bound "
                                f"({m.group(1)} ({header[:-1].strip()})): use SampleLevel or SampleGrad")
        for m in re.finditer(r"\bif\s*\(", body):
            open_paren = m.end() - 1
            close = _close(body, open_paren, "(", ")")
            cond = body[open_paren + 1:close - 1]
            names = set(re.findall(r"(?<![.\w])([A-Za-z_]\w*)\b(?!\s*\()", cond)) - uniforms - {"true", "false"}
            branch, end = _statement(body, close)
            rest = body[end:].lstrip()
            if rest.startswith("else"):
                branch += _statement(rest, 4)[0]
            if names and _uses_gradients(branch, gradient_funcs):
                problems.append(f"{name}: gradient sampling in a branch on {', '.join(sorted(names))} "
                                f"(divergent): sample before the branch, or use SampleLevel or SampleGrad")
    return problems
