"""Where Backdrop installs: the support matrix and, for each install target, its requirements.

The single source for both the installer and `python3 -m installer wheels` (which resolves every
supported row on PyPI). Standard library only. Each fact names where it comes from; re-check it
there when OBS or a package moves (../shared/PLATFORMS.md has the method).
"""

from __future__ import annotations

from dataclasses import dataclass

Version = tuple[int, int, int]

# Highest Python minor OBS loads on Windows and macOS, from the first release that loads it:
# PY_MINOR_VERSION_MAX in deps/obs-scripting/obs-scripting-python-import.c (tags 29.0.0: 10,
# 29.1.0: 11, 30.1.0: 12), moved to shared/obs-scripting/ at 31.0.0 and still 12 at 32.2.2.
# Linux builds link the distribution's libpython instead.
OBS_PYTHON_MAX: tuple[tuple[Version, int], ...] = (((29, 0, 0), 10), ((29, 1, 0), 11), ((30, 1, 0), 12))
LAST_CHECKED_OBS: Version = (32, 2, 2)
# macOS, same file, FILE_PATTERN: up to 31.0.1 "Python.framework/Versions/Current/lib/libpython%s.dylib";
# from 31.0.2 "Python.framework/Versions/%s/lib/libpython%s.dylib", the highest minor that exists.
MACOS_PICKS_HIGHEST_FROM: Version = (31, 0, 2)
# Oldest macOS each OBS release runs on: CMAKE_OSX_DEPLOYMENT_TARGET in OBS's CMakePresets.json (11.0 from
# 29.1.0 to 31.0.4, 12.0 from 31.1.0), except that 32.2.0 moved to Qt 6.11 (deps 2026-07-15, obs-studio
# 507de81), which needs macOS 13, while the target still said 12.0 in 32.2.0 and 32.2.1; 32.2.2 says 13.0
# (55c3c07d5: "OBS Studio will fail to launch on macOS 12"). Each step: the first release that needs it,
# that macOS, and the last release series before it as the matrix names it.
MACOS_RAISED: tuple[tuple[Version, tuple[int, int], str], ...] = (((31, 1, 0), (12, 0), "31.0"),
                                                                  ((32, 2, 0), (13, 0), "32.1"))
# Backdrop's Pythons (pyproject.toml requires-python): numpy 2.4 needs 3.11; numpy 2.4.6, onnxruntime 1.32.0
# and onnxruntime-gpu have cp313 and cp314 wheels, opencv-python-headless 5.0.0.93 is abi3 (PyPI's file lists,
# `installer wheels`). Windows and macOS OBS load 3.12 at most (OBS_PYTHON_MAX); a Linux distribution's OBS
# links the distribution's Python whatever its minor version: Debian 12's OBS 29.0.2 3.11, Debian 13's 30.2.3
# 3.13, unstable's 32.2.2 3.14 (the obs-studio packages' dependencies on libpython3.X).
BACKDROP_PYTHONS = ("3.11", "3.12", "3.13", "3.14")

# Exact versions, tested together (tests/toolchain/test_pinned_sets.py runs the core tests with each set).
# Wheels per platform, checked with `python3 -m installer wheels`: onnxruntime 1.32.0 has macOS wheels
# for arm64 macOS 14+ only; opencv-python-headless 5.0.0.93 none for macOS 11-12; on macOS 11 x86_64
# only opencv 4.9.0.80, which is built against numpy 1.x, so numpy 1.26.4 there.
PIN_SETS: dict[str, dict[str, str]] = {
    "current": {"numpy": "2.4.6", "opencv-python-headless": "5.0.0.93", "onnxruntime": "1.32.0"},
    "macos-before-14": {"numpy": "2.4.6", "opencv-python-headless": "4.10.0.84", "onnxruntime": "1.19.2"},
    "macos-11-intel": {"numpy": "1.26.4", "opencv-python-headless": "4.9.0.80", "onnxruntime": "1.19.2"},
}
# The GPU builds of ONNX Runtime (same `onnxruntime/` package folder as the CPU one).
GPU_RUNTIMES: dict[str, tuple[str, str, str]] = {  # gpu: (distribution, version, extras)
    "directml": ("onnxruntime-directml", "1.24.4", ""),
    "cuda": ("onnxruntime-gpu", "1.31.1", "[cuda,cudnn]"),
}
RUNTIME_DISTRIBUTIONS = ("onnxruntime", "onnxruntime-directml", "onnxruntime-gpu")
# glibc of the oldest Linux the Linux rows cover (Ubuntu 22.04: 2.35; Debian 12: 2.36).
LINUX_GLIBC = (2, 35)


