"""Our ctypes mirror of `struct obs_source_info` matches libobs-dev's header, field by field."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.libobs_headers,
              pytest.mark.only_on("linux", reason="Debian's libobs-dev headers and libobs0 (tests/run installs "
                                  "them; OBS's obs.dll and libobs.framework do not load outside OBS)")]

HEADER = Path("/usr/include/obs/obs-source.h")
REPO = Path(__file__).resolve().parents[2]


def _c_layout(tmp_path: Path, fields: list[str]) -> dict[str, int]:
    lines = [f'printf("{f} %zu\\n", offsetof(struct obs_source_info, {f}));' for f in fields]
    src = tmp_path / "layout.c"
    src.write_text("#include <stddef.h>\n#include <stdio.h>\n#include <obs/obs.h>\nint main(void){\n"
                   + "\n".join(lines) + '\nprintf("sizeof %zu\\n", sizeof(struct obs_source_info));\nreturn 0;}\n',
                   encoding="utf-8")
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
    # Backdrop registers OBS 29's layout, 400 bytes; OBS 30 adds fields after it (408, 31-32: 424), and
    # obs_register_source_s zero-fills what a smaller size leaves out (`struct obs_source_info data = {0};`
    # then `memcpy(&data, info, size)`, libobs/obs-module.c at 29.0.2 and 32.2.2): a prefix is enough.
    assert __import__("ctypes").sizeof(obs_source_info) == 400 <= c["sizeof"]


def _libobs_module():
    sys.path.insert(0, str(REPO))
    from obs_script import libobs

    return libobs


@pytest.mark.skipif(not HEADER.exists(), reason="needs libobs")
def test_every_libobs_function_has_its_argument_types_declared():
    """A call without argtypes passes every argument as a fixed one: wrong for variadics on arm64 macOS."""
    libobs = _libobs_module()
    undeclared = [name for name, (_, args) in libobs._SIGNATURES.items() if args is None]
    assert undeclared == []
    assert libobs._SIGNATURES["blog"][1] == [libobs.c_int, libobs.c_char_p]


@pytest.mark.skipif(not HEADER.exists(), reason="needs libobs")
def test_log_messages_reach_libobs_verbatim_with_percent_signs():
    """libobs's default log handler (util/base.c, def_log_handler) prints `info: <formatted>` to stdout."""
    code = ("from obs_script.libobs import log, LOG_INFO; "
            "log(LOG_INFO, 'CPU 100% busy, %s %d %n stay literal, caf\\u00e9')")
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "info: [backdrop] CPU 100% busy, %s %d %n stay literal, caf\u00e9" in res.stdout


def test_libobs_is_looked_up_by_names_that_exist_for_each_obs_version():
    libobs_names = _libobs_module().libobs_candidates
    linux = libobs_names("linux")
    assert linux[0] is None  # inside OBS: the symbols already loaded
    assert {"libobs.so.0", "libobs.so.29", "libobs.so.30", "libobs.so.31", "libobs.so.32"} <= set(linux)
    mac = libobs_names("darwin")
    assert mac[0] is None and all(n.startswith("@") for n in mac[1:])  # never relative to the working directory
    assert libobs_names("win32") == ["obs.dll"]
