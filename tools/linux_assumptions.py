#!/usr/bin/env python3
"""What in the tests and the product would still assume Linux on the Windows and macOS runners, found here.

1. A static scan of tests/, tools/, installer/, core/, obs_script/ and models/ for /usr/bin interpreters, ELF
   headers, POSIX-only calls and a POSIX venv layout, each of which must sit in a test or function that
   says which systems it runs on (tests/systems.py's only_on marker, a skip, or a platform check), or
   carry a `# any system:` comment that says why it is portable.
2. The workflow's unit step exactly (.github/workflows/windows-macos.yml: its pytest marker selection),
   in an environment holding only what the workflow installs (the installer's packages for this machine,
   then the workflow's test tools), so a missing import shows; run with -X warn_default_encoding and
   EncodingWarning as an error, so every text read or write without an encoding shows.
3. How many of those tests run on each system, and why the others skip.

The environment is kept in build/workflow-venv and rebuilt when what it is built from changes.
Exit status 0 when nothing was found. tests/run runs this.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from installer import cli  # noqa: E402  (standard library only)
from installer.interpreter import probe_python  # noqa: E402

WORKFLOW = REPO / ".github" / "workflows" / "windows-macos.yml"
VENV = REPO / "build" / "workflow-venv"
SCANNED = ("tests", "tools", "installer", "core", "obs_script", "models")
# (what it assumes, pattern) per line of source.
PATTERNS = (
    ("a /usr/bin interpreter", re.compile(r"[\"']/usr/bin/python")),
    ("an ELF binary", re.compile(r"\\x7fELF|\bELF\b")),
    ("a POSIX-only call", re.compile(r"\bos\.(geteuid|getuid|fork|setsid|killpg|getpgid|sync)\(|signal\.(pthread_"
                                     r"sigmask|SIGKILL|SIGHUP|SIGUSR1)|^\s*import (fcntl|pwd|grp|resource|termios)"
                                     r"\b|[\"']/proc\b|Path\([\"']/proc|preexec_fn|LD_PRELOAD")),
    ("a symbolic link (Windows needs a privilege for one)", re.compile(r"\.symlink_to\(|\bos\.symlink\(")),
    ("a POSIX venv layout", re.compile(r"[\"']bin/python|[\"']bin[\"']\s*/\s*[\"']python")),
    ("a text read without an encoding", re.compile(r"\.read_text\(\)")),
)
# A scope that says which systems it runs on, or checks the platform itself. Real-OBS tests (mark.obs) run
# under tests/obs_harness.py, with Xvfb and Debian's OBS: Linux only.
GUARDS = re.compile(r"only_on\(|sys\.platform|os\.name\b|\bSYSTEM\b|platform ==|platform=|os_name\(|skipif\(|"
                    r"pytest\.skip\(|hasattr\((os|signal)|importorskip|mark\.obs\b")
# Files left out, and why.
EXEMPT = {
    "tests/obs_harness.py": "the real-OBS tests' harness (Xvfb, Debian's OBS, /proc)",
    "tools/measure": "figures measured in Debian's OBS under Xvfb",
    "tools/typecheck.py": "tests/run's type check, run on Linux only (no workflow runs it on Windows or macOS)",
}


def _scopes(tree: ast.Module) -> list[ast.AST]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _start(scope: ast.AST) -> int:
    return min([d.lineno for d in scope.decorator_list] + [scope.lineno])


def scan_file(path: Path) -> list[str]:
    """Lines of `path` that assume Linux with nothing saying where they run: not in a guarded scope (one that
    names its systems or checks the platform), nor in a private helper whose every caller in the file is."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    module_guard = any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in n.targets)
                       and GUARDS.search(ast.get_source_segment(text, n) or "") for n in tree.body)
    scopes = _scopes(tree)
    markers = [n.targets[0].id for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
               and "only_on(" in (ast.get_source_segment(text, n) or "")]  # e.g. SYMLINKS = pytest.mark.only_on(...)
    guards = re.compile("|".join([GUARDS.pattern, *(rf"@{re.escape(m)}\b" for m in markers)]))

    def enclosing(number: int) -> list[ast.AST]:
        return [s for s in scopes if _start(s) <= number <= s.end_lineno]

    def guarded(number: int, helper: bool = True) -> bool:
        around = enclosing(number)
        if module_guard or any(guards.search("\n".join(lines[_start(s) - 1:s.end_lineno])) for s in around):
            return True
        helpers = {s.name for s in around if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                   and s.name.startswith("_")}  # a private helper: its callers in this file say where it runs
        calls = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) in helpers]
        return helper and bool(calls) and all(guarded(line, helper=False) for line in calls)

    in_text = {n for c in ast.walk(tree) if isinstance(c, ast.Constant) and isinstance(c.value, str)
               and c.end_lineno > c.lineno for n in range(c.lineno, c.end_lineno + 1)}  # docstrings, probes
    found = []
    for number, line in enumerate(lines, 1):
        if "# any system:" in line or number in in_text:
            continue
        code = line.split("  #")[0]
        for what, pattern in PATTERNS:
            if pattern.search(code) and not guarded(number):
                found.append(f"{path.relative_to(REPO)}:{number}: {what}: {line.strip()}")
    return found


