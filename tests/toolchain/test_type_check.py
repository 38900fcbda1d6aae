"""The mask-source contract is checked: a pipeline that breaks it (a wrong signature, a missing method)
fails mypy, the type checker tests/run runs over core/ and obs_script/ (tools/typecheck.py)."""

import textwrap

import pytest

from tests.conftest import REPO

api = pytest.importorskip("mypy.api", reason="mypy comes with the dev extras")

CONTRACT = "from core.mask_source import FramePlan, MaskOptions, MaskResult, MaskSource"

# A pipeline that keeps the contract, written as a plug-in would; each case below breaks one thing.
SOURCE = """
import numpy as np

{contract}


class Plugin:
    @property
    def tracking(self) -> bool:
        return False

    def plan(self, width: int, height: int) -> FramePlan:
        raise NotImplementedError

    def run_plan(self, images: tuple[np.ndarray, ...], frame_id: int, plan: FramePlan) -> MaskResult:
        raise NotImplementedError

    def configure(self, options: MaskOptions) -> None:
        pass

    def reset(self) -> None:
        pass

    def describe(self) -> str:
        return "plug-in"


def make() -> MaskSource:
    return Plugin()
"""

BROKEN = {
    "a wrong signature": ("    def plan(self, width: int, height: int) -> FramePlan:",
                          "    def plan(self, width: int) -> FramePlan:"),
    "a wrong return type": ("    def describe(self) -> str:\n        return \"plug-in\"",
                            "    def describe(self) -> int:\n        return 0"),
    "a missing method": ("    def reset(self) -> None:\n        pass\n", ""),
    "tracking a method, not a property": ("    @property\n    def tracking", "    def tracking"),
}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One mypy cache for the cases: core, numpy and OpenCV's stubs are analysed once."""
    return tmp_path_factory.mktemp("mypy_cache")


def _mypy(tmp_path, monkeypatch, cache, source: str) -> tuple[int, str]:
    (tmp_path / "plugin.py").write_text(textwrap.dedent(source), encoding="utf-8")
    monkeypatch.setenv("MYPYPATH", str(REPO))
    monkeypatch.chdir(tmp_path)  # no pyproject.toml here: mypy's defaults, as tests/run's
    # Errors in the product's own modules are tests/run's to report (typecheck.py): only the plug-in's count here.
    out, err, status = api.run(["--cache-dir", str(cache), "--python-version", "3.11", "--follow-imports", "silent",
                                "plugin.py"])
    return status, out + err


def test_a_pipeline_that_keeps_the_mask_source_contract_passes_the_type_check(tmp_path, monkeypatch, cache):
    status, report = _mypy(tmp_path, monkeypatch, cache, SOURCE.format(contract=CONTRACT))
    assert status == 0, report


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_pipeline_that_breaks_the_mask_source_contract_fails_the_type_check(tmp_path, monkeypatch, cache, case):
    old, new = BROKEN[case]
    source = SOURCE.format(contract=CONTRACT)
    assert old in source
    status, report = _mypy(tmp_path, monkeypatch, cache, source.replace(old, new))
    assert status == 1, report
    assert 'plugin.py:' in report and '"MaskSource"' in report, report
