"""The Direct3D 11 backend's replacements of OBS's effect language (tests/d3d/hlsl.py), as libobs-d3d11 makes them:
whole tokens only, and an error for what Direct3D 11 has no counterpart for. The shaders real OBS builds are
checked with them in tests/obs/test_d3d_shaders.py."""

from __future__ import annotations

import pytest

from tests.d3d.hlsl import D3D11_PREFIX, D3DError, d3d11_string


def test_d3d11_replacements_are_the_backends():
    out = d3d11_string("uniform texture2d image;\nfloat4 main(VertData v) : TARGET { POSITIONAL; }\n")
    assert out.startswith(D3D11_PREFIX)
    assert "Texture2D image" in out and ": SV_Target" in out and "POSITIONAL" in out  # whole tokens only
    with pytest.raises(D3DError, match="texture_rect"):
        d3d11_string("uniform texture_rect r;")
