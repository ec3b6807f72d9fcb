# ruff: noqa: UP031
"""Run by the *target* interpreter (not pinst's) to describe itself as JSON on stdout.

It imports only the standard library, and its syntax is Python 2.7's, so that any Python a user
points pinst at answers rather than failing on a SyntaxError or on a library pinst lent it:
pinst reads the version from the answer and refuses the ones it does not support in words.
It reports raw facts (sysconfig variables, the C library, the ELF header of the executable,
the marker values PEP 508 defines); pinst computes the wheel tags from them in its own process
(``venv/interpreter_tags.py``). So nothing here decides anything.
"""

import os  # os and sys are loaded before any script runs: importing them finds nothing of pinst
import sys

# The script's own directory, pinst's package, comes first on sys.path: a pinst module named like
# a standard one (http, toml) must not shadow it.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != HERE]

import json  # noqa: E402
import platform  # noqa: E402
import struct  # noqa: E402
import sysconfig  # noqa: E402

TYPE_CHECKING = False
if TYPE_CHECKING:  # Python 2.7, which must be able to read this file, has no typing module
    import typing  # noqa: F401 - named in the type comments

OLDEST_DESCRIBED = (3, 8)  # older ones get only their version and name: pinst refuses them

CONFIG_VARS = (
    "SOABI",
    "EXT_SUFFIX",
    "Py_DEBUG",
    "WITH_PYMALLOC",
    "Py_GIL_DISABLED",
    "Py_UNICODE_SIZE",
    "py_version_nodot",
    "PYEMSCRIPTEN_PLATFORM_VERSION",
)


def venv_scheme():
    # type: () -> dict[str, str]
    paths = sysconfig.get_paths()
    version = "%d.%d" % sys.version_info[:2]
    return {
        "purelib": paths["purelib"],
        "platlib": paths["platlib"],
        "scripts": paths["scripts"],
        "data": paths["data"],
        # pip installs a wheel's headers into the venv, not the base interpreter's include dir.
        "headers": os.path.join(sys.prefix, "include", "site", "python" + version),
    }


def full_version(info):
    # type: (typing.Any) -> str
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def marker_environment():
    # type: () -> dict[str, str]
    """The values PEP 508 defines, read as ``packaging.markers.default_environment`` reads them."""
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def glibc_version():
    # type: () -> typing.Optional[str]
    """The glibc version string ("2.36"), or None if this Python does not run on glibc."""
    try:
        found = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.36"
        if found:
            return found.rsplit()[-1]
    except (AttributeError, OSError, ValueError, IndexError):
        pass
    try:
        import ctypes

        function = ctypes.CDLL(None).gnu_get_libc_version
    except (ImportError, OSError, AttributeError):
        return None
    function.restype = ctypes.c_char_p
    version = function()
    return version.decode("ascii") if isinstance(version, bytes) else version


ELF_FORMATS = {  # (class, data) -> (ELF header, program header, where type/offset/size are)
    (1, 1): ("<HHIIIIIHHH", "<IIIIIIII", (0, 1, 4)),
    (1, 2): (">HHIIIIIHHH", ">IIIIIIII", (0, 1, 4)),
    (2, 1): ("<HHIQQQIHHH", "<IIQQQQQQ", (0, 2, 5)),
    (2, 2): (">HHIQQQIHHH", ">IIQQQQQQ", (0, 2, 5)),
}
PT_INTERP = 3


def read_struct(stream, layout):
    # type: (typing.BinaryIO, str) -> tuple[int, ...]
    return struct.unpack(layout, stream.read(struct.calcsize(layout)))


def elf_header(path):
    # type: (str) -> typing.Optional[dict[str, typing.Any]]
    """The ELF facts of the executable that manylinux and musllinux tags depend on."""
    try:
        with open(path, "rb") as stream:
            ident = bytearray(stream.read(16))
            if bytes(ident[:4]) != b"\x7fELF" or (ident[4], ident[5]) not in ELF_FORMATS:
                return None
            header, program, (type_at, offset_at, size_at) = ELF_FORMATS[(ident[4], ident[5])]
            fields = read_struct(stream, header)
            machine, program_offset, flags = fields[1], fields[4], fields[6]
            entry_size, entries = fields[8], fields[9]
            interpreter = None
            for index in range(entries):
                stream.seek(program_offset + entry_size * index)
                entry = read_struct(stream, program)
                if entry[type_at] == PT_INTERP:
                    stream.seek(entry[offset_at])
                    raw = stream.read(entry[size_at])
                    interpreter = os.fsdecode(raw).strip("\0")
                    break
    except (OSError, struct.error, ValueError):
        return None
    return {
        "class": ident[4],
        "data": ident[5],
        "machine": machine,
        "flags": flags,
        "interpreter": interpreter,
    }


