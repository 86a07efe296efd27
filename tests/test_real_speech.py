"""Real client speech coded with the DTORS codebook (../shared/data/annomi/dtors-dev).

Labels for evaluation only: nothing here is kept, and the tests skip when the data is not beside
the clone. They hold the library to what benchmarks/real_speech.py reports: on conversations it
never saw, it ranks codes better than a plain logistic regression on its own embeddings.
"""

from __future__ import annotations

import numpy as np
import pytest

import dtors_nlp as dn
from dtors_nlp.model import assign_folds


@pytest.fixture(scope="module")
def real_speech(load_script):
    module = load_script("benchmarks/real_speech.py")
    if not (module.DEFAULT_ANNOMI / "dtors-dev" / "dtors-dev.jsonl").is_file():
        pytest.skip("the shared DTORS-coded AnnoMI passages are not beside the clone")
    return module


@pytest.fixture(scope="module")
def dev(real_speech):
    passages = real_speech.load_dev_passages(real_speech.DEFAULT_ANNOMI)
    codebook = dn.load_codebook()
    codes = [c for c in codebook.codes if sum(c in p.codes for p in passages) >= 10]
    truth = np.array([[code in p.codes for code in codes] for p in passages])
    folds = assign_folds(len(passages), [p.transcript for p in passages], 5)
    return passages, codes, truth, folds


def test_dev_passages_are_rebuilt_from_annomi_without_held_out_conversations(real_speech, dev):
    passages = dev[0]
    assert len(passages) == 392
    assert not {int(p.transcript) for p in passages} & real_speech.HELD_OUT
    assert sum(bool(p.codes) for p in passages) == 208
    assert sum(bool(p.context) for p in passages) >= 0.95 * len(passages)
    assert all(p.text.strip() and p.speaker == "client" for p in passages)


def test_the_library_ranks_better_than_its_own_baseline(real_speech, dev, embedder):
    passages, codes, truth, folds = dev
    vectors = embedder.encode([p.text for p in passages])
    baseline = real_speech.run_baseline(
        lambda train, test: (vectors[train], vectors[test]), truth, folds
    )
    library = real_speech.run_library(passages, codes, folds, embedder, {})
    ours = real_speech.figures(truth, library, folds)
    theirs = real_speech.figures(truth, baseline, folds)
    assert ours["auc"] > theirs["auc"] + 0.01
    assert ours["auc_within_folds"] > theirs["auc_within_folds"] + 0.01
    assert 0 < ours["suggested_precision"] < 1 and ours["suggested_recall"] > 0.5
