"""The fast mode: the static embedding model distilled from MiniLM and its starter model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import dtors_nlp as dn
from dtors_nlp.cli import main
from dtors_nlp.embed import is_static_model
from dtors_nlp.persist import starter_model_path

pytest.importorskip("model2vec")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "transcripts"
STATIC = starter_model_path("minilm-static")


def test_the_static_model_gives_unit_vectors(tmp_path):
    assert is_static_model(STATIC) and not is_static_model(dn.Embedder().model_path)
    embedder = dn.Embedder(STATIC, cache=tmp_path)
    vectors = embedder.encode(["I was rattling.", "The key worker listened.", "I was rattling."])
    assert vectors.shape == (3, embedder.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])
    assert np.array_equal(embedder.encode(["I was rattling."])[0], vectors[0])  # from the cache


def test_annotate_fast_uses_the_fast_starter_model(tmp_path):
    out = tmp_path / "draft"
    result = CliRunner().invoke(
        main, ["--quiet", "annotate", str(EXAMPLES), "--out", str(out), "--fast"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "suggestions.jsonl").open(encoding="utf-8")]
    assert rows and {row["model"] for row in rows} == {f"dtors-starter-fast {dn.__version__}"}


def test_fast_refuses_another_model(tmp_path):
    args = ["annotate", str(EXAMPLES), "--out", str(tmp_path / "d"), "--fast", "--model", "m"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "--fast" in result.output
