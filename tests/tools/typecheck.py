"""mypy over core/ and obs_script/ as OBS imports them (tests/run): inside a parent package, as
obs_script/backdrop_obs.py does with `_backdrop_app`, so obs_script's relative imports of core resolve.
Settings live in pyproject.toml ([tool.mypy]); extra arguments go to mypy. Exits with mypy's status."""

import os
import sys
from pathlib import Path

from mypy import api

REPO = Path(__file__).resolve().parents[2]
PKG = "_backdrop_app"
PACKAGES = ("core", "obs_script")
ROOT = REPO / "build" / "typecheck"  # holds the parent package: a link to the repository (build/ is not tracked)


def main(argv: list[str]) -> int:
    link = ROOT / PKG
    if not link.is_symlink():
        ROOT.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO, target_is_directory=True)
    os.environ["MYPYPATH"] = str(ROOT)
    args = ["--config-file", str(REPO / "pyproject.toml")]
    for name in PACKAGES:
        args += ["-p", f"{PKG}.{name}"]
    out, err, status = api.run(args + argv)
    # Name files as they are in the repository, not through the link.
    for prefix in (str(link) + os.sep, os.path.relpath(link) + os.sep):
        out, err = out.replace(prefix, ""), err.replace(prefix, "")
    sys.stdout.write(out)
    sys.stderr.write(err)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
