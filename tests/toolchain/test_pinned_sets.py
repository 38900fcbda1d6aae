"""Pins that resolve must also run: the core tests and the model-fidelity test, on Linux, with each
distinct (numpy, opencv, onnxruntime) set of the support matrix that the main environment does not
already test, each in a throwaway environment."""

from __future__ import annotations

import subprocess
import sys

import pytest

from installer import cli, support
from tests.conftest import REPO

pytestmark = pytest.mark.network

CORE_TESTS = ["tests/toolchain/test_models.py", "tests/unit/test_preprocess.py", "tests/unit/test_composite.py",
              "tests/unit/test_temporal_and_runner.py", "tests/unit/test_tracking.py",
              "tests/unit/test_metrics_and_eval.py", "tests/unit/test_model_registry.py",
              "tests/unit/test_providers.py", "tests/unit/test_cli_process.py"]
MAIN = support.requirements(support.Target("linux", "x86_64", "3.11"))  # what tests/run's environment holds
OTHER_SETS = sorted({name for name, pins in support.PIN_SETS.items()
                     if [f"{k}=={v}" for k, v in pins.items()] != MAIN})


def test_every_pin_set_is_covered():
    assert OTHER_SETS == ["macos-11-intel", "macos-before-14"]
    assert pythons_of("macos-before-14") == pythons_of("macos-11-intel") == {"3.11", "3.12"}


def pythons_of(pin_set: str) -> set[str]:
    """The Pythons the matrix installs this pin set for (the macOS sets: 3.11 and 3.12, what OBS loads there)."""
    return {t.python for row in support.ROWS if row.supported for t in row.targets() if support.pin_set(t) == pin_set}


@pytest.mark.parametrize("name", OTHER_SETS)
def test_core_tests_pass_with_pin_set(name, tmp_path, mediapipe_wheel):
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if here not in pythons_of(name):  # e.g. no onnxruntime 1.19.2 wheel for Python 3.14: no row needs one
        pytest.skip(f"the matrix installs {name} for Python {', '.join(sorted(pythons_of(name)))} only, not {here}")
    pins = [f"{k}=={v}" for k, v in support.PIN_SETS[name].items()]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    vpy = cli.venv_python(venv)
    constraints = tmp_path / "pins.txt"
    constraints.write_text("\n".join(pins) + "\n", encoding="utf-8")
    tools = [r for r in cli.dev_requirements() if not r.startswith(("obsws-python", "ruff"))]
    res = subprocess.run([str(vpy), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c",
                          str(constraints), *pins, *tools], capture_output=True, text=True, timeout=1200)
    assert res.returncode == 0, res.stderr[-2000:]
    have = subprocess.run([str(vpy), "-c", "import numpy, cv2, onnxruntime; "
                           "print(numpy.__version__, cv2.__version__, onnxruntime.__version__)"],
                          capture_output=True, text=True).stdout.split()
    numpy, opencv, ort = (p.split("==")[1] for p in pins)
    assert have[0] == numpy and opencv.startswith(have[1] + ".") and have[2] == ort  # cv2 says 4.9.0 for 4.9.0.80
    res = subprocess.run([str(vpy), "-m", "pytest", "-q", "-p", "no:cacheprovider", *CORE_TESTS], cwd=REPO,
                         capture_output=True, text=True, timeout=1200)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert " passed" in res.stdout and " skipped" not in res.stdout.splitlines()[-1]
