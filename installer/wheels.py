"""`python3 -m installer wheels`: every supported row of the matrix, resolved on PyPI as the installer
would install it there, wheels only, for that row's platform and Python. Exits 1 naming each row
that cannot install.

pip evaluates environment markers against the machine it runs on, not the target, so each target's
requirements come from `support.requirements` (the installer's own function), never from the
project's metadata.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import support


def platform_tags(target: support.Target) -> list[str]:
    """pip --platform values for a target (pip widens a macosx tag to older macOS and universal2)."""
    if target.os == "windows":
        return ["win_amd64" if target.arch == "x64" else "win_arm64"]
    if target.os == "macos":
        major = (target.macos or (11, 0))[0]
        return [f"macosx_{major}_0_{target.arch}"]
    glibc_minor = support.LINUX_GLIBC[1]
    return [f"manylinux_2_{m}_x86_64" for m in range(glibc_minor, 16, -1)] + ["manylinux2014_x86_64"]


def pip_command(target: support.Target, report: Path, pip: list[str] | None = None) -> list[str]:
    """A dry run into a folder of its own: pip 23.x allows --platform only with --target (pyenv 3.11's
    pip 23.2.1), and --target also gets past PEP 668's "externally managed" refusal (Debian 12's
    /usr/bin/python3, pip 23.0.1). Nothing is written to the folder: it is a dry run."""
    cmd = [*(pip or [sys.executable, "-m", "pip"]), "install", "--dry-run", "--ignore-installed",
           "--target", str(report.parent / "target"), "--only-binary=:all:", "--python-version", target.python,
           "--report", str(report), "--quiet", "--disable-pip-version-check"]
    for tag in platform_tags(target):
        cmd += ["--platform", tag]
    return cmd + support.requirements(target)


PIP_NEEDED = (22, 2)  # `pip install --dry-run` and `--report` first appeared in pip 22.2 (its changelog)


def parse_pip_version(line: str) -> tuple[int, int] | None:
    """(major, minor) from `pip --version`'s line ("pip 23.0.1 from ... (python 3.11)")."""
    m = re.match(r"pip (\d+)\.(\d+)", line.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def pip_problem(pip: list[str] | None = None) -> str | None:
    """Why `pip` cannot do what this command needs (a dry run with a report), with the fix; None when it can."""
    pip = pip or [sys.executable, "-m", "pip"]
    res = subprocess.run([*pip, "--version"], capture_output=True, text=True)
    line = res.stdout.strip() if res.returncode == 0 else ""
    version = parse_pip_version(line)
    if version is not None and version >= PIP_NEEDED:
        return None
    found = line.split(" from ")[0] if version else f"no pip that answers ({' '.join(pip)} --version)"
    needed = ".".join(map(str, PIP_NEEDED))
    return (f"{found}: `installer wheels` needs pip {needed} or newer (pip install --dry-run --report). Run it "
            f"with a Python whose pip is current: python3 -m venv /tmp/wheels && /tmp/wheels/bin/python -m pip "
            f"install --upgrade pip && /tmp/wheels/bin/python -m installer wheels (on Windows, `py -m pip install "
            f"--upgrade pip`)")


def resolve(target: support.Target, pip: list[str] | None = None) -> tuple[bool, str]:
    """(installs, what pip chose or why not); `pip` runs pip (default: this Python's)."""
    problem = pip_problem(pip)
    if problem:
        return False, problem
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        res = subprocess.run(pip_command(target, report, pip), capture_output=True, text=True)
        if res.returncode != 0:
            errors = [line for line in res.stderr.splitlines() if line.startswith("ERROR")]
            return False, (errors[0] if errors else res.stderr.strip()[-300:])
        chosen = json.loads(report.read_text(encoding="utf-8"))["install"]
    wanted = {r.split("[")[0].split("==")[0] for r in support.requirements(target)}
    files = [item["download_info"]["url"].rsplit("/", 1)[1] for item in chosen
             if item["metadata"]["name"].lower() in wanted]
    return True, ", ".join(sorted(files))


def main(pip: list[str] | None = None) -> int:
    problem = pip_problem(pip)
    if problem:
        print(f"[backdrop] {problem}", file=sys.stderr)
        return 1
    targets = [(row, t) for row in support.ROWS if row.supported for t in row.targets()]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda rt: resolve(rt[1], pip), targets))
    failed = []
    print("| row | OBS | Python | runtime | platform | result |")
    print("|---|---|---|---|---|---|")
    for (row, target), (ok, detail) in zip(targets, results, strict=True):
        runtime = support.requirements(target)[-1]
        print(f"| {row.label()} | {row.obs} | {target.python} | {runtime} | {platform_tags(target)[0]} | "
              f"{'ok: ' if ok else 'FAILS: '}{detail} |")
        if not ok:
            failed.append(f"{row.label()} OBS {row.obs} Python {target.python} ({runtime})")
    for row in support.ROWS:
        if not row.supported:
            print(f"| {row.label()} | {row.obs} | – | – | – | not supported: {row.why_not} |")
    if failed:
        print("[backdrop] these rows cannot install:\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    print(f"[backdrop] all {len(targets)} supported targets resolve on PyPI")
    return 0