@dataclass(frozen=True)
class Target:
    """One environment to install: OBS's platform and architecture, the Python, the Mac's version, the GPU."""

    os: str  # "windows", "macos", "linux"
    arch: str  # OBS's architecture: "x86_64" or "arm64"
    python: str  # "3.12"
    macos: tuple[int, int] | None = None  # the Mac's version (the oldest the row covers, for `wheels`)
    gpu: str | None = None  # "directml", "cuda" or None (CPU; CoreML is in the plain macOS build)


def pin_set(target: Target) -> str:
    if target.os == "macos":
        mac = target.macos or (11, 0)
        if target.arch == "x86_64" and mac < (12, 0):
            return "macos-11-intel"
        if target.arch == "x86_64" or mac < (14, 0):
            return "macos-before-14"
    return "current"


def runtime_distribution(target: Target) -> str:
    return GPU_RUNTIMES[target.gpu][0] if target.gpu else "onnxruntime"


def gpu_of(distribution: str) -> str | None:
    """The GPU a runtime distribution is built for (None: the plain CPU/CoreML build)."""
    return next((gpu for gpu, (dist, _, _) in GPU_RUNTIMES.items() if dist == distribution), None)


def pinned(target: Target) -> list[str]:
    """`requirements` without extras: what pip constraints and installed versions are compared with."""
    return [r.split("==")[0].split("[")[0] + "==" + r.split("==")[1] for r in requirements(target)]


def requirements(target: Target) -> list[str]:
    """What the environment for `target` must hold, exactly (the installer and `wheels` both use this)."""
    pins = PIN_SETS[pin_set(target)]
    if target.gpu:
        dist, version, extras = GPU_RUNTIMES[target.gpu]
        runtime = f"{dist}{extras}=={version}"
    else:
        runtime = f"onnxruntime=={pins['onnxruntime']}"
    return [f"numpy=={pins['numpy']}", f"opencv-python-headless=={pins['opencv-python-headless']}", runtime]


def obs_python_max(obs: Version) -> int:
    """The highest Python 3 minor a Windows/macOS OBS of this version loads."""
    best = OBS_PYTHON_MAX[0][1]
    for first, minor in OBS_PYTHON_MAX:
        if obs >= first:
            best = minor
    return best


def obs_pythons(obs: Version) -> tuple[str, ...]:
    """Backdrop's Pythons that this Windows/macOS OBS can load."""
    top = obs_python_max(obs)
    return tuple(p for p in BACKDROP_PYTHONS if int(p.split(".")[1]) <= top)


@dataclass(frozen=True)
class Row:
    """One line of the support matrix."""

    os: str
    arch: str
    obs: str  # the OBS versions, as users read them
    obs_first: Version
    pythons: tuple[str, ...]  # what OBS loads here, among Backdrop's
    macos: tuple[int, int] | None = None  # the oldest Mac this row covers (wheels are resolved for it)
    macos_label: str = ""
    gpus: tuple[str | None, ...] = (None,)
    why_not: str = ""  # set when the row is not supported
    verified: str = ""

    @property
    def supported(self) -> bool:
        return not self.why_not

    def targets(self) -> list[Target]:
        return [Target(self.os, self.arch, py, self.macos, gpu) for py in self.pythons for gpu in self.gpus]

    def label(self) -> str:
        system = {"windows": "Windows 10/11", "macos": f"macOS {self.macos_label}".strip(),
                  "linux": "Linux"}[self.os]
        return f"{system}, OBS {self.arch}"


OBS_29_0_PYTHON = "OBS 29.0.x loads Python 3.10 at most (PY_MINOR_VERSION_MAX 10); update OBS to 29.1 or newer"
RESOLVED = "resolved on PyPI (`installer wheels`)"
PINS_RUN = "core tests run with these pins on Linux"
# The OBS builds the suite runs for real (tests/run: the host's, then tests/newer_obs.sh's chroots).
IN_OBS = ("run in real OBS 29.0.2 (Debian 12, Python 3.11), 30.2.3 (Debian 13, Python 3.13) and 32.2.2 "
          "(Debian unstable, Python 3.14)")


def obs_range(first: Version, last: Version, mac: tuple[int, int] | None = None) -> str:
    """OBS releases as the matrix names them ("30.1–32.2"), up to the last one that runs on `mac`."""
    for raised, needs, before in MACOS_RAISED:
        if mac is not None and mac < needs and last >= raised:
            return f"{first[0]}.{first[1]}–{before}"
    return f"{first[0]}.{first[1]}–{last[0]}.{last[1]}"