def static_scan() -> list[str]:
    files = [p for folder in SCANNED for p in sorted((REPO / folder).rglob("*.py"))
             if not any(str(p.relative_to(REPO)).startswith(e) for e in EXEMPT)]
    return [hit for path in files if path != Path(__file__).resolve() for hit in scan_file(path)]


# -- the workflow's unit step ----------------------------------------------------------------------------
def workflow_unit_step() -> tuple[list[str], str]:
    """(the test tools the workflow installs, the unit step's marker expression), the same in every job."""
    text = WORKFLOW.read_text(encoding="utf-8")
    tools = {tuple(re.findall(r'"([^"]+)"', line)) for line in text.splitlines()
             if "-m pip install -c" in line and "backdrop-constraints.txt" in line}
    selections = {m.group(1) for m in re.finditer(r'-m pytest -m "([^"]+)"', text)}
    if len(tools) != 1 or len(selections) != 1:
        raise SystemExit(f"[linux-assumptions] the jobs differ: test tools {tools}, unit selections {selections}")
    return list(tools.pop()), selections.pop()


def workflow_venv(tools: list[str]) -> Path:
    """build/workflow-venv as the workflow makes its .venv: the installer's packages for this machine
    (cli.make_venv and cli.install_packages, without the dev extra), then the workflow's test tools."""
    python = cli.obs_python(None)
    target = cli.resolve_target(None, python, probe_python(python))
    stamp = VENV / "workflow-tools.sha256"
    wanted = hashlib.sha256("\n".join([cli.deps_fingerprint(python, target), *tools]).encode()).hexdigest()
    vpy = cli.make_venv(python, VENV, target)
    if stamp.exists() and stamp.read_text(encoding="utf-8").strip() == wanted:
        return vpy
    cli.install_packages(vpy, target, dev=False)
    cli.pip(vpy, tools, "install the workflow's test tools")
    stamp.write_text(wanted + "\n", encoding="utf-8")
    return vpy


# EncodingWarning is an error where Backdrop's own code (tests included) reads or writes a file's text without an
# encoding; elsewhere (OpenCV's loader reads its configuration so) it stays a warning, as do the warnings of
# subprocess's text mode ("... specified."), which decodes a child's output in the locale's encoding, the one a child
# Python writes a pipe in. Module names as OBS's script imports them too; EXEMPT's files are left out here as well.
OURS = r"(tests(?!\.obs_harness)|installer|core|obs_script|models|_backdrop_tests|backdrop_obs)"


def run_unit_step(vpy: Path, selection: str, extra: list[str]) -> int:
    cmd = [str(vpy), "-X", "warn_default_encoding", "-m", "pytest", "-m", selection, "-q", "-p", "no:cacheprovider",
           "-o", f"filterwarnings=error:'encoding' argument not specified$:EncodingWarning:{OURS}", "--systems-report",
           *extra]
    print(f"[linux-assumptions] {shlex.join(cmd)}", flush=True)
    return subprocess.run(cmd, cwd=REPO).returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--static-only", action="store_true", help="only the static scan")
    ap.add_argument("pytest_args", nargs="*", help="more pytest arguments (e.g. a test file)")
    args = ap.parse_args(argv)
    hits = static_scan()
    for hit in hits:
        print(f"[linux-assumptions] {hit}")
    print(f"[linux-assumptions] static scan: {len(hits)} line(s) assume Linux without saying where they run")
    if args.static_only:
        return 1 if hits else 0
    tools, selection = workflow_unit_step()
    rc = run_unit_step(workflow_venv(tools), selection, args.pytest_args)
    return 1 if hits or rc else 0


if __name__ == "__main__":
    sys.exit(main())
