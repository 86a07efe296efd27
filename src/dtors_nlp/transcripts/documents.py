"""Word (.docx) and rich-text (.rtf) transcripts: their paragraphs, read as lines of text.

Only body paragraphs are read (not tables, headers, footers or comments); a line break inside a
paragraph starts a new line, as it does on the page.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from dtors_nlp.errors import TranscriptError
from dtors_nlp.transcripts.assemble import Draft
from dtors_nlp.transcripts.encoding import normalise, read_bytes, read_text
from dtors_nlp.transcripts.options import ReadOptions
from dtors_nlp.transcripts.text import draft_from_lines

MAX_UNPACKED_BYTES = (
    200_000_000  # a .docx larger than this unpacked is a zip bomb, not a transcript
)


def read_docx(path: Path, options: ReadOptions) -> list[Draft]:
    """A Word transcript."""
    _check_zip(path)
    lines = normalise("\n".join(_paragraphs(path))).split("\n")
    return [draft_from_lines(lines, path, options.monologue)]


def _paragraphs(path: Path) -> list[str]:
    """The text of each body paragraph; TranscriptError if python-docx cannot read the file."""
    import docx

    try:
        return [paragraph.text for paragraph in docx.Document(str(path)).paragraphs]
    except Exception as error:
        # A damaged or truncated .docx makes python-docx raise almost anything: BadZipFile,
        # zlib.error, NotImplementedError (unknown zip version), KeyError, lxml's
        # XMLSyntaxError, AttributeError on unexpected XML. Each means the same to the user.
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise TranscriptError(f"not a valid .docx file ({reason})", path) from None


def _check_zip(path: Path) -> None:
    if not read_bytes(path).startswith(b"PK\x03\x04"):
        raise TranscriptError("not a valid .docx file (it is not a zip archive)", path)
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        raise TranscriptError(f"not a valid .docx file ({error})", path) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise TranscriptError("refused: the .docx would unpack to over 200 MB", path)


def read_rtf(path: Path, options: ReadOptions) -> list[Draft]:
    """A rich-text transcript."""
    from striprtf.striprtf import rtf_to_text

    raw = read_text(path)
    if not raw.lstrip().startswith("{\\rtf"):
        raise TranscriptError("not an RTF file (it does not start with '{\\rtf')", path)
    text = normalise(rtf_to_text(raw, encoding="cp1252", errors="replace"))
    return [draft_from_lines(text.split("\n"), path, options.monologue)]