def musl_loader_output(elf):
    # type: (typing.Optional[dict[str, typing.Any]]) -> typing.Optional[str]
    """What the musl loader prints about itself ("musl libc (x86_64)\\nVersion 1.2.4"), if the
    executable is linked against musl."""
    loader = elf and elf["interpreter"]
    if not loader or "musl" not in loader:
        return None
    import subprocess

    try:
        run = subprocess.Popen([loader], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return run.communicate()[1].decode("utf-8", "replace")
    except OSError:
        return None


def linux_archs():
    # type: () -> list[str]
    """The architectures a manylinux policy module is asked about (as packaging derives them)."""
    name = sysconfig.get_platform().replace(".", "_").replace("-", "_").replace(" ", "_")
    if not name.startswith("linux_"):
        return []
    arch = name.split("_", 1)[1]
    if struct.calcsize("P") == 4:
        arch = {"x86_64": "i686", "aarch64": "armv8l"}.get(arch, arch)
    return ["armv8l", "armv7l"] if arch == "armv8l" else [arch]


def manylinux_policy(glibc):
    # type: (typing.Optional[str]) -> typing.Optional[dict[str, typing.Any]]
    """What a distribution's ``_manylinux`` module (PEP 600) says, if it has one."""
    try:
        import _manylinux  # type: ignore[import-not-found]
    except ImportError:
        return None
    legacy = {}
    for name in ("manylinux1_compatible", "manylinux2010_compatible", "manylinux2014_compatible"):
        if hasattr(_manylinux, name):
            legacy[name] = bool(getattr(_manylinux, name))
    answers = {}
    ask = getattr(_manylinux, "manylinux_compatible", None)
    parts = (glibc or "").split(".")
    if ask is not None and len(parts) >= 2 and parts[0] == "2" and parts[1].isdigit():
        for arch in linux_archs():
            for minor in range(int(parts[1]), -1, -1):
                answer = ask(2, minor, arch)
                answers["2_%d_%s" % (minor, arch)] = None if answer is None else bool(answer)
    return {"legacy": legacy, "asks": ask is not None, "answers": answers}


def mac_version():
    # type: () -> typing.Optional[list[str]]
    """The macOS version and CPU architecture, the real ones even under a 10.16 compatibility
    shim (a Python built against an old SDK)."""
    version, _, arch = platform.mac_ver()
    if not version:
        return None
    if version.split(".")[:2] == ["10", "16"]:
        import subprocess

        run = subprocess.Popen(
            [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
            stdout=subprocess.PIPE,
            env={"SYSTEM_VERSION_COMPAT": "0"},
        )
        version = run.communicate()[0].decode().strip() or version
    return [version, arch]


def describe():
    # type: () -> dict[str, typing.Any]
    facts = {
        "version_info": list(sys.version_info[:5]),
        "implementation": platform.python_implementation().lower(),
        "executable": sys.executable,
    }  # type: dict[str, typing.Any]
    if tuple(sys.version_info[:2]) < OLDEST_DESCRIBED:
        return facts
    import importlib.machinery

    glibc = glibc_version()
    elf = elf_header(sys.executable)
    facts.update(
        {
            "implementation": sys.implementation.name,
            "prefix": sys.prefix,
            "base_prefix": sys.base_prefix,
            "cache_tag": sys.implementation.cache_tag,
            "scheme": venv_scheme(),
            "config_vars": {name: sysconfig.get_config_var(name) for name in CONFIG_VARS},
            "has_gettotalrefcount": hasattr(sys, "gettotalrefcount"),
            "extension_suffixes": list(importlib.machinery.EXTENSION_SUFFIXES),
            "platform": sysconfig.get_platform(),
            "system": platform.system(),
            "pointer_bits": struct.calcsize("P") * 8,
            "glibc": glibc,
            "elf": elf,
            "musl": musl_loader_output(elf),
            "manylinux_policy": manylinux_policy(glibc),
            "mac": mac_version() if sys.platform == "darwin" else None,
            "markers": marker_environment(),
        }
    )
    return facts


if __name__ == "__main__":
    sys.stdout.write(json.dumps(describe()))
