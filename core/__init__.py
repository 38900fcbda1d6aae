"""Backdrop's OBS-free engine: models, sessions, pre/post-processing and the command line.

Every import inside this package is relative, so OBS can load it under a private name even when
another script has already imported a module called `core`.
"""

__version__ = "0.1.0"
