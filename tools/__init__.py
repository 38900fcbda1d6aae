"""Developer scripts, not tests: the type check and the Linux-assumptions scan tests/run runs (typecheck.py,
linux_assumptions.py), the measurements behind docs/measurements.md (measure/) and the MediaPipe references
the fidelity tests compare against (reference/)."""
