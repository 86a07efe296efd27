"""Turning a file's bytes into clean text: encodings, line endings, binary data.

Tried in order: a byte-order mark (UTF-8, UTF-16, UTF-32), UTF-16 without a BOM (recognised by
its pattern of NUL bytes), UTF-8, then Windows-1252 (what Word and Excel on Windows write: curly
quotes, pound signs). Line endings become ``\\n``; stray control characters are dropped.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from dtors_nlp.errors import TranscriptError

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
ENCODING_NAMES = {
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "UTF-8 or Windows-1252",
}
SIGNATURES = {
    b"%PDF": "a PDF file; save the transcript as .docx or .txt first",
    b"PK\x03\x04": "a zip archive (a .docx with the wrong extension?)",
}
LINE_BREAKS = re.compile(r"\r\n?|[\v\f\u2028\u2029\x85]")
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff]")


def read_text(path: Path) -> str:
    """The file's text, decoded and normalised; TranscriptError if empty, binary or undecodable."""
    text = normalise(decode(read_bytes(path), path))
    if not text.strip():
        raise TranscriptError("empty file (only white space)", path)
    return text


def read_bytes(path: Path) -> bytes:
    """The file's bytes; TranscriptError if it cannot be read or is empty."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TranscriptError(f"cannot read file ({error.strerror or error})", path) from None
    if not data:
        raise TranscriptError("empty file", path)
    return data


def decode(data: bytes, path: Path) -> str:
    """Decode ``data`` (see the module docstring for the order of guesses)."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return _decode_as(data, encoding, path)
    utf16 = _bomless_utf16(data)
    if utf16:
        return _decode_as(data, utf16, path)
    for signature, description in SIGNATURES.items():
        if data.startswith(signature):
            raise TranscriptError(f"not a text file: looks like {description}", path)
    if b"\x00" in data:
        raise TranscriptError("not a text file: contains binary data", path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_as(data, "cp1252", path)
    if len(CONTROL.findall(text)) > 0.05 * len(text):
        raise TranscriptError("not a text file: contains binary data", path)
    return text


def normalise(text: str) -> str:
    """Line endings become ``\\n``; control characters (but tab) and stray BOMs are removed."""
    text = LINE_BREAKS.sub("\n", text)
    return CONTROL.sub("", text)


def _decode_as(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise TranscriptError(
            f"cannot decode byte 0x{data[error.start]:02x} at position {error.start} as "
            f"{ENCODING_NAMES[encoding]}; save the file as UTF-8",
            path,
        ) from None


def _bomless_utf16(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` if mostly-ASCII text shows the NUL pattern of UTF-16."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.4 * half and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.4 * half and odd.count(0) == 0:
        return "utf-16-be"
    return None
