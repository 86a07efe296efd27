"""The starter corpus: interviews written by the team, their coding, and what is built from them."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

import dtors_nlp as dn

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "models" / "starter-corpus"
STARTER = REPO / "models" / "dtors-starter"
TRAINING_SET = STARTER / "training-data" / "interviews.csv"


@pytest.fixture(scope="module")
def built(tmp_path_factory, load_script) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("corpus")
    training, project = folder / "interviews.csv", folder / "coding.qdpx"
    load_script("models/starter_corpus.py").build(training, project)
    return training, project


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_every_interview_is_read_and_none_is_skipped():
    files = sorted(p for p in (CORPUS / "interviews").iterdir() if not p.name.startswith("."))
    transcripts = list(dn.load_transcripts(files))
    assert len(files) >= 30 and len(transcripts) == len(files)
    assert {p.suffix for p in files} >= {".txt", ".docx", ".srt"}
    for transcript in transcripts:
        roles = {turn.role for turn in transcript.turns}
        assert roles == {"interviewer", "interviewee"}, transcript.source
        words = len(transcript.text.split())
        assert 1_300 <= words <= 5_500, f"{transcript.source}: {words} words"


def test_the_shipped_training_set_is_what_the_pipeline_makes_of_the_interviews(built):
    training, _ = built
    assert rows(training) == rows(TRAINING_SET)


def test_every_code_of_the_codebook_has_at_least_30_passages_and_most_passages_none():
    passages = dn.load_coded(TRAINING_SET)
    counts = Counter(code for p in passages for code in p.codes)
    assert {code: counts[code] for code in dn.load_codebook().codes if counts[code] < 30} == {}
    assert sum(not p.codes for p in passages) > len(passages) / 2


def test_the_coding_project_holds_the_same_coding_as_the_training_set(built):
    _, project = built
    from_project = {(p.transcript, p.text): p.codes for p in dn.load_coded(project)}
    from_csv = {(p.transcript, p.text): p.codes for p in dn.load_coded(TRAINING_SET)}
    assert from_project == {key: codes for key, codes in from_csv.items() if codes}


def test_the_shipped_model_cards_match_the_training_set():
    passages = dn.load_coded(STARTER / "training-data")
    transcripts = len({p.transcript for p in passages})
    card = (STARTER / "README.md").read_text("utf-8")
    assert f"{len(passages)} hand-coded passages from {transcripts} transcripts" in card
    version = dn.load_codebook().version
    for model in (STARTER, REPO / "models" / "dtors-starter-fast"):
        assert f"Codebook: DTORS {version}" in (model / "README.md").read_text("utf-8")
    fast = dn.load_model(REPO / "models/dtors-starter-fast", embedder=REPO / "models/minilm-static")
    assert dn.load_model().codebook_ == fast.codebook_ == dn.load_codebook()


def test_no_detail_falls_outside_the_study_era():
    anachronisms = re.compile(
        r"\b(whatsapp|fortnite|spice|universal credit|smartphone|instagram)\b"
    )
    for path in (CORPUS / "interviews").glob("*.txt"):
        found = anachronisms.findall(path.read_text("utf-8").lower())
        assert not found, f"{path.name}: {found}"
