"""Tests that start a real OBS Studio (under Xvfb, through obs-websocket; tests/obs_harness.py), each marked `obs` and
each checking that OBS exited with code 0. `pytest tests/obs` or `pytest -m obs`."""
