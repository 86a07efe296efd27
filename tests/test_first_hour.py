"""What a new user meets in the first hour: small coded sets, unreadable files, -q after the
command, title lines in headers, typos in codes, the README's quick start, tables at 80 columns
and progress bars (issue 10). Real commands on small real data."""

from __future__ import annotations

import csv
import json
import os
import pty
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import dtors_nlp as dn
from dtors_nlp.cli import main
from dtors_nlp.codebook import codebook_from_dict

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "transcripts"
STARTER = REPO / "models" / "dtors-starter" / "training-data"
README = (REPO / "README.md").read_text("utf-8")


def dtors(*args: object, **env: str):
    return CliRunner(env=env).invoke(main, [str(arg) for arg in args])


# --- 1. evaluate on a team's first ~200 coded passages -------------------------------------------


@pytest.fixture(scope="module")
def first_coded_set(tmp_path_factory) -> Path:
    """About 200 passages from 20 interviews, some 10 per code: a team's first coding."""
    passages = dn.load_coded(STARTER / "vignettes")
    transcripts = list(dict.fromkeys(p.transcript for p in passages))[::5][:20]
    chosen = [p for t in transcripts for p in [q for q in passages if q.transcript == t][:10]]
    path = tmp_path_factory.mktemp("first") / "coded.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "codes", "transcript"])
        writer.writerows([p.text, ";".join(sorted(p.codes)), p.transcript] for p in chosen)
    return path


@pytest.fixture(scope="module")
def first_evaluation(first_coded_set):
    """``dtors-nlp evaluate`` on the first coded set: its result and its report.json if any."""
    folder = first_coded_set.parent / "report"
    result = dtors("evaluate", first_coded_set, "--report", folder, COLUMNS="80")
    report = folder / "report.json"
    return result, json.loads(report.read_text("utf-8")) if report.is_file() else {}


def test_evaluate_leaves_out_the_shares_too_small_to_train_and_says_so(first_evaluation):
    result, report = first_evaluation
    assert result.exit_code == 0, result.output
    left_out = report["summary"]["learning_curve_left_out"]
    assert [share["fraction"] for share in left_out] == [0.2]
    assert "nothing to learn" in left_out[0]["problem"]
    assert [point["fraction"] for point in report["learning_curve"]] == [0.4, 0.6, 0.8, 1.0]
    assert "Learning curve: no point at 20% of each training part" in result.stdout
    assert report["summary"]["passages"] >= 190 and report["summary"]["transcripts"] == 20


# --- 2. annotate when nothing can be read ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("interview.pdf", b"%PDF-1.4\n", "save the transcript as .docx or .txt"),
        ("missing.txt", None, "no such file or folder"),
        ("binary.txt", b"\x00\x01\x02binary", "not a text file: contains binary data"),
        ("empty.txt", b"", "empty file"),
        ("broken.docx", b"PK\x03\x04garbage", "not a valid .docx file"),
    ],
)
def test_annotate_names_the_unreadable_file_and_leaves_no_folder(tmp_path, name, content, problem):
    path, out = tmp_path / name, tmp_path / "draft"
    if content is not None:
        path.write_bytes(content)
    result = dtors("annotate", path, "--out", out, "--fast")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"dtors-nlp: error: no transcript could be read: {path}: ")
    assert problem in result.stderr and not out.exists()


def test_a_pdf_in_a_folder_is_counted_as_skipped(tmp_path):
    folder, out = tmp_path / "interviews", tmp_path / "draft"
    folder.mkdir()
    (folder / "p01.txt").write_text("I: How did it start?\nR: At a party.\n", "utf-8")
    (folder / "p02.pdf").write_bytes(b"%PDF-1.4\n")
    result = dtors("annotate", folder, "--out", out, "--fast")
    assert result.exit_code == 0, result.output
    assert f"skipped {folder / 'p02.pdf'}: unknown transcript format '.pdf'" in result.stderr
    assert "1 transcripts coded, 0 reused from an earlier run, 1 skipped" in result.stderr
    assert "p02.pdf" in (out / "skipped.csv").read_text("utf-8-sig")


# --- 3. -q after the command's name ---------------------------------------------------------------


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _command_paths(command, (*prefix, name))


@pytest.mark.parametrize("path", list(_command_paths(main)), ids=" ".join)
def test_every_command_takes_quiet_after_its_name(path):
    for flag in ("-q", "--quiet"):
        result = dtors(*path, flag, "--help")
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "command",
    [
        ["train", "coded.csv", "--out", "model"],
        ["evaluate", "coded.csv"],
        ["audit", "coded.csv"],
        ["next-to-code", "coded.csv", "--pool", "pool", "--out", "sheet.csv"],
    ],
)
def test_no_processes_is_refused_in_one_line_before_any_work(command):
    result = dtors(*command, "--jobs", "0")
    assert result.exit_code == 2
    assert result.output == (
        "dtors-nlp: error: --jobs 0: give a number of processes, or -1 for one per core\n"
    )


