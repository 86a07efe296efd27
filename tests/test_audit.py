"""The audit of the hand coding: deliberately flipped codes on the starter training set are
found among the doubts; the command line."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from dtors_nlp.audit import audit, surprises
from dtors_nlp.cli import main
from dtors_nlp.codebook import load_codebook
from dtors_nlp.labels import LabelMatrix

FLIPPED, TOP = 30, 60
# The target is 70% of the flips among the top 60; measured: 12 of 30 (40%), with the
# flips added wrongly found and the codes taken away not (see docs/audit.md). This guards the
# measured level until the target is reached.
FOUND_AT_LEAST = 0.35


def flip_codes(passages, count: int, seed: int = 14):
    """Passages with ``count`` codes flipped in multi-label dimensions (half given wrongly,
    half taken away), and the (passage, code) cells flipped."""
    rng = random.Random(seed)
    codebook = load_codebook()
    multi = [c for d in codebook.dimensions if d.multi_label for c in d.qualified_codes]
    passages, flipped = list(passages), set()
    for row in rng.sample(range(len(passages)), count):
        passage = passages[row]
        given = sorted(passage.codes & set(multi))
        if len(flipped) % 2 and given:
            code = rng.choice(given)
            passages[row] = replace(passage, codes=passage.codes - {code})
        else:
            code = rng.choice(sorted(set(multi) - passage.codes))
            passages[row] = replace(passage, codes=passage.codes | {code})
        flipped.add((row, code))
    return passages, flipped


def test_surprise_is_the_improbability_of_the_coders_choice():
    codebook = load_codebook()
    code = codebook.codes[0]
    labels = LabelMatrix.from_sets([{code}, set()], codebook)
    proba = np.full((2, len(codebook.codes)), 0.5)
    proba[:, 0] = [0.25, 0.75]
    proba[1, 1] = np.nan  # a code the fold's model did not learn: not checked
    surprise, checked = surprises(labels, proba)
    assert surprise[0, 0] == pytest.approx(2.0) and surprise[1, 0] == pytest.approx(2.0)
    assert not checked[1, 1] and surprise[1, 1] == -np.inf
    assert checked.sum() == 2 * len(codebook.codes) - 1


@pytest.mark.slow
def test_audit_finds_most_flipped_codes_on_the_starter_training_set(embedder, starter_passages):
    passages, flipped = flip_codes(starter_passages, FLIPPED)
    result = audit(passages, n=TOP, embedder=embedder, prior_data=None)
    found = {(d.passage, d.code) for d in result.doubts} & flipped
    assert len(result.doubts) == TOP
    assert len(found) >= FOUND_AT_LEAST * FLIPPED, f"found {len(found)} of {FLIPPED}"
    assert result.passages == len(passages)
    assert result.codings_checked > 0.9 * len(passages) * len(result.codes_checked)
    assert all(d.coded_the_other_way for d in result.doubts)


def test_audit_command_refuses_too_few_transcripts_in_one_line(tmp_path):
    data = tmp_path / "coded.csv"
    data.write_text(
        "text,codes,transcript\n"
        + "".join(f"passage {i},pressure/physical_need,int{i % 2}\n" for i in range(20)),
        encoding="utf-8",
    )
    done = CliRunner().invoke(main, ["-q", "audit", str(data), "--out", str(tmp_path / "a.csv")])
    assert done.exit_code == 2
    assert "only 2 transcripts" in done.output and done.output.count("\n") == 1
    assert not (tmp_path / "a.csv").exists()
