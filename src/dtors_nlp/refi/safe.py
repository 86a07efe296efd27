"""Reading REFI-QDA files that may be hostile: zip archives and XML.

A ``.qdpx`` is a zip. It is never extracted to disk: members are read into memory, one at a time,
after the whole archive has passed these checks:

- no member name is absolute or climbs out with ``..`` (zip slip);
- no more than ``Limits.max_files`` members, no more than ``Limits.max_total_bytes`` once
  uncompressed, and no large member compressed more than ``Limits.max_ratio`` times (zip bomb).

XML is parsed with defusedxml and any DTD is refused, so neither entity expansion ("billion
laughs") nor external entities can happen. Every problem becomes a one-line ``RefiError`` (or
``UnsafeFileError`` for an attack) naming the file.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from dtors_nlp.errors import RefiError, UnsafeFileError

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
# What reading a damaged member raises (NotImplementedError: an unknown compression method)
CORRUPT_MEMBER = (
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    OSError,
    EOFError,
)


@dataclass(frozen=True)
class Limits:
    """How big an archive may be before it counts as a zip bomb."""

    max_files: int = 10_000
    max_total_bytes: int = 512 * 1024 * 1024
    max_ratio: int = 200
    ratio_from_bytes: int = 1024 * 1024  # smaller members may compress as well as they like


DEFAULT_LIMITS = Limits()


class Archive:
    """A checked zip archive whose members are read into memory on request."""

    def __init__(self, zip_file: zipfile.ZipFile, label: str) -> None:
        self._zip = zip_file
        self.label = label
        self.names = {info.filename for info in zip_file.infolist() if not info.is_dir()}

    def read(self, name: str) -> bytes:
        """The bytes of member ``name``; RefiError if it is missing or corrupt."""
        if name not in self.names:
            raise RefiError(f"the archive has no member {name!r}", self.label)
        try:
            return self._zip.read(name)
        except CORRUPT_MEMBER as error:
            raise RefiError(f"member {name!r} is corrupt ({error})", self.label) from None


@contextmanager
def open_archive(
    source: str | PathLike[str] | bytes, label: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Archive]:
    """Open a zip file (a path, or bytes such as a ``.docx`` inside a ``.qdpx``) after checks."""
    label = label or str(source)
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        zip_file = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise RefiError(f"not a readable zip archive ({error})", label) from None
    with zip_file:
        check_members(zip_file.infolist(), label, limits)
        yield Archive(zip_file, label)


def check_members(infos: list[zipfile.ZipInfo], label: str, limits: Limits) -> None:
    """Raise UnsafeFileError for zip slip or zip bomb signs, RefiError for encrypted members."""
    if len(infos) > limits.max_files:
        raise UnsafeFileError(f"{len(infos)} members (limit {limits.max_files})", label)
    total = 0
    for info in infos:
        if not is_safe_member_name(info.filename):
            raise UnsafeFileError(f"member {info.filename!r} points outside the archive", label)
        if info.flag_bits & 0x1:
            raise RefiError(f"member {info.filename!r} is encrypted", label)
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_from_bytes and ratio > limits.max_ratio:
            raise UnsafeFileError(
                f"member {info.filename!r} is compressed {ratio:.0f} times (limit "
                f"{limits.max_ratio}): a zip bomb?",
                label,
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeFileError(
                f"more than {limits.max_total_bytes} bytes once uncompressed", label
            )


def is_safe_member_name(name: str) -> bool:
    """False for absolute paths, drive letters, ``..`` parts and NUL characters."""
    normalised = name.replace("\\", "/")
    if not normalised or "\0" in normalised or normalised.startswith("/"):
        return False
    parts = PurePosixPath(normalised).parts
    return ".." not in parts and not parts[0].endswith(":")


def parse_xml(data: bytes, label: str, namespace: str, root: str) -> Element:
    """Parse XML without DTDs or entities and check the root element and its namespace."""
    try:
        element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise UnsafeFileError(f"refused XML with a DTD or entities ({error})", label) from None
    except (ParseError, LookupError) as error:  # LookupError: an unknown declared encoding
        raise RefiError(f"malformed XML ({error})", label) from None
    expected = f"{{{namespace}}}{root}"
    if element.tag != expected:
        raise RefiError(f"expected root element <{root}> in namespace {namespace}", label)
    return element


def read_project_xml(archive: Archive) -> Element:
    """The parsed ``project.qde`` of a ``.qdpx`` archive."""
    if "project.qde" not in archive.names:
        raise RefiError("no project.qde in the archive", archive.label)
    label = f"{archive.label}:project.qde"
    return parse_xml(archive.read("project.qde"), label, PROJECT_NS, "Project")


def normalise_guid(guid: str) -> str:
    """A GUID in lower case without braces, so that differently written GUIDs compare equal."""
    return guid.strip().strip("{}").lower()
