"""Broken and hostile transcripts: a TranscriptError naming the file, exit 2, batches go on."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

import dtors_nlp as dn
from dtors_nlp.cli import main
from dtors_nlp.errors import TranscriptError
from dtors_nlp.transcripts.encoding import MAX_TEXT_BYTES

GOOD = "Interviewer: How did it start?\nParticipant: At my GP, rattling every morning.\n"


def docx_bytes(lines: list[str]) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezipped(data: bytes, member: str, content: bytes | None) -> bytes:
    """The archive with ``member`` replaced by ``content`` (or left out if None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != member:
                target.writestr(info, source.read(info))
            elif content is not None:
                target.writestr(info, content)
    return out.getvalue()


def garbled_deflate(data: bytes, member: str) -> bytes:
    """The archive with the start of ``member``'s compressed bytes overwritten: zlib fails."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    header = data[info.header_offset : info.header_offset + 30]
    start = info.header_offset + 30 + int.from_bytes(header[26:28], "little")
    start += int.from_bytes(header[28:30], "little")
    return data[:start] + b"\xff" * 16 + data[start + 16 :]


def big_text_file(path: Path, size: int) -> Path:
    """A labelled transcript of ``size`` bytes, written in large blocks (fast)."""
    block = (GOOD * (1_000_000 // len(GOOD))).encode()
    with path.open("wb") as stream:
        for _ in range(size // len(block)):
            stream.write(block)
        stream.write(block[: size % len(block)])
    return path


DOCX = docx_bytes(["INT: How long did you wait?", "P07: Six weeks for a script."])
BROKEN_DOCX = {
    "truncated at half": DOCX[: len(DOCX) // 2],
    "truncated central directory": DOCX[:-10],
    "garbled deflate data": garbled_deflate(DOCX, "word/document.xml"),
    "malformed document.xml": rezipped(DOCX, "word/document.xml", b"<w:document><w:body"),
    "no document.xml": rezipped(DOCX, "word/document.xml", None),
    "damaged relationships": rezipped(DOCX, "_rels/.rels", b"<Relationships/>"),
}


@pytest.mark.parametrize("data", BROKEN_DOCX.values(), ids=BROKEN_DOCX.keys())
def test_truncated_or_corrupt_docx_is_a_transcript_error(tmp_path, data):
    path = tmp_path / "t.docx"
    path.write_bytes(data)
    with pytest.raises(TranscriptError, match="not a valid .docx file") as caught:
        dn.load_transcript(path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


def test_mostly_utf8_with_some_windows_1252_bytes_reads_both(tmp_path):
    data = "Interviewer: Was it “free”?\nParticipant: It cost ".encode() + (
        b"\xa35 a day, caf\xe9 prices, \x93on tick\x94.\n"
    )
    path = tmp_path / "t.txt"
    path.write_bytes(data)
    transcript = dn.load_transcript(path)
    assert [turn.text for turn in transcript.turns] == [
        "Was it “free”?",
        "It cost £5 a day, café prices, “on tick”.",
    ]


def test_valid_utf8_is_never_reinterpreted(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("Interviewer: Ã© or é?\nParticipant: Â£5, I think.\n", "utf-8")
    assert dn.load_transcript(path).turns[1].text == "Â£5, I think."


def test_a_byte_neither_utf8_nor_windows_1252_is_named_with_its_offset(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("Interviewer: “Hi”?\nParticipant: caf".encode() + b"\xe9\x9d\n")
    offset = path.read_bytes().rindex(b"\x9d")  # the first 0x9d is inside “”
    with pytest.raises(TranscriptError, match=f"byte 0x9d at position {offset} as UTF-8 or Win"):
        dn.load_transcript(path)


def test_a_50_mb_text_file_is_refused_quickly_with_the_limit(tmp_path):
    path = big_text_file(tmp_path / "huge.txt", 50_000_000)
    with pytest.raises(TranscriptError, match=r"too large for a transcript \(50.0 MB; the limit"):
        dn.load_transcript(path)
    assert MAX_TEXT_BYTES == 10_000_000


def test_a_1_mb_transcript_of_many_turns_reads(tmp_path, assert_offsets):
    transcript = dn.load_transcript(big_text_file(tmp_path / "long.txt", 1_000_000))
    assert len(transcript.turns) > 20_000
    assert_offsets(transcript)


def test_no_speaker_labels_at_all(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("I went to the clinic.\nThen I went home and waited.\n" * 50, "utf-8")
    with pytest.raises(TranscriptError, match="no speaker labels found.*monologue option"):
        dn.load_transcript(path)


def test_duplicate_speaker_labels_are_one_speaker_and_turns_stay_apart(tmp_path, assert_offsets):
    path = tmp_path / "t.txt"
    path.write_text(
        "Interviewer: How did it start?\nParticipant: At my GP.\nPARTICIPANT: Then the clinic.\n"
        "participant : And the chemist.\nINTERVIEWER: Why?\nInterviewer: Go on?\n",
        "utf-8",
    )
    transcript = dn.load_transcript(path)
    assert transcript.speakers == {"Interviewer": "interviewer", "Participant": "interviewee"}
    assert [(turn.speaker, turn.text) for turn in transcript.turns] == [
        ("Interviewer", "How did it start?"),
        ("Participant", "At my GP."),
        ("Participant", "Then the clinic."),
        ("Participant", "And the chemist."),
        ("Interviewer", "Why?"),
        ("Interviewer", "Go on?"),
    ]
    assert [p.text for p in transcript.passages] == [
        "At my GP.",
        "Then the clinic.",
        "And the chemist.",
    ]
    assert {p.context for p in transcript.passages} == {"How did it start?"}
    assert_offsets(transcript)


LONG_TURN = "I was using every day and it was hard. " * 26_000  # just over 1 MB, one line


def test_a_1_mb_line_reads_with_valid_offsets(tmp_path, assert_offsets):
    path = tmp_path / "t.txt"
    path.write_text(f"Interviewer: How?\nParticipant: {LONG_TURN}\n", "utf-8")
    transcript = dn.load_transcript(path)
    assert len(transcript.turns[1].text) > 1_000_000
    assert len(transcript.passages) == 26_000 // 3 + 1
    assert_offsets(transcript)


def test_a_1_mb_line_is_refused_by_the_spacy_segmenter_with_advice(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(f"Interviewer: How?\nParticipant: {LONG_TURN}\n", "utf-8")
    with pytest.raises(TranscriptError, match="turn 2 has 1,013,999 characters.*fast segmenter"):
        dn.load_transcript(path, segmenter="spacy")


def test_a_1_mb_line_without_a_label(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(LONG_TURN, "utf-8")
    with pytest.raises(TranscriptError, match="no speaker labels found"):
        dn.load_transcript(path)


# --- the command line ---------------------------------------------------------------------------

BAD_FILES = {
    "truncated.docx": DOCX[: len(DOCX) // 2],
    "corrupt.docx": garbled_deflate(DOCX, "word/document.xml"),
    "undecodable.txt": b"Interviewer: Hi?\nParticipant: caf\x81\n",
    "unlabelled.txt": b"I went to the clinic. Then home.\n",
    "binary.txt": b"\x00\x01\x02\x03\x04binary",
    "empty.md": b"",
}
PROBLEMS = {
    "truncated.docx": "not a valid .docx file",
    "corrupt.docx": "not a valid .docx file",
    "undecodable.txt": "cannot decode byte 0x81",
    "unlabelled.txt": "no speaker labels found",
    "binary.txt": "binary data",
    "empty.md": "empty file",
    "huge.txt": "too large for a transcript",
}


def bad_files(folder: Path) -> Path:
    folder.mkdir()
    for name, data in BAD_FILES.items():
        (folder / name).write_bytes(data)
    big_text_file(folder / "huge.txt", 50_000_000)
    return folder


def test_inspect_exits_2_with_one_line_naming_the_file(tmp_path):
    folder = bad_files(tmp_path / "bad")
    for name, problem in PROBLEMS.items():
        result = CliRunner().invoke(main, ["inspect", str(folder / name)])
        assert result.exit_code == 2, name
        assert result.stderr.startswith(f"dtors-nlp: error: {folder / name}: "), result.stderr
        assert problem in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_annotate_goes_on_past_several_bad_files_and_lists_them_at_the_end(tmp_path):
    folder = bad_files(tmp_path / "in")
    (folder / "good.txt").write_text(GOOD, "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["annotate", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.stderr.splitlines() if line.startswith("dtors-nlp: skip")]
    assert len(skipped) == len(PROBLEMS)
    for name, problem in PROBLEMS.items():
        [line] = [
            line for line in skipped if line.startswith(f"dtors-nlp: skipped {folder / name}:")
        ]
        assert problem in line
    assert "1 transcripts coded" in result.stderr and f"{len(PROBLEMS)} skipped" in result.stderr
    listed = (out / "skipped.csv").read_text("utf-8-sig")
    assert all(str(folder / name) in listed for name in PROBLEMS)
    assert (out / "suggestions.jsonl").is_file() and (out / "summary.csv").is_file()
