"""Backdrop's installer: runs on the system Python with the standard library only."""

import sys

INSTALL_COMMAND = f"{'python' if sys.platform == 'win32' else 'python3'} -m installer"  # what users type here
