"""Turning a file's bytes into clean text: encodings, line endings, binary data.

Tried in order: a byte-order mark (UTF-8, UTF-16, UTF-32), UTF-16 without a BOM (recognised by
its pattern of NUL bytes), then UTF-8 in which every byte that is not valid UTF-8 is read as
Windows-1252 (what Word and Excel on Windows write: curly quotes, pound signs). So a file in
Windows-1252, and a mostly UTF-8 file with some Windows-1252 bytes pasted in, both read
correctly; a byte that is neither (such as 0x81) is a TranscriptError naming its position.
Files larger than ``MAX_TEXT_BYTES`` are refused. Line endings become ``\\n``; stray control
characters are dropped.
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
    "utf-8-or-cp1252": "UTF-8 or Windows-1252",
}
CP1252_FALLBACK = "dtors-nlp-cp1252"
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
SIGNATURES = {
    b"%PDF": "a PDF file; save the transcript as .docx or .txt first",
    b"PK\x03\x04": "a zip archive (a .docx with the wrong extension?)",
}
MAX_TEXT_BYTES = 10_000_000  # some 1.5 million words: far more than any one interview
LINE_BREAKS = re.compile(r"\r\n?|[\v\f\u2028\u2029\x85]")
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff]")


def read_text(path: Path) -> str:
    """The file's text, decoded and normalised; TranscriptError if empty, binary, undecodable
    or too large."""
    _check_size(path)
    text = normalise(decode(read_bytes(path), path))
    if not text.strip():
        raise TranscriptError("empty file (only white space)", path)
    return text


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        return  # read_bytes says what is wrong
    if size > MAX_TEXT_BYTES:
        raise TranscriptError(
            f"too large for a transcript ({size / 1e6:.1f} MB; the limit is "
            f"{MAX_TEXT_BYTES / 1e6:.0f} MB): split it into one file per interview",
            path,
        )


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
    text = _decode_as(data, "utf-8-or-cp1252", path)
    if len(CONTROL.findall(text)) > 0.05 * len(text):
        raise TranscriptError("not a text file: contains binary data", path)
    return text


def normalise(text: str) -> str:
    """Line endings become ``\\n``; control characters (but tab) and stray BOMs are removed."""
    text = LINE_BREAKS.sub("\n", text)
    return CONTROL.sub("", text)


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read the bytes that are not UTF-8 as Windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    for position in range(error.start, error.end):
        byte = error.object[position : position + 1]
        if byte[0] in CP1252_UNDEFINED:
            raise UnicodeDecodeError("cp1252", error.object, position, position + 1, "undefined")
    return error.object[error.start : error.end].decode("cp1252"), error.end


codecs.register_error(CP1252_FALLBACK, _cp1252_fallback)


def _decode_as(data: bytes, encoding: str, path: Path) -> str:
    try:
        if encoding == "utf-8-or-cp1252":
            return data.decode("utf-8", errors=CP1252_FALLBACK)
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
