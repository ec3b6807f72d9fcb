"""The wheel tags a target interpreter accepts, computed in pinst's process from its raw facts.

The probe (``venv/_interpreter_probe.py``) runs only the standard library in the target, so that any
Python answers it; ``packaging.tags.sys_tags()`` would have to run there, and today's packaging
does not import on an older Python than pinst's own. So this module gives the list
``sys_tags()`` would give in the target, in the same order: packaging's parameterised functions
(``cpython_tags``, ``generic_tags``, ``compatible_tags``, ``mac_platforms``) do the assembling,
and the parts they would read from the running process (the ABIs, the Linux platforms with
their glibc and musl versions) are derived here from the target's facts, as packaging derives
them. Only a new interpreter costs this: the tags are cached with its facts (``venv/facts.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from packaging.tags import (
    INTERPRETER_SHORT_NAMES,
    compatible_tags,
    cpython_tags,
    generic_tags,
    mac_platforms,
)

ELF_32_BIT, ELF_LITTLE_ENDIAN = 1, 1
ELF_I386, ELF_ARM = 3, 40
EF_ARM_ABIMASK, EF_ARM_ABI_VER5, EF_ARM_ABI_FLOAT_HARD = 0xFF000000, 0x05000000, 0x00000400
MANYLINUX_ARCHS = {"x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64"}
# The manylinux tags that came before PEP 600, by the glibc version each stands for.
LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
LAST_GLIBC_MINOR = 50  # of a glibc major version before the current one, as packaging assumes


def supported_tags(facts: Mapping[str, Any]) -> list[str]:
    """Every tag the target accepts, most preferred first, as ``str(Tag)`` gives them.

    Raises ValueError, KeyError or TypeError if the facts are not what the probe reports."""
    version = _version(facts)
    name = str(facts["implementation"])
    short = INTERPRETER_SHORT_NAMES.get(name) or name
    platforms = list(_platforms(facts))
    if short == "cp":
        tags = list(cpython_tags(version, _cpython_abis(facts, version), platforms))
        fallback: str | None = f"cp{_interpreter_version(facts, version)}"
    else:
        interpreter = f"{short}{_interpreter_version(facts, version)}"
        tags = list(generic_tags(interpreter, _generic_abis(facts, version), platforms))
        fallback = "pp3" if short == "pp" else None
    tags += compatible_tags(version, fallback, platforms)
    return [str(tag) for tag in tags]


def _version(facts: Mapping[str, Any]) -> tuple[int, int]:
    major, minor = facts["version_info"][:2]
    return (_integer(major), _integer(minor))


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


def _config(facts: Mapping[str, Any], name: str) -> Any:
    variables = facts["config_vars"]
    if not isinstance(variables, dict):
        raise TypeError("config_vars is not a mapping")
    return variables.get(name)


def _interpreter_version(facts: Mapping[str, Any], version: tuple[int, int]) -> str:
    nodot = _config(facts, "py_version_nodot")
    return str(nodot) if nodot else f"{version[0]}{version[1]}"


def _cpython_abis(facts: Mapping[str, Any], version: tuple[int, int]) -> list[str]:
    """CPython's own ABI tags (``cp312``, ``cp313t``, ``cp311d``), from its build flags."""
    nodot = f"{version[0]}{version[1]}"
    with_debug = _config(facts, "Py_DEBUG")
    # Windows sets no Py_DEBUG: a debug build shows in what it counts and what it loads.
    debug_build = facts["has_gettotalrefcount"] or "_d.pyd" in facts["extension_suffixes"]
    debug = "d" if with_debug or (with_debug is None and debug_build) else ""
    threading = "t" if version >= (3, 13) and _config(facts, "Py_GIL_DISABLED") else ""
    abis = [f"cp{nodot}{threading}{debug}"]
    if debug:  # a debug build also loads the extension modules of a normal one
        abis.append(f"cp{nodot}{threading}")
    return abis


def _generic_abis(facts: Mapping[str, Any], version: tuple[int, int]) -> list[str]:
    """The ABI tag of another implementation, from its extension suffix: ``pypy39_pp73``
    from ``.pypy39-pp73-x86_64-linux-gnu.so``."""
    suffix = _config(facts, "EXT_SUFFIX")
    if not isinstance(suffix, str) or not suffix.startswith("."):
        raise ValueError(f"the interpreter's EXT_SUFFIX is {suffix!r}")
    parts = suffix.split(".")
    if len(parts) < 3:
        return _cpython_abis(facts, version)
    soabi = parts[1]
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        return []
    return [_normalise(abi)]


