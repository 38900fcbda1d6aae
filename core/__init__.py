"""Backdrop's OBS-free engine: models, sessions, pre/post-processing and the command line.

Every import inside this package is relative, so OBS can load it under a private name even when
another script has already imported a module called `core`.
"""

import sys

__version__ = "0.1.0"
# What users type to (re)install; Windows has no `python3` command.
INSTALL_COMMAND = f"{'python' if sys.platform == 'win32' else 'python3'} -m installer"