def test_quiet_after_the_command_silences_chatter_and_wrote_lines(tmp_path):
    out = tmp_path / "draft"
    result = dtors("annotate", EXAMPLES / "p01-keyworker.txt", "--out", out, "--fast", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and (out / "suggestions.jsonl").is_file()
    # notes are no chatter: one says so while the fast model's codebook is not the library's
    assert all(line.startswith("dtors-nlp: note: ") for line in result.stderr.splitlines())
    settings = json.loads((REPO / "models" / "dtors-starter-fast" / "model.json").read_bytes())
    older = codebook_from_dict(settings["codebook"]) != dn.load_codebook()
    assert result.stderr.count("\n") == int(older)


# --- 4. a metadata header that starts with a title ------------------------------------------------

HEADED = """\
DTORS PROVIDER INTERVIEWS
Participant ID: PR-E-07
Interviewer: JH
Date: 14 March 2008
{end}

JH: Can you tell me about your role?

PR-E-07: I lead the community drug team. Most of my week is assessments.

JH: What gets in the way of people starting treatment?

PR-E-07: Waiting lists, mostly. By the time we see them the moment has gone.
"""


@pytest.mark.parametrize("end", ["=" * 40, "-" * 40, ""], ids=["=====", "-----", "blank"])
def test_a_header_with_a_title_line_is_metadata(tmp_path, end, assert_offsets):
    path = tmp_path / "pr-e-07.txt"
    path.write_text(HEADED.format(end=end), "utf-8")
    transcript = dn.load_transcript(path)
    assert transcript.metadata == {
        "title": "DTORS PROVIDER INTERVIEWS",
        "Participant ID": "PR-E-07",
        "Interviewer": "JH",
        "Date": "14 March 2008",
    }
    assert transcript.speakers == {"JH": "interviewer", "PR-E-07": "interviewee"}
    assert transcript.turns[0].text == "Can you tell me about your role?"
    assert "DTORS PROVIDER" not in transcript.text and "=====" not in transcript.text
    assert_offsets(transcript)


# --- 5. a typo in a code -------------------------------------------------------------------------


def test_a_typo_in_a_code_is_named_with_file_row_and_nearest_code_before_any_work(tmp_path):
    path = tmp_path / "coded.csv"
    path.write_text(
        "text,codes,transcript\n"
        "I waited months,barrier/engagement,a\n"
        "I was rattling by dinner time,pressure/physical_needs,a\n",
        "utf-8",
    )
    result = dtors("evaluate", path)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"dtors-nlp: error: {path}: ")
    assert (
        "pressure/physical_needs in row 3 (did you mean pressure/physical_need?)" in result.stderr
    )
    assert "--ignore-unknown-codes" in result.stderr and "cross-validating" not in result.output
    with pytest.raises(dn.TrainingDataError, match="row 3 \\(did you mean"):
        dn.load_coded(path, check_codes=True)


# --- 6. the README's quick start ------------------------------------------------------------------


def _block(heading: str, language: str) -> str:
    section = README.split(f"## {heading}\n", 1)[1]
    return re.search(rf"```{language}\n(.*?)```", section, re.S)[1]


def test_the_quick_start_uses_paths_that_exist():
    made: set[str] = set()
    for line in _block("Quick start", "bash").splitlines():
        words = shlex.split(line, comments=True)
        for before, word in zip(["", *words], words):
            if before in {"--out", "--report"}:
                made.add(word.rstrip("/"))
            elif "/" in word and not word.startswith("-"):
                assert (REPO / word).exists() or word.rstrip("/") in made, line
    for path in re.findall(r'dn\.load_\w+\("([^"]+)"\)', _block("Quick start", "python")):
        assert (REPO / path).exists(), path


# --- 7. tests beside ../shared/, tables at 80 columns, progress bars ------------------------------


def test_the_readme_says_how_to_run_the_tests_that_need_shared_data():
    for needed in ("../shared/data/annomi/AnnoMI-simple.csv", "../shared/refi-qda/", "-rs"):
        assert needed in README


def _codes_are_whole(output: str, codes: list[str]) -> None:
    assert "…" not in output
    for code in codes:
        dimension, name = code.split("/")
        broken = rf"{dimension}/(\s[^\n]*)?\n\s*{name}"  # the code name on the next line
        assert re.search(rf"(^|\s)({code}|{broken})(\s|$)", output), code


def test_evaluate_table_at_80_columns_keeps_code_names_whole(first_evaluation):
    result, report = first_evaluation
    assert result.exit_code == 0, result.output
    _codes_are_whole(result.stdout, list(report["codes"]))


def test_train_table_at_80_columns_keeps_code_names_whole(first_coded_set, tmp_path):
    result = dtors("train", first_coded_set, "--out", tmp_path / "model", COLUMNS="80")
    assert result.exit_code == 0, result.output
    _codes_are_whole(result.stdout, dn.load_model(tmp_path / "model").codes)


def test_progress_bars_show_their_total_and_no_single_step_bar(tmp_path):
    """On a terminal (a pseudo-terminal here): the reading bar counts the example files, and no
    bar has a single step."""
    command = [sys.executable, "-m", "dtors_nlp.cli", "annotate", str(EXAMPLES)]
    command += ["--out", str(tmp_path / "draft"), "--fast"]
    env = dict(os.environ, COLUMNS="120", DTORS_NLP_CACHE=str(tmp_path / "cache"))
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stderr=follower, stdout=subprocess.DEVNULL, env=env)
    os.close(follower)
    drawn = b""
    while chunk := _read(leader):
        drawn += chunk
    assert process.wait() == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn.decode("utf-8", "replace"))
    files = len(list(EXAMPLES.iterdir()))
    assert re.search(rf"Reading and coding transcripts\W+\d/{files}\b", screen), screen
    assert "/?" not in screen and not re.search(r"\b[01]/1\b", screen), screen


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the other end is closed
        return b""
