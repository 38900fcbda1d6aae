"""Every libobs function Backdrop declares through ctypes, against its prototype in libobs's headers, on
the three ABIs OBS ships for: x86_64 Linux, x86_64 Windows (mingw-w64) and arm64 macOS, and for every OBS
the suite runs: the host's libobs-dev (29.0.2 on Debian 12) and those tests/newer_obs.sh unpacks from
Debian 13's and unstable's libobs-dev (30.2.3, 32.2.x) without installing them.

clang parses libobs-dev's headers for each target (`-ast-dump=json`); macOS has no SDK here, so a
few stub system headers stand in (the libobs prototypes do not depend on them). Each argument and
the return value must agree in kind (pointer, integer, float, bool) and width on that target, and
the arity must be the fixed arguments (variadic ones are never passed). The callbacks in
`obs_source_info` are compared the same way.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

HOST_HEADERS = Path("/usr/include/obs")
LEG_HEADERS = Path(os.environ.get("BACKDROP_CHROOTS", "/var/cache/backdrop-chroots")) / "headers"


def obs_version_of(headers: Path) -> str:
    """LIBOBS_API_{MAJOR,MINOR,PATCH}_VER from obs-config.h: the OBS these headers belong to."""
    text = (headers / "obs-config.h").read_text(encoding="utf-8")
    return ".".join(re.search(rf"#define LIBOBS_API_{part}_VER\s+(\d+)", text).group(1)  # type: ignore[union-attr]
                    for part in ("MAJOR", "MINOR", "PATCH"))


def header_sets() -> dict[str, Path]:
    """OBS version -> its libobs include folder, for every set of headers on this machine."""
    folders = [HOST_HEADERS, *sorted(LEG_HEADERS.glob("*/usr/include/obs"))]
    return {obs_version_of(f): f for f in folders if (f / "obs.h").exists()}


HEADER_SETS = header_sets()
pytestmark = [
    pytest.mark.libobs_headers,
    pytest.mark.only_on("linux", reason="clang over Debian's libobs-dev headers (mingw-w64 and stub headers stand "
                        "in for Windows and macOS)"),
    pytest.mark.skipif(not HEADER_SETS or not shutil.which("clang"),
                       reason="needs libobs-dev and clang (tests/run installs them)"),
]

MINGW = Path("/usr/x86_64-w64-mingw32/include")
# target: bits of `long` (LP64 on Linux and macOS, LLP64 on Windows)
TARGETS = {"x86_64-linux-gnu": 64, "x86_64-w64-mingw32": 32, "arm64-apple-macos11": 64}
MAC_STUBS = {  # just enough of a C library for libobs's headers to parse
    "sys/types.h": "#include <stddef.h>\ntypedef long ssize_t; typedef long off_t; typedef int pid_t;\n",
    "wchar.h": "#include <stddef.h>\nsize_t wcslen(const wchar_t *);\n",  # clang 19 refuses it undeclared
    "assert.h": "#define assert(x) ((void)0)\n",
    "string.h": "#include <stddef.h>\nvoid *memcpy(void *, const void *, size_t);\n"
                "void *memset(void *, int, size_t);\nsize_t strlen(const char *);\n"
                "int memcmp(const void *, const void *, size_t);\n"
                "void *memmove(void *, const void *, size_t);\n",  # clang 19 refuses it undeclared
    "stdlib.h": "#include <stddef.h>\nvoid *malloc(size_t); void free(void *); void abort(void);\n"
                "void *realloc(void *, size_t); void *calloc(size_t, size_t);\n",
    "math.h": "double sqrt(double); float sqrtf(float); double fabs(double); float fabsf(float);\n"
              "double sin(double); double cos(double); float sinf(float); float cosf(float);\n"
              "double floor(double); double ceil(double); double round(double); float roundf(float);\n"
              "float floorf(float); float ceilf(float); double fmod(double, double); double pow(double, double);\n"
              "float powf(float, float); double exp(double); double log(double); float acosf(float);\n"
              "float atan2f(float, float); float tanf(float); float fminf(float, float); float fmaxf(float, float);\n"
              "#define INFINITY __builtin_inff()\n#define NAN __builtin_nanf(\"\")\n"
              "#define M_PI 3.14159265358979323846\n",
    "objc/objc-runtime.h": "typedef struct objc_object *id;\n",
    "simd/base.h": "",  # the macOS SDK's; libobs/util/sse-intrin.h includes it under __APPLE__ at 32.2.2
}
SOURCE = "#include <obs.h>\n#include <obs-module.h>\n#include <graphics/graphics.h>\n#include <util/bmem.h>\n"
FIXED = {"char": 8, "signed char": 8, "unsigned char": 8, "short": 16, "unsigned short": 16, "int": 32,
         "unsigned int": 32, "long long": 64, "unsigned long long": 64, "int8_t": 8, "uint8_t": 8,
         "int16_t": 16, "uint16_t": 16, "int32_t": 32, "uint32_t": 32, "int64_t": 64, "uint64_t": 64}


def _libobs():
    sys.path.insert(0, str(REPO))
    from obs_script import libobs

    return libobs


def c_kind(type_text: str, long_bits: int) -> tuple[str, int]:
    """(kind, bits) of a C type spelled as clang prints it, on a 64-bit target."""
    t = re.sub(r"\b(const|volatile|restrict)\b", "", type_text).strip()
    if "*" in t or "(" in t or "[" in t:
        return ("pointer", 64)
    t = " ".join(t.split())
    if t == "void":
        return ("void", 0)
    if t in ("_Bool", "bool"):
        return ("bool", 8)
    if t.startswith("enum "):
        return ("int", 32)
    if t in ("float", "double"):
        return ("float", 32 if t == "float" else 64)
    if t in ("long", "unsigned long", "long int", "unsigned long int"):
        return ("int", long_bits)
    if t in ("size_t", "uintptr_t", "intptr_t", "ssize_t"):
        return ("int", 64)
    if t in FIXED:
        return ("int", FIXED[t])
    return ("unknown: " + t, 0)


def ctypes_kind(t) -> tuple[str, int]:
    if t is None:
        return ("void", 0)
    if t in (ctypes.c_size_t, ctypes.c_int64, ctypes.c_uint64):  # 64 bits on every 64-bit ABI
        return ("int", 64)  # (on Linux these are the very objects c_long/c_ulong: those cannot be told apart here)
    if t in (ctypes.c_void_p, ctypes.c_char_p) or isinstance(t, type) and \
            issubclass(t, (ctypes._Pointer, ctypes._CFuncPtr)):  # type: ignore[attr-defined]
        return ("pointer", 64)
    if t is ctypes.c_bool:
        return ("bool", 8)
    if t in (ctypes.c_float, ctypes.c_double):
        return ("float", 8 * ctypes.sizeof(t))
    return ("int", 8 * ctypes.sizeof(t))


def _split_params(params: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in params:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return [p for p in [*out, cur.strip()] if p and p != "void"]


def _function_type(text: str) -> tuple[str, list[str]]:
    """'ret (a, b, ...)' or 'ret (*)(a, b)' -> (ret, [a, b, ...])."""
    text = text.replace("(*)", "", 1)
    depth = 0
    for i in range(len(text) - 1, -1, -1):  # the parameter list is the last top-level parenthesis
        depth += text[i] == ")"
        depth -= text[i] == "("
        if depth == 0:
            return text[:i].strip(), _split_params(text[i + 1:-1])
    raise ValueError(text)


def _stubs(root: Path) -> Path:
    for name, text in MAC_STUBS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "simde").symlink_to("/usr/include/simde")  # SIMDe is portable C (libobs-dev depends on it)
    return root


def _ast(target: str, headers: Path, tmp: Path) -> dict[str, dict]:
    """Top-level declarations clang sees for `target`: functions by name, plus struct obs_source_info."""
    src = tmp / "libobs.c"
    src.write_text(SOURCE, encoding="utf-8")
    flags = ["-I", str(headers)]
    if target.endswith("macos11"):
        flags = ["-nostdlibinc", "-isystem", str(_stubs(tmp / "macstubs")), *flags]
    elif target.endswith("mingw32"):
        flags = ["-nostdlibinc", "-isystem", str(MINGW), "-idirafter", "/usr/include", *flags]
    res = subprocess.run(["clang", f"--target={target}", "-fsyntax-only", "-Xclang", "-ast-dump=json", *flags,
                          str(src)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    tu = json.loads(res.stdout)
    decls = {}
    for d in tu.get("inner", []):
        if d.get("kind") == "FunctionDecl" and "name" in d:
            decls[d["name"]] = d
        if d.get("kind") == "RecordDecl" and d.get("name") == "obs_source_info" and d.get("completeDefinition"):
            decls["struct obs_source_info"] = d
    return decls


@pytest.fixture(scope="module", params=[(obs, target) for obs in sorted(HEADER_SETS) for target in TARGETS],
                ids=lambda p: f"obs{p[0]}-{p[1]}")
def target_decls(request, tmp_path_factory):
    obs, target = request.param
    if target.endswith("mingw32") and not MINGW.exists():
        pytest.skip("needs mingw-w64-x86-64-dev (tests/run installs it)")
    return target, _ast(target, HEADER_SETS[obs], tmp_path_factory.mktemp(f"{obs}-{target}"))


@pytest.mark.skipif(os.environ.get("CI") != "true" or not os.environ.get("BACKDROP_LEGS", "trixie sid")
                    or bool(os.environ.get("BACKDROP_LEG")),
                    reason="the OBS 30.2 and 32.2 headers come with the newer-OBS legs (tests/run, as root, in CI)")
def test_the_headers_of_every_obs_the_suite_runs_are_compared():
    assert len(HEADER_SETS) == 3, f"libobs headers found: {HEADER_SETS}"
    assert {v.split(".")[0] for v in HEADER_SETS} == {"29", "30", "32"}, HEADER_SETS


def test_every_declared_function_matches_its_prototype(target_decls):
    target, decls = target_decls
    long_bits = TARGETS[target]
    problems = []
    libobs = _libobs()
    for name, (restype, argtypes) in {**libobs._SIGNATURES, **libobs.OPTIONAL_SIGNATURES}.items():
        decl = decls.get(name)
        if decl is None and name in libobs.OPTIONAL_SIGNATURES:
            continue  # not in this OBS: the code checks for it before calling (e.g. UUIDs before 30.0)
        if decl is None:
            problems.append(f"{name}: not in libobs's headers")
            continue
        ret, all_params = _function_type(decl["type"].get("desugaredQualType", decl["type"]["qualType"]))
        variadic = all_params[-1:] == ["..."]
        params = [p["type"].get("desugaredQualType", p["type"]["qualType"])  # typedefs resolved per parameter
                  for p in decl.get("inner", []) if p.get("kind") == "ParmVarDecl"]
        if len(argtypes) != len(params):
            problems.append(f"{name}: {len(argtypes)} arguments declared, the prototype has {len(params)} fixed"
                            f"{' (and is variadic)' if variadic else ''}")
            continue
        if ctypes_kind(restype) != c_kind(ret, long_bits):
            problems.append(f"{name}: returns {ret} {c_kind(ret, long_bits)}, declared {ctypes_kind(restype)}")
        for i, (arg, param) in enumerate(zip(argtypes, params, strict=True)):
            if ctypes_kind(arg) != c_kind(param, long_bits):
                problems.append(f"{name}: argument {i + 1} is {param} {c_kind(param, long_bits)}, "
                                f"declared {ctypes_kind(arg)}")
    assert problems == [], f"{target}:\n" + "\n".join(problems)


def test_obs_source_info_callbacks_match_the_header(target_decls):
    target, decls = target_decls
    libobs = _libobs()
    fields = {f["name"]: f["type"].get("desugaredQualType", f["type"]["qualType"])
              for f in decls["struct obs_source_info"]["inner"] if f.get("kind") == "FieldDecl"}
    problems = []
    for name, ctype in libobs.obs_source_info._fields_:
        c_type = fields[name]
        if not (isinstance(ctype, type) and issubclass(ctype, ctypes._CFuncPtr)):  # type: ignore[attr-defined]
            if ctypes_kind(ctype) != c_kind(c_type, TARGETS[target]):
                problems.append(f"{name}: {c_type} vs {ctype.__name__}")
            continue
        ret, params = _function_type(c_type)
        mine = [ctypes_kind(a) for a in ctype._argtypes_]
        theirs = [c_kind(p, TARGETS[target]) for p in params]
        if mine != theirs or ctypes_kind(ctype._restype_) != c_kind(ret, TARGETS[target]):
            problems.append(f"{name}: {c_type} vs {ctypes_kind(ctype._restype_)} {mine}")
    assert problems == [], f"{target}:\n" + "\n".join(problems)


def test_every_libobs_function_the_code_calls_is_declared():
    def calls(paths) -> set[str]:
        return {name for path in paths for name in re.findall(r"\blib\.(\w+)\s*\(", path.read_text(encoding="utf-8"))}

    product = calls((REPO / "obs_script").glob("*.py"))
    declared = set(_libobs()._SIGNATURES) | set(_libobs().OPTIONAL_SIGNATURES)
    assert product - declared == set()  # a call without a declaration would pass every argument as int
    assert declared - product - calls((REPO / "tests").rglob("test_*.py")) == set()  # nothing declared unused


def test_the_checker_catches_wrong_declarations():
    """The comparison itself can fail: widths, kinds and Windows' 32-bit long."""
    assert c_kind("uint32_t", 64) != ctypes_kind(ctypes.c_int64)
    assert c_kind("gs_texture_t *", 64) != ctypes_kind(ctypes.c_int)
    assert c_kind("unsigned long", 32) != c_kind("unsigned long", 64)
    assert c_kind("long long", 32) == ctypes_kind(ctypes.c_int64) != ctypes_kind(ctypes.c_int32)
    assert _function_type("void (int, const char *, ...)") == ("void", ["int", "const char *", "..."])
    assert _function_type("const char *(*)(void *)") == ("const char *", ["void *"])
