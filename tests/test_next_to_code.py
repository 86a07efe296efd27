"""What to code next: ranking pool passages, the coding sheet, and the sheet read back."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dtors_nlp.cli import main
from dtors_nlp.coded import CodedPassage, load_coded
from dtors_nlp.embed import Embedder
from dtors_nlp.next_to_code import SHEET_COLUMNS, diverse_pick, rank_for_coding, write_coding_sheet
from dtors_nlp.transcripts import load_transcripts

STARTER = Path(__file__).parent.parent / "models" / "dtors-starter" / "training-data"
TRAINING = [f"PM-S0{i}" for i in range(1, 7)]
POOL = ["PM-S07", "PM-S08", "PM-S09"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp() / "embeddings"


@pytest.fixture(scope="module")
def embedder(cache_dir) -> Embedder:
    return Embedder(cache=cache_dir)


@pytest.fixture(scope="module")
def coded() -> list[CodedPassage]:
    return load_coded(STARTER / "vignettes" / "pressure_motivation.csv")


@pytest.fixture(scope="module")
def training(coded) -> list[CodedPassage]:
    return [p for p in coded if p.transcript in TRAINING]


@pytest.fixture(scope="module")
def pool_dir(coded, tmp_path_factory) -> Path:
    """Three interviews as plain-text transcripts, one answer repeated and one already coded."""
    folder = tmp_path_factory.mktemp("pool")
    repeated, known = coded[-1].text, coded[0].text
    for name in POOL:
        answers = [p.text for p in coded if p.transcript == name] + [repeated, known]
        turns = [f"Interviewer: What happened next?\n\nParticipant: {text}" for text in answers]
        (folder / f"{name}.txt").write_text("\n\n".join(turns) + "\n", encoding="utf-8")
    return folder


def test_ranks_n_distinct_uncoded_passages(training, pool_dir, embedder):
    pool = list(load_transcripts(pool_dir))
    ranked = rank_for_coding(training, pool, n=12, embedder=embedder)
    texts = [c.text for c in ranked]
    assert len(ranked) == 12 and len(set(texts)) == 12
    assert not set(texts) & {p.text for p in training}
    assert ranked[0].uncertainty == max(c.uncertainty for c in ranked)
    assert all(c.reason.startswith("unsure about ") for c in ranked)
    first = ranked[0]
    transcript = next(t for t in pool if t.id == first.transcript)
    assert transcript.text[first.start : first.end] == first.text
    assert first.context == "What happened next?"


def test_small_pool_gives_every_passage_once(training, pool_dir, embedder):
    pool = list(load_transcripts(pool_dir / "PM-S07.txt"))
    ranked = rank_for_coding(training, pool, n=500, embedder=embedder)
    unique = {p.text for p in pool[0].passages} - {p.text for p in training}
    assert sorted(c.text for c in ranked) == sorted(unique)


def test_diverse_pick_skips_near_duplicates():
    vectors = np.array([[1.0, 0.0], [0.999, 0.045], [0.0, 1.0]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert diverse_pick(vectors, np.array([1.0, 0.95, 0.6]), 2) == [0, 2]


def test_filled_sheet_trains(training, pool_dir, embedder, tmp_path):
    ranked = rank_for_coding(training, load_transcripts(pool_dir), n=5, embedder=embedder)
    sheet = tmp_path / "next.csv"
    write_coding_sheet(ranked, sheet)
    with sheet.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert tuple(rows[0]) == SHEET_COLUMNS and all(row["codes"] == "" for row in rows)
    rows[0]["codes"] = "motivation/deep;pressure/physical_need"  # the coder's work
    rows[1]["codes"] = ""  # coded: no code applies
    with sheet.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=SHEET_COLUMNS)
        writer.writeheader()
        writer.writerows(rows[:2])  # rows not coded are deleted
    back = load_coded(sheet)
    assert [p.codes for p in back] == [
        frozenset({"motivation/deep", "pressure/physical_need"}),
        frozenset(),
    ]
    assert back[0].transcript == ranked[0].transcript and back[0].context == ranked[0].context


def test_cli_next_to_code(training, pool_dir, cache_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("DTORS_NLP_CACHE", str(cache_dir))
    data = tmp_path / "coded.csv"
    with data.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "codes", "transcript"])
        writer.writerows([p.text, ";".join(p.codes), p.transcript] for p in training)
    out = tmp_path / "next.csv"
    args = ["next-to-code", str(data), "--pool", str(pool_dir), "-n", "7", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert len(load_coded(out)) == 7
    assert CliRunner().invoke(main, args).exit_code == 2  # no overwrite without --force


def test_cli_next_to_code_needs_data_or_model(pool_dir, tmp_path):
    result = CliRunner().invoke(
        main, ["next-to-code", "--pool", str(pool_dir), "--out", str(tmp_path / "x.csv")]
    )
    assert result.exit_code == 2 and "give hand-coded DATA" in result.output
