"""``dtors-nlp inspect``: tables for people, JSON for scripts, one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dtors_nlp.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "transcripts"
ANNOMI = Path(__file__).resolve().parents[2] / "shared" / "data" / "annomi" / "AnnoMI-simple.csv"


def inspect(*args: str):
    return CliRunner().invoke(main, ["inspect", *map(str, args)])


@pytest.mark.parametrize("name", ["p01-keyworker.txt", "p07-recovery.docx", "provider-03.txt"])
def test_inspect_shows_metadata_speakers_turns_and_passages(name):
    result = inspect(EXAMPLES / name)
    assert result.exit_code == 0, result.output
    for heading in ["metadata", "speakers", "turns", "passages", "interviewer", "interviewee"]:
        assert heading in result.stdout


def test_inspect_json_is_one_object_with_offsets():
    result = inspect(EXAMPLES / "p04-group-session.vtt", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["speakers"] == {"Helen Price": "interviewer", "Dean": "interviewee"}
    for span in data["turns"] + data["passages"]:
        assert data["text"][span["start"] : span["end"]] == span["text"]
    assert {"context", "speaker", "turn"} <= set(data["passages"][0])


def test_inspect_interviewer_option_overrides_roles():
    result = inspect(EXAMPLES / "p04-group-session.vtt", "--json", "--interviewer", "Dean")
    assert json.loads(result.stdout)["speakers"] == {
        "Helen Price": "interviewee",
        "Dean": "interviewer",
    }


def test_inspect_picks_a_transcript_from_a_table():
    result = inspect(EXAMPLES / "utterances.csv", "--json", "--transcript", "p06")
    assert json.loads(result.stdout)["id"] == "utterances#p06"


def test_inspect_an_annomi_transcript():
    if not ANNOMI.exists():
        pytest.skip("the shared AnnoMI data is not next to this clone")
    result = inspect(ANNOMI, "--json", "--transcript", "3")
    data = json.loads(result.stdout)
    assert data["speakers"] == {"therapist": "interviewer", "client": "interviewee"}
    assert len(data["turns"]) > 10


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.txt", b"", "empty file"),
        ("binary.txt", b"\x00\x01\x02\x03binary", "binary data"),
        ("notes.pdf", b"%PDF", "unknown transcript format"),
        ("prose.txt", b"Just prose, no speakers.", "no speaker labels found"),
        ("broken.docx", b"PK\x03\x04garbage", "not a valid .docx file"),
        ("table.csv", b"interview,speaker,text\na,I,Hi\nb,I,Hi\n", "holds 2 transcripts"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    result = inspect(path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"dtors-nlp: error: {path}: ")
    assert problem in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_missing_file_and_unknown_speaker_are_one_line_errors(tmp_path):
    assert inspect(tmp_path / "nothing.txt").stderr.endswith("no such file\n")
    result = inspect(EXAMPLES / "p02-methadone.txt", "--interviewer", "Bob")
    assert result.exit_code == 2 and "no speaker 'Bob'" in result.stderr
