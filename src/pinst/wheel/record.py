"""RECORD, the wheel spec's list of a distribution's files: read, checked and written here.

A RECORD is csv: one row per file, ``path,hash,size``, where the hash is
``<algorithm>=<urlsafe base64 of the digest, without padding>``, and RECORD itself (and its
signatures) are listed with neither hash nor size. pinst meets three of them:

- a wheel's, checked strictly while the wheel is unpacked (``WheelRecord``): every row names a
  member, every member is listed with a sha256 (or stronger) hash and matches it;
- a venv's, written by pinst after an install (``format_record``, ``hash_content``);
- a venv's, read back by uninstall and reclaim (``parse_record``). Another tool may have written
  it, or anyone who could write to the venv: each reader decides what to do with odd bytes and
  rows, and never trusts a path it gives.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections.abc import Callable, Container, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from pinst.wheel.confinement import path_problem
from pinst.wheel.errors import InvalidWheel

# What a .dist-info holds that RECORD cannot give a hash for: itself and its signatures.
SIGNATURE_FILES = {"RECORD", "RECORD.jws", "RECORD.p7s"}
# The hashes a wheel's RECORD may use, by name; hashlib's own constructors, which skip
# hashlib.new's lookup of the name for every member.
HASHERS: dict[str, Callable[[], hashlib._Hash]] = {
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
    "sha3_256": hashlib.sha3_256,
    "sha3_384": hashlib.sha3_384,
    "sha3_512": hashlib.sha3_512,
}


def record_digest(digest: bytes) -> str:
    """A raw digest as RECORD writes it: urlsafe base64, no ``=`` padding."""
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def record_hash(algorithm: str, digest: bytes) -> str:
    """A RECORD hash field: ``sha256=<urlsafe base64, no padding>``."""
    return f"{algorithm}={record_digest(digest)}"


def hash_content(content: bytes) -> str:
    """The RECORD hash field of a file pinst writes with ``content``: its sha256."""
    return record_hash("sha256", hashlib.sha256(content).digest())


class RecordRow(NamedTuple):
    """One RECORD row as written: nothing in it is checked yet."""

    path: str  # relative to the directory that holds the .dist-info, with forward slashes
    hash: str  # "<algorithm>=<digest>", or "" for a file listed without one
    size: str  # in bytes, or "" when not given; a wheel's is checked by WheelRecord

    @property
    def algorithm(self) -> str:
        return self.hash.partition("=")[0]

    @property
    def digest(self) -> str:
        """The urlsafe base64 digest, as written (a writer may have kept its padding)."""
        return self.hash.partition("=")[2]


def parse_record(lines: Iterable[str], strict: bool = False) -> list[RecordRow]:
    """The rows of a RECORD read from ``lines`` (a file opened with ``newline=""``, or lines):
    missing fields are empty, extra ones ignored, rows without a path passed over.

    Raises ``csv.Error`` for a field longer than csv allows, and with ``strict`` for a quote left
    open or followed by more than a comma (which no csv writer makes, and after which csv can
    only guess where a path ends): each reader decides what that means.
    """
    rows = csv.reader(lines, strict=strict)
    return [RecordRow._make([*row, "", ""][:3]) for row in rows if row and row[0]]


def format_record(rows: Sequence[tuple[str, str, str]]) -> bytes:
    """RECORD as the csv module writes it (\r\n line ends, as pip's): joined by hand when no
    field needs quoting, which is every row of nearly every wheel, and faster than the csv
    module (see docs/internals/benchmark-history.md, section "What made the warm path fast")."""
    text = "".join([f"{path},{digest},{size}\r\n" for path, digest, size in rows])
    plain = (
        text.count(",") == 2 * len(rows)
        and text.count("\n") == len(rows)
        and text.count("\r") == len(rows)
        and '"' not in text
    )
    if not plain:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        text = buffer.getvalue()
    return text.encode()


class MemberCheck(NamedTuple):
    """What one member of a wheel must be, and the hasher its content goes through."""

    hash: str  # as RECORD gives it; "" for RECORD itself and its signatures
    size: int | None  # as RECORD gives it, if it does
    hasher: hashlib._Hash
    vouched: bool  # False for RECORD itself and its signatures, which go unchecked


class WheelRecord:
    """A wheel's RECORD, checked against the wheel's members when it is read: every row names a
    member, and names it once. Then, member by member, what each must hash to (``member``)
    and whether it does (``verify``). Every refusal is an ``InvalidWheel``."""

    def __init__(self, wheel: Path, data: bytes, members: Container[str]) -> None:
        self.wheel = wheel
        text = data.decode("utf-8", errors="replace")
        try:
            rows = parse_record(io.StringIO(text))
        except csv.Error as error:  # a field longer than csv allows
            raise self.fail(f"its RECORD cannot be read ({error})") from None
        self.listed: dict[str, tuple[str, int | None]] = {}  # hash and size, by path
        for path, digest, size in rows:
            # A row for a file that is not there would be installed by a tool that trusts
            # RECORD, or uninstalled later: both could reach outside the install directory.
            # A member's name has passed path_problem already.
            problem = "" if path in members else path_problem(path) or "is not in the archive"
            if problem:
                raise self.fail(f"RECORD lists {path!r}, which {problem}")
            entry = (digest, self._declared_size(path, size))
            if self.listed.setdefault(path, entry) != entry:
                raise self.fail(f"RECORD lists {path!r} twice, with different hashes or sizes")

    def fail(self, problem: str) -> InvalidWheel:
        return InvalidWheel(self.wheel, problem)

    def _declared_size(self, path: str, size: str) -> int | None:
        if not size:
            return None
        # Plain ASCII digits: int() also takes other scripts' digits and refuses huge numbers.
        if not (size.isascii() and size.isdigit() and len(size) < 20):
            raise self.fail(f"RECORD gives {path!r} the size {size!r}, which is not a number")
        return int(size)

    def member(self, name: str) -> MemberCheck:
        """What member ``name`` must hash to: refused if RECORD does not list it, or gives it
        no hash pinst accepts."""
        listed = self.listed.get(name)
        # Only the .dist-info directory's RECORD and signatures go unhashed (there is exactly one
        # such directory by now), not a file of that name in any other folder.
        folder, _, basename = name.partition("/")
        is_signature = folder.endswith(".dist-info") and basename in SIGNATURE_FILES
        if listed is None and not is_signature:
            raise self.fail(f"member {name!r} is not listed in RECORD")
        digest, declared_size = listed if listed else ("", None)
        algorithm = digest.partition("=")[0]
        if not is_signature and algorithm not in HASHERS:
            raise self.fail(f"RECORD gives no sha256 (or stronger) hash for {name!r}")
        hasher = HASHERS.get(algorithm, hashlib.sha256)()
        return MemberCheck(digest, declared_size, hasher, not is_signature)

    def verify(self, name: str, check: MemberCheck, size: int) -> None:
        """Refuse the member if the content that went through ``check.hasher`` (``size``
        bytes) is not what RECORD says."""
        if not check.vouched:
            return
        actual = record_digest(check.hasher.digest())
        if actual != check.hash.partition("=")[2].rstrip("="):
            raise self.fail(f"the content of {name!r} does not match its hash in RECORD")
        if check.size is not None and check.size != size:
            raise self.fail(f"{name!r} is {size} bytes but RECORD says {check.size} bytes")