def _normalise(text: str) -> str:
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def _platforms(facts: Mapping[str, Any]) -> Iterator[str]:
    system = facts["system"]
    if system == "Darwin" and facts["mac"]:
        release, cpu = facts["mac"]
        major, minor = (int(part) for part in [*str(release).split("."), "0"][:2])
        is_32bit = facts["pointer_bits"] == 32
        arch = ("ppc" if str(cpu).startswith("ppc") else "i386") if is_32bit else str(cpu)
        return mac_platforms((major, minor), arch)
    if system == "Linux":
        return _linux_platforms(facts)
    if system == "Emscripten":
        emscripten = _config(facts, "PYEMSCRIPTEN_PLATFORM_VERSION")
        prefix = [f"pyemscripten_{emscripten}_wasm32"] if emscripten else []
        return iter([*prefix, _normalise(str(facts["platform"]))])
    return iter([_normalise(str(facts["platform"]))])


def _linux_platforms(facts: Mapping[str, Any]) -> Iterator[str]:
    linux = _normalise(str(facts["platform"]))
    if not linux.startswith("linux_"):
        yield linux
        return
    if facts["pointer_bits"] == 32:
        linux = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(linux, linux)
    arch = linux.split("_", 1)[1]
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    for each in archs:
        yield f"linux_{each}"
    yield from _manylinux_platforms(facts, archs)
    yield from _musllinux_platforms(facts, archs)


def _manylinux_platforms(facts: Mapping[str, Any], archs: Sequence[str]) -> Iterator[str]:
    """PEP 600 tags from the target's glibc down to the oldest any manylinux stands for, each
    followed by its legacy alias (manylinux2014 for 2.17...)."""
    if not _has_manylinux_abi(facts, archs):
        return
    glibc = _glibc(facts)
    oldest = (2, 4) if set(archs) & {"x86_64", "i686"} else (2, 16)  # exclusive bounds
    newest = [glibc, *((major, LAST_GLIBC_MINOR) for major in range(glibc[0] - 1, 1, -1))]
    for arch in archs:
        for major, top in newest:
            bottom = oldest[1] if major == oldest[0] else -1
            for minor in range(top, bottom, -1):
                if not _manylinux_allowed(facts, glibc, (major, minor), arch):
                    continue
                yield f"manylinux_{major}_{minor}_{arch}"
                legacy = LEGACY_MANYLINUX.get((major, minor))
                if legacy:
                    yield f"{legacy}_{arch}"


def _has_manylinux_abi(facts: Mapping[str, Any], archs: Sequence[str]) -> bool:
    """As packaging checks it: 32-bit ARM and x86 need the hard-float / i386 ELF executable."""
    elf = facts["elf"]
    if "armv7l" in archs or "i686" in archs:
        little_32_bit = (ELF_32_BIT, ELF_LITTLE_ENDIAN)
        if not isinstance(elf, dict) or (elf["class"], elf["data"]) != little_32_bit:
            return False
        if "armv7l" in archs:
            flags = _integer(elf["flags"])
            return (
                elf["machine"] == ELF_ARM
                and flags & EF_ARM_ABIMASK == EF_ARM_ABI_VER5
                and flags & EF_ARM_ABI_FLOAT_HARD == EF_ARM_ABI_FLOAT_HARD
            )
        return bool(elf["machine"] == ELF_I386)
    return any(arch in MANYLINUX_ARCHS for arch in archs)


def _glibc(facts: Mapping[str, Any]) -> tuple[int, int]:
    """The target's glibc version; (-1, -1) if it has none (or a musl one)."""
    found = re.match(r"([0-9]+)\.([0-9]+)", str(facts["glibc"] or ""))
    return (int(found[1]), int(found[2])) if found else (-1, -1)


def _manylinux_allowed(
    facts: Mapping[str, Any], glibc: tuple[int, int], wanted: tuple[int, int], arch: str
) -> bool:
    """The glibc is new enough, and the distribution's ``_manylinux`` module (PEP 600), if the
    target has one, does not forbid it."""
    if glibc < wanted:
        return False
    policy = facts["manylinux_policy"]
    if not policy:
        return True
    if policy["asks"]:
        answer = policy["answers"].get(f"{wanted[0]}_{wanted[1]}_{arch}")
        return True if answer is None else bool(answer)
    legacy = LEGACY_MANYLINUX.get(wanted)
    allowed = policy["legacy"].get(f"{legacy}_compatible") if legacy else None
    return True if allowed is None else bool(allowed)


def _musllinux_platforms(facts: Mapping[str, Any], archs: Sequence[str]) -> Iterator[str]:
    """PEP 656 tags, if the executable is linked against musl: its version down to x.0."""
    lines = [line.strip() for line in str(facts["musl"] or "").splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("musl"):
        return
    found = re.match(r"Version (\d+)\.(\d+)", lines[1])
    if not found:
        return
    for arch in archs:
        for minor in range(int(found[2]), -1, -1):
            yield f"musllinux_{found[1]}_{minor}_{arch}"
