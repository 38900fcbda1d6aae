"""Which systems each test runs on: `@pytest.mark.only_on("linux", reason=...)` (or a module's `pytestmark`)
for a test that cannot run elsewhere; every other test runs on Linux, Windows and macOS alike. Elsewhere a
marked test is skipped with its reason. `--as-system windows` decides as if on that system, and
`--systems-report` prints, after collection, how many tests run on each system and why the others skip
(tools/linux_assumptions.py prints it for the workflow's selection).
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest

SYSTEMS = ("linux", "windows", "macos")


def this_system(platform: str = sys.platform) -> str:
    return {"win32": "windows", "darwin": "macos"}.get(platform, "linux")


def skip_reason(item: pytest.Item, system: str) -> str | None:
    """Why `item` does not run on `system`, or None when it does."""
    marker = item.get_closest_marker("only_on")
    if marker is None or system in marker.args:
        return None
    unknown = set(marker.args) - set(SYSTEMS)
    if unknown or "reason" not in marker.kwargs:
        raise pytest.UsageError(f"{item.nodeid}: only_on takes systems among {SYSTEMS} and a reason=")
    return f"runs on {' and '.join(marker.args)} only: {marker.kwargs['reason']}"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("backdrop systems")
    group.addoption("--as-system", choices=SYSTEMS, help="decide only_on markers as on this system")
    group.addoption("--systems-report", action="store_true", help="print how many tests run on each system")


class Plugin:
    """Registered by tests/conftest.py."""

    def __init__(self, config: pytest.Config) -> None:
        self.system = config.getoption("--as-system") or this_system()
        self.report = config.getoption("--systems-report")

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "only_on(*systems, reason): runs on these systems only "
                                "(linux, windows, macos); skipped elsewhere with the reason")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            reason = skip_reason(item, self.system)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))

    def pytest_report_collectionfinish(self, items: list[pytest.Item]) -> list[str]:
        if not self.report:
            return []
        lines = []
        for system in SYSTEMS:
            skips = Counter(r for r in (skip_reason(i, system) for i in items) if r)
            lines.append(f"[systems] {system}: {len(items) - sum(skips.values())} of {len(items)} run")
            lines += [f"[systems]   {n} skip: {reason}" for reason, n in sorted(skips.items())]
        return lines
