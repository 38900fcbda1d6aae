"""Backdrop's OBS glue. The only package that knows OBS exists; loaded by backdrop_obs.py."""
