"""CodeSuggester: training, calibrated probabilities, bands, suggestions and exemplars."""

from __future__ import annotations

import numpy as np
import pytest

import dtors_nlp as dn
from dtors_nlp.model import assign_folds, threshold_for_precision, threshold_for_recall
from dtors_nlp.transcripts.spans import Passage, Transcript, Turn


def test_fit_returns_the_model_with_learned_state(small_model):
    assert isinstance(small_model, dn.CodeSuggester)
    assert small_model.codes and set(small_model.codes) <= set(small_model.codebook_.codes)
    assert set(small_model.thresholds_) == set(small_model.codes)
    for code in small_model.codes:
        assert small_model.thresholds_[code]["review"] <= small_model.thresholds_[code]["likely"]


def test_predict_proba_columns_follow_codes(small_model, starter_passages):
    texts = [p.text for p in starter_passages[1:40:3]]
    proba = small_model.predict_proba(texts)
    assert proba.shape == (len(texts), len(small_model.codes))
    assert np.all((proba >= 0) & (proba <= 1))
    for dimension in small_model.codebook_.dimensions:
        if not dimension.multi_label:  # codes without training passages have no column
            known = [c for c in dimension.qualified_codes if c in small_model.codes]
            columns = [small_model.codes.index(c) for c in known]
            assert np.all(proba[:, columns].sum(axis=1) <= 1 + 1e-9)


def test_probabilities_rank_held_out_passages(small_model, starter_passages):
    """On passages it never saw, a code's probability is higher where a coder gave that code."""
    held_out = [p for i, p in enumerate(starter_passages) if i % 3 == 1]
    proba = small_model.predict_proba([p.text for p in held_out])
    code = "outcome/relapsed"
    column = small_model.codes.index(code)
    with_code = proba[[code in p.codes for p in held_out], column]
    without = proba[[code not in p.codes for p in held_out], column]
    assert with_code.mean() > 3 * without.mean()


def test_codes_with_too_few_examples_are_reported_and_never_suggested(embedder, starter_passages):
    few = [p for p in starter_passages if "barrier/referral" in p.codes][:3]
    others = [p for p in starter_passages if "barrier/referral" not in p.codes][::6]
    model = dn.CodeSuggester(embedder=embedder).fit_coded(few + others)
    assert model.untrained_codes_["barrier/referral"] == 3
    assert "barrier/referral" not in model.codes
    suggestions = model.suggest(_transcript([p.text for p in few]))
    assert all(s.code != "barrier/referral" for s in suggestions)


def test_suggestions_carry_offsets_bands_and_exemplars(small_model, starter_passages):
    texts = [p.text for p in starter_passages[1:30:2]]
    transcript = _transcript(texts)
    suggestions = small_model.suggest(transcript)
    assert suggestions
    training_texts = {p.text for p in starter_passages[::3]}
    single = {d.name for d in small_model.codebook_.dimensions if not d.multi_label}
    per_dimension: dict[tuple[int, str], int] = {}
    for s in suggestions:
        assert transcript.text[s.start : s.end] == s.text
        assert s.band in {"likely", "review"}
        assert s.band == small_model.band(s.code, s.confidence)
        assert s.exemplars and set(s.exemplars) <= training_texts
        key = (s.passage, s.code.split("/")[0])
        per_dimension[key] = per_dimension.get(key, 0) + 1
    assert all(n == 1 for (_, dim), n in per_dimension.items() if dim in single)


def test_exemplars_have_the_suggested_code(small_model, starter_passages):
    coded_as = {p.text: p.codes for p in starter_passages[::3]}
    for s in small_model.suggest(_transcript([p.text for p in starter_passages[2:20:3]])):
        assert all(s.code in coded_as[text] for text in s.exemplars)


def test_unknown_codes_are_refused_with_their_names(embedder):
    with pytest.raises(dn.TrainingDataError, match="barrier/waiting"):
        dn.CodeSuggester(embedder=embedder).fit(["a"] * 20, [{"barrier/waiting"}] * 20)


def test_two_codes_of_a_single_label_dimension_are_refused(embedder):
    labels = [{"outcome/relapsed", "outcome/recovering"}] + [set()] * 19
    with pytest.raises(dn.TrainingDataError, match="single-label dimension 'outcome'"):
        dn.CodeSuggester(embedder=embedder).fit([f"text {i}" for i in range(20)], labels)


def test_folds_keep_each_transcript_on_one_side():
    groups = [f"T{i % 7}" for i in range(70)] + [None] * 5
    folds = assign_folds(len(groups), groups, 5)
    for group in {g for g in groups if g}:
        assert len({folds[i] for i, g in enumerate(groups) if g == group}) == 1
    assert set(folds) == set(range(5))


def test_thresholds_reach_their_targets():
    scores = np.array([0.95, 0.9, 0.85, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    positive = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 0], dtype=bool)
    assert threshold_for_precision(scores, positive, 0.9) == 0.85
    assert threshold_for_recall(scores, positive, 0.8) == 0.6
    assert threshold_for_precision(scores, ~positive, 0.99) == 1.01  # never reached


def _transcript(texts: list[str]) -> Transcript:
    """A transcript of interviewee answers, one passage each, built with exact offsets."""
    text, turns, passages = "", [], []
    for i, answer in enumerate(texts):
        question = "Interviewer: How was that?\n"
        start = len(text) + len(question) + len("Participant: ")
        text += question + "Participant: " + answer + "\n"
        turns.append(Turn("Participant", "interviewee", start, start + len(answer), answer))
        passages.append(Passage(start, start + len(answer), answer, "Participant", i))
    return Transcript("t1", "t1.txt", text, turns, passages=passages)


def test_predict_decides_at_most_one_code_per_single_label_dimension(small_model, starter_passages):
    held_out = [p for i, p in enumerate(starter_passages) if i % 3 == 1][:60]
    decided = small_model.predict([p.text for p in held_out])
    assert len(decided) == len(held_out)
    single = [d.name for d in small_model.codebook_.dimensions if not d.multi_label]
    for codes in decided:
        assert codes <= set(small_model.codes)
        for dimension in single:
            assert sum(code.startswith(f"{dimension}/") for code in codes) <= 1
    hits = sum(len(codes & p.codes) for codes, p in zip(decided, held_out))
    assert hits >= 0.3 * sum(len(p.codes) for p in held_out)


def test_decision_weights_favour_a_rare_class_when_that_raises_f1():
    from dtors_nlp.heads import tune_decision_weights

    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.1).astype(int)
    p1 = np.clip(0.05 + 0.3 * y + 0.1 * rng.random(400), 0, 1)  # calibrated but never > 0.5
    weights = tune_decision_weights(y, np.column_stack([1 - p1, p1]))
    assert weights[0] == 1 and weights[1] > 1
    assert ((np.column_stack([1 - p1, p1]) * weights).argmax(axis=1) == y).mean() > 0.9


def test_a_training_set_with_nothing_to_learn_is_refused(embedder):
    texts = [f"passage number {i}" for i in range(20)]
    labels = [{"barrier/engagement"}] * 2 + [set()] * 18
    with pytest.raises(dn.TrainingDataError, match="nothing to learn"):
        dn.CodeSuggester(embedder=embedder).fit(texts, labels)
