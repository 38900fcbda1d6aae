"""Tests of what builds, installs and checks Backdrop rather than what it computes: the installer and its support
matrix, pinned wheels, the models rebuilt from MediaPipe's wheel, libobs's headers through compilers, the type check,
the Linux-assumptions scan, the Windows and macOS workflow and the smoke driver's per-system parts.
`pytest tests/toolchain`."""
