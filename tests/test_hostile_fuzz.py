"""Fuzzing the readers: whatever the bytes, a valid result or the reader's own error class.

The transcript loader gives a Transcript whose spans all sit at their offsets, or a
TranscriptError; the REFI-QDA reader gives a project or a RefiError (UnsafeFileError is one).
Never any other exception.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dtors_nlp as dn
from dtors_nlp.codebook import load_codebook
from dtors_nlp.errors import RefiError, TranscriptError
from dtors_nlp.refi.project import read_qdpx, write_qdpx
from dtors_nlp.suggestion import Suggestion
from dtors_nlp.transcripts import SUFFIXES
from dtors_nlp.transcripts.spans import Transcript

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_transcript(transcript: Transcript) -> None:
    """The offset invariant: every span is the text at its offsets, passages in their turn."""
    for span in [*transcript.turns, *transcript.sentences, *transcript.passages]:
        assert 0 <= span.start < span.end <= len(transcript.text)
        assert transcript.text[span.start : span.end] == span.text
    for passage in transcript.passages:
        turn = transcript.turns[passage.turn]
        assert turn.role == "interviewee" and turn.start <= passage.start < passage.end <= turn.end


def load_or_refuse(path: Path, **options) -> None:
    """Read every transcript in ``path``: each one valid, or a TranscriptError."""
    try:
        for transcript in dn.load_transcripts(path, **options):
            check_transcript(transcript)
    except TranscriptError as error:
        assert str(path) in str(error) and "\n" not in str(error)


def write(tmp_path_factory, name: str, data: bytes) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    return path


# --- transcripts --------------------------------------------------------------------------------

PREFIXES = [b"", b"WEBVTT\n\n", b"{\\rtf1 ", b"PK\x03\x04", b"speaker,text\n", b'{"text": ']
PREFIXES += [b"\xef\xbb\xbf", b"\xff\xfe", b"---\n", b"Interviewer: "]


@FUZZ
@given(
    suffix=st.sampled_from(SUFFIXES),
    prefix=st.sampled_from(PREFIXES),
    data=st.binary(max_size=600),
)
def test_any_bytes_give_a_transcript_or_a_transcript_error(tmp_path_factory, suffix, prefix, data):
    load_or_refuse(write(tmp_path_factory, f"t{suffix}", prefix + data))


LABELS = ["Interviewer:", "PARTICIPANT:", "participant :", "[00:01:02] INT:", "P07\t", "I:", "R:"]
LABELS += ["**Interviewer:**", "Speaker 1 (00:01:02)", "INTERVIEWER", "Thing is:", "---", ""]
LINE = st.lists(
    st.sampled_from(LABELS) | st.text(st.characters(blacklist_categories=["Cs"]), max_size=40),
    max_size=4,
).map(" ".join)


@FUZZ
@given(
    lines=st.lists(LINE, max_size=25),
    newline=st.sampled_from(["\n", "\r\n", "\r", "\u2028"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le"]),
    windows_bytes=st.binary(max_size=3),  # pasted in from another program
    suffix=st.sampled_from([".txt", ".md"]),
    monologue=st.booleans(),
)
def test_random_text_with_labels_gives_a_transcript_or_a_transcript_error(
    tmp_path_factory, lines, newline, encoding, windows_bytes, suffix, monologue
):
    data = newline.join(lines).encode(encoding, errors="replace")
    if encoding == "utf-8":
        data = data[: len(data) // 2] + windows_bytes + data[len(data) // 2 :]
    load_or_refuse(write(tmp_path_factory, f"t{suffix}", data), monologue=monologue)


def docx_bytes() -> bytes:
    document = docx.Document()
    for line in ["Date: 1 May 2008", "", "INT: How long?", "P07: A year.", "It felt longer."]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


DOCX = docx_bytes()


def mutated(data: bytes, draw) -> bytes:
    """``data`` with some bytes overwritten, or cut short, or both."""
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data)


def mutated_member(data: bytes, draw) -> bytes:
    """The archive with one member mutated, cut short or left out (CRCs stay valid)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = source.namelist()
        chosen = draw(st.sampled_from(names))
        for name in names:
            content = source.read(name)
            if name == chosen:
                if draw(st.booleans()):
                    continue
                content = mutated(content, draw)
            target.writestr(name, content)
    return out.getvalue()


@FUZZ
@given(data=st.data(), whole_file=st.booleans())
def test_a_mutated_docx_gives_a_transcript_or_a_transcript_error(
    tmp_path_factory, data, whole_file
):
    content = mutated(DOCX, data.draw) if whole_file else mutated_member(DOCX, data.draw)
    load_or_refuse(write(tmp_path_factory, "t.docx", content))


# --- REFI-QDA projects --------------------------------------------------------------------------


def qdpx_bytes() -> bytes:
    """A valid draft project with one coded selection."""
    text = "I: How long did you wait?\nP: Six weeks for a script, rattling by then.\n"
    transcript = Transcript(id="int01", source="int01.txt", text=text, turns=[])
    suggestion = Suggestion(
        *("int01", "int01.txt", 0, 29, 54, "P", text[29:54], "barrier/engagement", 0.9, "likely"),
        exemplars=("I waited months.",),
        model="dtors-starter 0.1.0",
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "draft.qdpx"
        write_qdpx(path, [transcript], [suggestion], load_codebook(), "dtors-starter 0.1.0")
        return path.read_bytes()


QDPX = qdpx_bytes()


@FUZZ
@given(data=st.data(), whole_file=st.booleans())
def test_a_mutated_qdpx_gives_a_project_or_a_refi_error(tmp_path_factory, data, whole_file):
    content = mutated(QDPX, data.draw) if whole_file else mutated_member(QDPX, data.draw)
    path = write(tmp_path_factory, "p.qdpx", content)
    try:
        project = read_qdpx(path)
    except RefiError as error:
        assert str(path) in str(error) and "\n" not in str(error)
        return
    for source in project.sources:
        for selection in source.selections:
            assert source.text[selection.start : selection.end] == selection.text


# --- what fuzzing found, pinned down ------------------------------------------------------------


def qdpx_with_project(tmp_path: Path, project: bytes) -> Path:
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(io.BytesIO(QDPX)) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            target.writestr(info, project if info.filename == "project.qde" else source.read(info))
    return path


def test_an_unknown_declared_xml_encoding_is_a_refi_error(tmp_path):
    with zipfile.ZipFile(io.BytesIO(QDPX)) as archive:
        project = archive.read("project.qde").replace(b"UTF-8", b"ATF-8", 1)
    assert b"ATF-8" in project
    path = qdpx_with_project(tmp_path, project)
    with pytest.raises(RefiError, match="malformed XML.*unknown encoding"):
        read_qdpx(path)


def test_a_member_whose_compressed_data_is_garbled_is_a_refi_error(tmp_path):
    data = bytearray(QDPX)
    with zipfile.ZipFile(io.BytesIO(QDPX)) as archive:
        info = archive.getinfo("project.qde")
    header = data[info.header_offset : info.header_offset + 30]
    start = info.header_offset + 30 + int.from_bytes(header[26:28], "little")
    start += int.from_bytes(header[28:30], "little")
    data[start : start + 16] = b"\xff" * 16  # an invalid deflate block type: zlib fails
    path = tmp_path / "p.qdpx"
    path.write_bytes(bytes(data))
    with pytest.raises(RefiError, match="member 'project.qde' is corrupt"):
        read_qdpx(path)
