"""Benchmark helpers: the throughput corpus generator (reproducible, its transcripts load) and
the audit ceiling's counting."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import dtors_nlp as dn
from dtors_nlp.codebook import load_codebook
from dtors_nlp.labels import LabelMatrix

REPO = Path(__file__).resolve().parents[1]


def test_the_synthetic_corpus_is_reproducible_and_loads(tmp_path, load_script):
    throughput = load_script("benchmarks/throughput.py")
    first = throughput.generate_corpus(tmp_path / "a", 1, seed=3, words=600)
    again = throughput.generate_corpus(tmp_path / "b", 1, seed=3, words=600)
    assert first[0].read_text("utf-8") == again[0].read_text("utf-8")
    transcript = dn.load_transcript(first[0])
    assert {turn.role for turn in transcript.turns} == {"interviewer", "interviewee"}
    assert len(transcript.text.split()) >= 600
    texts = [passage.text for passage in transcript.passages]
    assert texts and len(set(texts)) > 0.9 * len(texts)  # the embedding cache must not hit


def test_the_audit_ceiling_splits_the_places_between_the_kinds_knowing_the_flips(
    load_script, monkeypatch
):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    ceiling = load_script("benchmarks/audit_ceiling.py")
    monkeypatch.setattr(ceiling, "TOP", 2)
    codebook = load_codebook()
    labels = LabelMatrix.from_sets([{"barrier/engagement"}, {"barrier/referral"}, set()], codebook)
    column = labels.codes.index
    proba = np.full(labels.values.shape, 0.5)
    proba[0, column("barrier/engagement")] = 0.01  # given, flipped
    proba[1, column("barrier/referral")] = 0.9  # given, genuine
    proba[2, column("barrier/delivery")] = 0.99  # missing, flipped
    proba[2, column("barrier/assessment")] = 0.98  # missing, genuine
    flipped = {(0, column("barrier/engagement")), (2, column("barrier/delivery"))}
    assert ceiling.best_split(labels, proba, flipped) == 2  # one place for each kind
    assert ceiling.found_by_ranking(proba, flipped) == 1  # the two highest: 0.99 and 0.98
