"""The effects compile on Windows: every path Backdrop hands libobs lets libobs find the effect's
`#include` beside it. libobs's rule for that (`insert_path`) is ported here and fed the exact bytes
`effect_from_file` passes to `gs_effect_create_from_file`."""

from __future__ import annotations

import re
from pathlib import Path, PureWindowsPath

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.only_on("linux", reason="stands in for calls into "
                                 "Debian's libobs, which obs_script.libobs loads at import")

try:
    from obs_script import libobs
except OSError as exc:  # no libobs on this machine (tests/run installs OBS)
    pytest.skip(f"libobs does not load here: {exc}", allow_module_level=True)

DATA = REPO / "obs_script" / "data"
WINDOWS_CHECKOUT = r"C:\Users\n\Backdrop"  # a user called "n": a backslash before it would be an escape


def insert_path(including_file: str, include: str) -> str:
    """libobs/util/cf-lexer.c `insert_path` (obs-studio 29.0.2; the same logic 29.0.0-32.2.2): the
    include's name, prefixed with the including file's name up to and including its last '/'."""
    slash = including_file.rfind("/")
    return include if slash < 0 else including_file[:slash + 1] + include


def _includes(effect: Path) -> list[str]:
    return re.findall(r'^#include\s+"([^"]+)"', effect.read_text(encoding="utf-8"), re.MULTILINE)


def _passed_to_libobs(monkeypatch, path) -> bytes:
    """The file name effect_from_file gives gs_effect_create_from_file."""
    seen: list[bytes] = []

    def create_from_file(name: bytes, error) -> int:
        seen.append(name)
        return 1  # an effect: nothing is logged

    monkeypatch.setattr(libobs.lib, "gs_effect_create_from_file", create_from_file)
    assert libobs.effect_from_file(path) == (1, "")
    return seen[0]


def test_effects_that_include_another_exist():
    assert {e.name: _includes(e) for e in DATA.glob("*.effect") if _includes(e)} == {
        "backdrop_mask.effect": ["backdrop_common.effect"], "backdrop_blur.effect": ["backdrop_common.effect"]}


@pytest.mark.parametrize("effect", ["backdrop_mask.effect", "backdrop_blur.effect"])
def test_a_windows_effect_path_reaches_libobs_with_forward_slashes(monkeypatch, effect):
    path = PureWindowsPath(WINDOWS_CHECKOUT, "obs_script", "data", effect)
    passed = _passed_to_libobs(monkeypatch, path)
    assert b"\\" not in passed
    include = insert_path(passed.decode("utf-8"), "backdrop_common.effect")
    assert include == "C:/Users/n/Backdrop/obs_script/data/backdrop_common.effect"
    # what libobs did with the path as it was passed before: the include opened from OBS's working folder
    assert insert_path(str(path), "backdrop_common.effect") == "backdrop_common.effect"


@pytest.mark.parametrize(("resolved", "expected"), [
    (r"\\?\C:\Users\n\Backdrop\obs_script\data\backdrop_mask.effect",
     "C:/Users/n/Backdrop/obs_script/data/backdrop_mask.effect"),
    (r"\\?\UNC\nas\share\Backdrop\obs_script\data\backdrop_mask.effect",
     "//nas/share/Backdrop/obs_script/data/backdrop_mask.effect"),
    (r"\\nas\share\Backdrop\obs_script\data\backdrop_mask.effect",
     "//nas/share/Backdrop/obs_script/data/backdrop_mask.effect"),
])
def test_resolve_s_verbatim_prefix_is_dropped_since_windows_would_not_read_slashes_after_it(
        monkeypatch, resolved, expected):
    assert _passed_to_libobs(monkeypatch, PureWindowsPath(resolved)) == expected.encode()
    assert libobs.libobs_path(resolved, platform="win32") == expected.encode()  # a str, on Windows


def test_a_non_ascii_windows_path_reaches_libobs_as_utf8(monkeypatch):
    # libobs opens files by converting UTF-8 to UTF-16 (os_fopen, libobs/util/platform.c 29.0.2)
    path = PureWindowsPath(r"C:\Users\Jürgen\Backdrop\obs_script\data\backdrop_blur.effect")
    expected = "C:/Users/Jürgen/Backdrop/obs_script/data/backdrop_blur.effect"
    assert _passed_to_libobs(monkeypatch, path) == expected.encode("utf-8")


def test_every_include_resolves_beside_its_effect_here(monkeypatch):
    for effect in DATA.glob("*.effect"):
        passed = _passed_to_libobs(monkeypatch, effect).decode("utf-8")
        for name in _includes(effect):
            assert Path(insert_path(passed, name)) == DATA / name and (DATA / name).is_file()


def test_a_backslash_in_a_linux_or_macos_file_name_is_kept(monkeypatch):
    assert libobs.libobs_path("/home/a\\b/backdrop_mask.effect", platform="linux") == b"/home/a\\b/backdrop_mask.effect"
