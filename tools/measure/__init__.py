"""Scripts that measure and print figures (benchmarks in OBS, the soak, the quality table); not
tests: machines here are shared and noisy, so speed is reported, never asserted."""
