"""Backdrop's installer: runs on the system Python with the standard library only."""
