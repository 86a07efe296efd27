"""Broken training data: empty texts, duplicates, unknown codes, another codebook's codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import dtors_nlp as dn
from dtors_nlp.cli import main
from dtors_nlp.coded import DuplicatePassagesWarning

MOOD_CODEBOOK = """\
name: mood study
dimensions:
  - name: mood
    codes:
      - name: low
      - name: high
"""


def write_csv(path: Path, rows: list[list[str]], header=("text", "codes", "transcript")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def train(*args) -> object:
    return CliRunner().invoke(main, ["train", *map(str, args)])


def one_line_error(result, path: Path) -> str:
    assert result.exit_code == 2, result.output
    assert (
        result.stderr.startswith(f"dtors-nlp: error: {path}: ") and "Traceback" not in result.output
    )
    assert result.stderr.count("\n") == 1
    return result.stderr


# --- empty texts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("coded.csv", "text,codes\nI waited,barrier/engagement\n  ,barrier/engagement\n", "row 3"),
        ("coded.jsonl", '{"text": "I waited", "codes": []}\n{"text": "", "codes": []}\n', "row 2"),
        ("coded.jsonl", '{"text": null, "codes": ["barrier/engagement"]}\n', "row 1"),
    ],
)
def test_an_empty_text_is_refused_naming_file_and_row(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_text(content, "utf-8")
    with pytest.raises(dn.TrainingDataError, match=f"{problem} has an empty text"):
        dn.load_coded(path)
    assert f"{problem} has an empty text" in one_line_error(
        train(path, "--out", tmp_path / "m"), path
    )
    assert not (tmp_path / "m").exists()


# --- duplicate rows -----------------------------------------------------------------------------


def test_exact_duplicates_are_merged_with_a_note_and_conflicts_kept(tmp_path):
    path = write_csv(
        tmp_path / "coded.csv",
        [
            ["I waited months", "barrier/engagement", "int01"],
            ["I waited months", "barrier/engagement", "int01"],  # exact duplicate: merged
            ["I waited months", "barrier/engagement", "int02"],  # another interview: kept
            ["My mum helped", "environment/support_network", "int01"],
            ["My mum helped", "barrier/engagement", "int01"],  # coders disagree: kept
            ["I waited months", "barrier/engagement", "int01"],  # exact duplicate: merged
        ],
    )
    with pytest.warns(DuplicatePassagesWarning, match=f"{path}: merged 2 exact duplicate"):
        passages = dn.load_coded(path)
    assert [(p.text, p.transcript, *p.codes) for p in passages] == [
        ("I waited months", "int01", "barrier/engagement"),
        ("I waited months", "int02", "barrier/engagement"),
        ("My mum helped", "int01", "environment/support_network"),
        ("My mum helped", "int01", "barrier/engagement"),
    ]


def test_duplicates_across_files_are_merged_naming_the_second_file(tmp_path):
    rows = [["I waited months", "barrier/engagement", "int01"]]
    first, second = write_csv(tmp_path / "a.csv", rows), write_csv(tmp_path / "b.csv", rows)
    with pytest.warns(DuplicatePassagesWarning, match=f"{second}: merged 1 exact duplicate"):
        assert len(dn.load_coded([first, second])) == 1


# --- unknown codes and another codebook's codes -------------------------------------------------


def test_unknown_codes_are_one_line_naming_file_and_codes(tmp_path):
    path = write_csv(
        tmp_path / "coded.csv",
        [["I waited", "barrier/engagement", "a"], ["x", "barrier/waiting_list", "a"]],
    )
    message = one_line_error(train(path, "--out", tmp_path / "m"), path)
    assert "codes not in codebook 'DTORS': barrier/waiting_list" in message
    assert "--ignore-unknown-codes" in message
    with pytest.raises(dn.TrainingDataError, match="barrier/waiting_list"):
        dn.load_coded(path, check_codes=True)


def test_codes_from_another_codebook_say_which_codebook_and_suggest_codebook(tmp_path):
    mine = tmp_path / "mood.yaml"
    mine.write_text(MOOD_CODEBOOK, "utf-8")
    path = write_csv(
        tmp_path / "coded.csv",
        [["Felt awful", "mood/low", "a"], ["Brilliant day", "mood/high", "a"]],
    )
    message = one_line_error(train(path, "--out", tmp_path / "m"), path)
    assert "2 of its 2 codes are not in codebook 'DTORS' (mood/high, mood/low)" in message
    assert "another codebook" in message and "--codebook FILE" in message
    passages = dn.load_coded(path, dn.load_codebook(mine), check_codes=True)
    assert {code for p in passages for code in p.codes} == {"mood/low", "mood/high"}


def test_ignore_unknown_codes_drops_and_reports_them_and_duplicates_get_a_note(tmp_path):
    rows = [["I waited months on the list", "barrier/waiting_list", "x"]] * 2
    rows += [["I waited months", "barrier/engagement", "x"]]
    path = write_csv(tmp_path / "coded.csv", rows)
    missing = tmp_path / "no-such-sentence-model"  # stops the run before any training
    result = train(path, "--out", tmp_path / "m", "--ignore-unknown-codes", "--embedder", missing)
    assert f"dtors-nlp: note: {path}: merged 1 exact duplicate" in result.stderr
    assert "dropped unknown code 'barrier/waiting_list' (1 passages)" in result.stderr
    assert result.stderr.endswith(
        f"dtors-nlp: error: {missing}: not a sentence-transformers model folder\n"
    )


# --- outputs are never overwritten without --force ----------------------------------------------


def test_train_refuses_an_existing_out_folder_without_force(tmp_path):
    data = write_csv(tmp_path / "coded.csv", [["I waited", "barrier/engagement", "a"]])
    out = tmp_path / "m"
    out.mkdir()
    (out / "notes.txt").write_text("mine", "utf-8")
    message = one_line_error(train(data, "--out", out), out)
    assert "already exists (use --force" in message
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_codebook_export_refuses_an_existing_file_without_force(tmp_path):
    out = tmp_path / "book.yaml"
    out.write_text("mine", "utf-8")
    result = CliRunner().invoke(main, ["codebook", "export", str(out)])
    assert "already exists (use --force" in one_line_error(result, out)
    assert out.read_text("utf-8") == "mine"


def test_jsonl_duplicates_are_merged_too(tmp_path):
    path = tmp_path / "coded.jsonl"
    row = {"text": "I waited", "codes": ["barrier/engagement"], "transcript": "a"}
    path.write_text((json.dumps(row) + "\n") * 3, "utf-8")
    with pytest.warns(DuplicatePassagesWarning, match="merged 2 exact"):
        assert len(dn.load_coded(path)) == 1
