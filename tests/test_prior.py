"""Prior passages, the order-keeping calibration, the per-head context choice and ``bands``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dtors_nlp as dn
from dtors_nlp.coded import CodedPassage
from dtors_nlp.errors import TrainingDataError
from dtors_nlp.evaluate import held_out_prior
from dtors_nlp.heads import fit_scaling
from dtors_nlp.prior import resolve_prior, without_texts

REPO = Path(__file__).resolve().parents[1]


def test_auto_prior_is_the_starter_set_for_the_dtors_codebook(starter_passages):
    prior, source = resolve_prior("auto", dn.load_codebook())
    assert len(prior) == len(starter_passages) and "starter" in source


def test_auto_prior_is_empty_for_a_codebook_without_the_starter_codes():
    codebook = dn.load_codebook(REPO / "examples" / "annomi-codebook.yaml")
    assert resolve_prior("auto", codebook)[0] == []
    assert resolve_prior(None, codebook) == ([], "none")


def test_a_prior_file_with_an_unknown_code_is_refused_naming_it(tmp_path):
    bad = tmp_path / "prior.csv"
    bad.write_text("text,codes\nI was rattling.,pressure/physcal_need\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="prior.csv"):
        resolve_prior(bad, dn.load_codebook())


def test_prior_passages_already_in_the_data_are_left_out():
    prior = [CodedPassage("I was  rattling.", frozenset()), CodedPassage("Other.", frozenset())]
    assert without_texts(prior, ["I was rattling."]) == [prior[1]]


def test_evaluation_never_learns_a_test_passage_through_the_prior(starter_passages):
    evaluated = starter_passages[:100]
    prior = held_out_prior(evaluated, dn.load_codebook(), "auto")
    assert len(prior) == len(starter_passages) - 100
    assert not {p.text for p in prior} & {p.text for p in evaluated}


def _few_passages(starter_passages, per_code: int = 6) -> list[CodedPassage]:
    """A small coded set: a few passages of each of three codes, and uncoded ones."""
    chosen = []
    for code in ("pressure/physical_need", "outcome/relapsed", "environment/support_network"):
        chosen += [p for p in starter_passages if code in p.codes][:per_code]
    chosen += [p for p in starter_passages if not p.codes][:20]
    return list(dict.fromkeys(chosen))


def test_prior_passages_are_learned_from_but_never_scored(embedder, starter_passages):
    few = _few_passages(starter_passages)
    model = dn.CodeSuggester(embedder=embedder).fit_coded(few)
    alone = dn.CodeSuggester(embedder=embedder, prior_data=None).fit_coded(few)
    assert model.trained_on_["prior_passages"] == len(starter_passages) - len(few)
    assert alone.trained_on_["prior_passages"] == 0
    for code in model.codes:  # out-of-fold figures count the team's passages only
        assert model.metrics_[code]["support"] == sum(code in p.codes for p in few)
    held_out = [p for p in starter_passages if p not in few][::10]
    truth = np.array([["pressure/physical_need" in p.codes] for p in held_out]).ravel()
    texts = [p.text for p in held_out]

    def separation(m: dn.CodeSuggester) -> float:
        scores = m.predict_proba(texts)[:, m.codes.index("pressure/physical_need")]
        return scores[truth].mean() - scores[~truth].mean()

    assert separation(model) > separation(alone)


def test_prior_settings_are_saved(embedder, starter_passages, tmp_path):
    model = dn.CodeSuggester(embedder=embedder, prior_weight=0.5)
    model.fit_coded(_few_passages(starter_passages)).save(tmp_path / "m")
    loaded = dn.load_model(tmp_path / "m", embedder=embedder)
    assert loaded.prior_weight == 0.5 and loaded.prior_data == "auto"
    assert loaded.trained_on_["prior_passages"] > 0


def test_calibration_never_reorders_scores():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(60, 1))
    y = (scores[:, 0] < -0.5).astype(int)  # out of fold, the scores point the wrong way
    proba = fit_scaling(scores, y, 2).proba(scores)[:, 1]
    assert np.all(np.diff(proba[np.argsort(scores[:, 0])]) >= 0)
    many = rng.normal(size=(90, 3))
    labels = rng.integers(0, 3, 90)
    calibration = fit_scaling(many, labels, 3)
    for k in range(3):  # a higher score for a class never lowers its probability
        raised = many + 0.5 * np.eye(3)[k]
        assert np.all(calibration.proba(raised)[:, k] > calibration.proba(many)[:, k])


def test_each_head_chooses_whether_the_question_helps(embedder, starter_passages):
    few = _few_passages(starter_passages)
    contexts = ["How have things been since we last met?"] * len(few)
    texts, labels = [p.text for p in few], [set(p.codes) for p in few]
    model = dn.CodeSuggester(embedder=embedder, prior_data=None)
    model.fit(texts, labels, groups=[p.transcript for p in few], contexts=contexts)
    width = embedder.dimension + len(model.words_.vocabulary)  # all but the question's
    assert model.uses_context_
    assert {head.width_ for head in model.heads_} <= {None, width}
    for head in model.heads_:  # a head without context weighs the question's features zero
        if head.width_ == width:
            assert not head.base_.coef[:, width:].any()
    never = dn.CodeSuggester(embedder=embedder, prior_data=None, use_context=False)
    never.fit(texts, labels, contexts=contexts)
    assert not never.uses_context_


def test_bands_follow_the_thresholds_and_one_code_per_single_label_dimension(small_model):
    proba = np.random.default_rng(1).random((50, len(small_model.codes)))
    bands = small_model.bands(proba)
    for row in range(50):
        for column, code in enumerate(small_model.codes):
            if bands[row, column]:
                expected = small_model.band(code, proba[row, column])
                assert {"review": 1, "likely": 2}[expected] == bands[row, column]
    motivation = [i for i, c in enumerate(small_model.codes) if c.startswith("motivation/")]
    assert ((bands[:, motivation] > 0).sum(axis=1) <= 1).all()


def test_train_command_takes_a_prior_and_names_a_missing_one(starter_passages, tmp_path):
    from click.testing import CliRunner

    from dtors_nlp.cli import main

    data = tmp_path / "coded.csv"
    rows = ["text,codes,transcript"] + [
        f'"{p.text}",{";".join(sorted(p.codes))},{p.transcript}'
        for p in _few_passages(starter_passages)
    ]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    runner = CliRunner()
    missing = runner.invoke(
        main,
        [
            "train",
            str(data),
            "--out",
            str(tmp_path / "m"),
            "--prior",
            str(tmp_path / "nowhere.csv"),
        ],
    )
    assert missing.exit_code == 2
    assert missing.output.strip().splitlines()[-1].endswith("nowhere.csv: no such file or folder")
    assert not (tmp_path / "m").exists()
    done = runner.invoke(
        main, ["-q", "train", str(data), "--out", str(tmp_path / "m"), "--prior", "none"]
    )
    assert done.exit_code == 0, done.output
    assert "- Prior passages: none" in (tmp_path / "m" / "README.md").read_text()
