"""mypy over core/ and obs_script/ as OBS imports them (tests/run): inside a parent package, as
obs_script/backdrop_obs.py does with `_backdrop_app`, so obs_script's relative imports of core resolve;
then the mask-source contract (core/mask_source.py) and its rectangle type (core/geometry.py) with
--strict. Settings live in pyproject.toml ([tool.mypy]); extra arguments go to both runs. Exits non-zero
when either finds an error."""

import os
import sys
from pathlib import Path

from mypy import api

REPO = Path(__file__).resolve().parents[1]
PKG = "_backdrop_app"
PACKAGES = ("core", "obs_script")
STRICT = ("core.mask_source", "core.geometry")  # the contract and its rectangle type: every pipeline relies on them
ROOT = REPO / "build" / "typecheck"  # holds the parent package: a link to the repository (build/ is not tracked)


def main(argv: list[str]) -> int:
    link = ROOT / PKG
    if not link.is_symlink():
        ROOT.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO, target_is_directory=True)
    os.environ["MYPYPATH"] = str(ROOT)
    config = ["--config-file", str(REPO / "pyproject.toml")]
    worst = 0
    for args in ([a for name in PACKAGES for a in ("-p", f"{PKG}.{name}")],
                 ["--strict"] + [a for name in STRICT for a in ("-m", f"{PKG}.{name}")]):
        out, err, status = api.run(config + args + argv)
        # Name files as they are in the repository, not through the link.
        for prefix in (str(link) + os.sep, os.path.relpath(link) + os.sep):
            out, err = out.replace(prefix, ""), err.replace(prefix, "")
        sys.stdout.write(out)
        sys.stderr.write(err)
        worst = max(worst, status)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
