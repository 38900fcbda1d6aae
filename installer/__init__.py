"""Backdrop's installer: runs on the system Python with the standard library only. Two modules are the exception,
run with the Python of Backdrop's environment after installing: smoke_obs.py (`python -m installer.smoke_obs`, the
check that Backdrop works in a real OBS) and fresh_obs.py, the OBS it drives."""

from core import INSTALL_COMMAND  # core/__init__.py imports nothing outside the standard library

__all__ = ["INSTALL_COMMAND"]
