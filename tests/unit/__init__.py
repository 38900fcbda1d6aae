"""Tests that need neither OBS nor a toolchain: core's pipelines, the CLI, the filter's logic in this process (a few
load Debian's libobs through ctypes, on Linux only). Seconds to a few minutes; `pytest tests/unit`."""
