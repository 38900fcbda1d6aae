"""Backdrop's installer: runs on the system Python with the standard library only."""

from core import INSTALL_COMMAND  # core/__init__.py imports nothing outside the standard library

__all__ = ["INSTALL_COMMAND"]
