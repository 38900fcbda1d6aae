"""The command line's tools (`backdrop process/eval/bench`), never imported inside OBS: media files,
the CPU compositing reference, quality metrics and benchmarks. What runs in OBS is in `core/` itself
(tests/unit/test_architecture.py keeps it that way)."""