def _rows() -> tuple[Row, ...]:
    rows: list[Row] = []
    ranges = (((29, 1, 0), (30, 0, 0)), ((30, 1, 0), LAST_CHECKED_OBS))  # (first release, last series) per Python
    rows.append(Row("windows", "x64", "29.0.x", (29, 0, 0), (), why_not=OBS_29_0_PYTHON))
    for first, last in ranges:
        rows.append(Row("windows", "x64", obs_range(first, last), first, obs_pythons(first), gpus=("directml",),
                        verified=f"{RESOLVED}; {PINS_RUN} (with the CPU build: DirectML cannot run here)"))
    rows.append(Row("windows", "ARM64", "any", (29, 0, 0), (), why_not="no onnxruntime-directml and no "
                    "opencv-python-headless 5.0.0.93 wheels for win_arm64"))
    # One row per Mac that changes the pins (onnxruntime 1.32: arm64 macOS 14+; OpenCV 4.10: macOS 12+
    # on Intel) or the newest OBS it runs (MACOS_RAISED).
    macs = (("arm64", (14, 0), "14+"), ("arm64", (13, 0), "13"), ("arm64", (12, 0), "12"), ("arm64", (11, 0), "11"),
            ("x86_64", (13, 0), "13+"), ("x86_64", (12, 0), "12"), ("x86_64", (11, 0), "11"))
    rows.append(Row("macos", "arm64 or x86_64", "29.0.x", (29, 0, 0), (), why_not=OBS_29_0_PYTHON))
    for arch, mac, mac_label in macs:
        for first, last in ranges:
            rows.append(Row("macos", arch, obs_range(first, last, mac), first, obs_pythons(first), mac, mac_label,
                            verified=f"{RESOLVED}; {PINS_RUN} (CoreML cannot run here)"))
    rows.append(Row("linux", "x86_64", "29.0+ (distribution package)", (29, 0, 0), BACKDROP_PYTHONS,
                    gpus=(None, "cuda"), verified=f"{RESOLVED}; {PINS_RUN}; {IN_OBS}"))
    rows.append(Row("linux", "x86_64", "Flatpak", (29, 0, 0), (), why_not="OBS's Flatpak loads the Python of its "
                    "runtime (build-aux/com.obsproject.Studio.json: org.kde.Platform, org.freedesktop.Platform "
                    "from 32.2), whose /usr replaces the system's inside the sandbox; use the distribution's OBS"))
    return tuple(rows)


ROWS = _rows()


def python_note(row: Row) -> str:
    if row.os == "linux" and row.supported:
        return f"the distribution's python3 ({BACKDROP_PYTHONS[0]} to {BACKDROP_PYTHONS[-1]})"
    return ", ".join(row.pythons) or "–"


def runtime_note(row: Row) -> str:
    if not row.supported:
        return "–"
    notes = []
    for gpu in row.gpus:
        runtime = pinned(Target(row.os, row.arch, row.pythons[0], row.macos, gpu))[-1].replace("==", " ")
        notes.append(runtime + (" with an NVIDIA driver" if gpu == "cuda" else ""))
    pins = ", ".join(r.replace("==", " ") for r in requirements(row.targets()[0])[:2])
    return f"{'; '.join(notes)}; {pins}"


def matrix_markdown() -> str:
    """README's "Supported" table (a test keeps README equal to this)."""
    lines = ["| system, OBS build | OBS | Python OBS loads | packages installed | status |",
             "|---|---|---|---|---|"]
    for row in ROWS:
        status = f"supported: {row.verified}" if row.supported else f"not supported: {row.why_not}"
        lines.append(f"| {row.label()} | {row.obs} | {python_note(row)} | {runtime_note(row)} | {status} |")
    return "\n".join(lines) + "\n"


def normalise_arch(os_name: str, machine: str) -> str:
    """platform.machine() or a binary's architecture, in the matrix's words (Windows: x64/ARM64)."""
    m = machine.lower()
    if m in ("amd64", "x86_64", "x64"):
        return "x64" if os_name == "windows" else "x86_64"
    if m in ("arm64", "aarch64"):
        return "ARM64" if os_name == "windows" else "arm64"
    return machine


def row_for(os_name: str, arch: str, obs: Version | None, macos: tuple[int, int] | None = None,
            flatpak: bool = False) -> Row:
    """The matrix row a machine falls in (OBS's architecture; `obs` None when OBS has not run yet)."""
    arch = normalise_arch(os_name, arch)
    obs = obs or LAST_CHECKED_OBS
    candidates = [r for r in ROWS if r.os == os_name and arch in r.arch.split(" or ") and r.obs_first <= obs]
    if os_name == "linux":
        candidates = [r for r in candidates if (r.obs == "Flatpak") == flatpak]
    if os_name == "macos":
        mac = macos or (11, 0)
        candidates = [r for r in candidates if r.macos is None or r.macos <= mac]
        candidates.sort(key=lambda r: (r.macos or (0, 0), r.obs_first))
    else:
        candidates.sort(key=lambda r: r.obs_first)
    if not candidates:
        raise LookupError(f"Backdrop does not support OBS {'.'.join(map(str, obs))} for {os_name} {arch}")
    return candidates[-1]
