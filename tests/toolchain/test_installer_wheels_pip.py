"""`installer wheels` with a pip too old for it: `pip install --dry-run --report` came in pip 22.2. It must
say so and how to fix it, not report every row of the matrix as uninstallable."""

from __future__ import annotations

import sys
from pathlib import Path

from installer import support, wheels

OLD_PIP = '''import sys
if sys.argv[1:] == ["--version"]:
    print("pip 21.3.1 from /usr/lib/python3/dist-packages/pip (python 3.10)")
    sys.exit(0)
print("\\nUsage: pip install [options] <requirement specifier> ...\\n\\nno such option: --dry-run", file=sys.stderr)
sys.exit(2)
'''


def _old_pip(tmp_path: Path) -> list[str]:
    script = tmp_path / "old_pip.py"
    script.write_text(OLD_PIP, encoding="utf-8")
    return [sys.executable, str(script)]


def test_an_old_pip_is_named_with_the_fix(tmp_path):
    ok, detail = wheels.resolve(support.Target("windows", "x64", "3.12", gpu="directml"), _old_pip(tmp_path))
    assert not ok
    assert "pip 21.3.1" in detail and "22.2" in detail and "install --upgrade pip" in detail


def test_the_command_stops_once_with_the_fix_instead_of_failing_every_row(tmp_path, capsys):
    assert wheels.main(pip=_old_pip(tmp_path)) == 1
    out, err = capsys.readouterr()
    assert "cannot install" not in err and "FAILS" not in out
    assert "pip 21.3.1" in err and "22.2" in err


def test_pip_versions_are_read_from_pip_s_own_line():
    assert wheels.parse_pip_version("pip 22.2 from /x/pip (python 3.11)") == (22, 2)
    assert wheels.parse_pip_version("pip 23.0.1 from /usr/lib/python3/dist-packages/pip (python 3.11)") == (23, 0)
    assert wheels.parse_pip_version("no pip here") is None
