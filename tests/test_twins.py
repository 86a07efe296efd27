"""One helper per job: unknown codes, path to Embedder, closing the embedding cache."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import dtors_nlp as dn
from dtors_nlp.embed import Embedder, as_embedder
from dtors_nlp.labels import LabelMatrix

REPO = Path(__file__).resolve().parents[1]


def test_fit_names_an_unknown_code_where_it_is_used_and_the_code_meant():
    codebook = dn.load_codebook()
    known = codebook.codes[:3]
    label_sets = [{known[0]}, {known[1]}, {"pressure/physical_needs"}, {known[2]}]
    with pytest.raises(dn.TrainingDataError) as raised:
        LabelMatrix.from_sets(label_sets, codebook)
    assert "pressure/physical_needs in passage 3 (did you mean pressure/physical_need?)" in str(
        raised.value
    )


def test_as_embedder_keeps_an_embedder_and_builds_one_from_a_folder(embedder):
    assert as_embedder(embedder) is embedder
    assert as_embedder(embedder.model_path).model_path == embedder.model_path


def test_closing_an_embedder_closes_its_cache_and_encode_opens_it_again(tmp_path):
    with Embedder(cache=tmp_path) as embedder:
        embedder.encode(["I was rattling."])
        cache = embedder._cache
    with pytest.raises(sqlite3.ProgrammingError):
        cache.get_many(["key"])
    assert embedder.encode(["I was rattling."]).shape[0] == 1
    embedder.close()


def test_skops_is_not_a_dependency():
    assert "skops" not in (REPO / "pyproject.toml").read_text()


def test_label_matrix_from_coded_passages_keeps_partial_codings():
    codebook = dn.load_codebook()
    code, other = codebook.codes[:2]
    passages = [
        dn.CodedPassage("I needed it.", frozenset({code})),
        dn.CodedPassage("Not that.", frozenset(), rejected=frozenset({other}), complete=False),
    ]
    labels = LabelMatrix.from_coded(passages, codebook)
    assert labels.column(code).tolist() == [1, -1] and labels.column(other).tolist() == [0, 0]
