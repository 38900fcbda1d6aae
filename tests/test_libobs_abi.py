"""Our ctypes mirror of `struct obs_source_info` matches libobs-dev's header, field by field."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HEADER = Path("/usr/include/obs/obs-source.h")
REPO = Path(__file__).resolve().parent.parent


def _c_layout(tmp_path: Path, fields: list[str]) -> dict[str, int]:
    lines = [f'printf("{f} %zu\\n", offsetof(struct obs_source_info, {f}));' for f in fields]
    src = tmp_path / "layout.c"
    src.write_text("#include <stddef.h>\n#include <stdio.h>\n#include <obs/obs.h>\nint main(void){\n"
                   + "\n".join(lines) + '\nprintf("sizeof %zu\\n", sizeof(struct obs_source_info));\nreturn 0;}\n')
    exe = tmp_path / "layout"
    subprocess.run(["cc", "-I/usr/include/obs", str(src), "-o", str(exe)], check=True, capture_output=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return {k: int(v) for k, v in (line.split() for line in out.splitlines())}


@pytest.mark.skipif(not HEADER.exists() or shutil.which("cc") is None, reason="needs libobs-dev and a C compiler")
def test_obs_source_info_offsets_and_size_match_the_header(tmp_path):
    sys.path.insert(0, str(REPO))
    from obs_script.libobs import obs_source_info

    fields = [name for name, _ in obs_source_info._fields_]
    c = _c_layout(tmp_path, fields)
    for name in fields:
        assert getattr(obs_source_info, name).offset == c[name], name
    assert __import__("ctypes").sizeof(obs_source_info) == c["sizeof"] == 400
