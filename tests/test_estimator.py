"""CodeSuggester as a scikit-learn estimator: parameters, clone, checks, NotFittedError."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import dtors_nlp as dn
from dtors_nlp.errors import ParameterError


def test_get_params_set_params_and_clone(embedder):
    model = dn.CodeSuggester(embedder=embedder, likely_precision=0.8, c=(0.3, 1.0))
    params = model.get_params()
    assert params["likely_precision"] == 0.8 and params["c"] == (0.3, 1.0)
    assert model.set_params(folds=3) is model and model.folds == 3
    copy = clone(model)
    assert copy is not model and copy.get_params()["folds"] == 3
    assert copy.embedder is embedder  # the sentence model is shared, never copied
    assert "likely_precision=0.8" in repr(model)


def test_a_clone_of_a_fitted_model_is_unfitted(small_model):
    fresh = clone(small_model)
    assert not hasattr(fresh, "heads_")
    with pytest.raises(NotFittedError):
        fresh.predict_proba(["I was rattling."])


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("likely_precision", 1.5),
        ("review_recall", 0.0),
        ("folds", 1),
        ("min_examples", 0),
        ("use_context", "sometimes"),
        ("c", -1.0),
        ("prior_weight", -0.5),
        ("n_jobs", 0),
        ("n_jobs", "two"),
    ],
)
def test_parameters_out_of_range_are_refused_in_one_line(embedder, parameter, value):
    model = dn.CodeSuggester(embedder=embedder, **{parameter: value})
    with pytest.raises(ParameterError, match=f"^{parameter}=") as caught:
        model.fit(["a passage", "another"] * 10, [set()] * 20)
    assert "\n" not in str(caught.value)


def test_predicting_before_fit_raises_not_fitted(embedder):
    model = dn.CodeSuggester(embedder=embedder)
    with pytest.raises(NotFittedError):
        model.predict_proba(["I was rattling."])
    with pytest.raises(NotFittedError):
        model.predict(["I was rattling."])


def test_to_state_and_from_state_rebuild_the_same_model(small_model, starter_passages):
    arrays, settings = small_model.to_state()
    saved = json.dumps(settings)  # JSON holds the settings as they are
    assert all(isinstance(array, np.ndarray) for array in arrays.values())
    rebuilt = dn.CodeSuggester.from_state(arrays, settings, small_model.embedder_)
    texts = [p.text for p in starter_passages[1:40:3]]
    np.testing.assert_array_equal(rebuilt.predict_proba(texts), small_model.predict_proba(texts))
    assert json.dumps(rebuilt.to_state()[1]) == saved


def test_fitting_in_several_processes_gives_the_same_model_and_is_not_saved(
    embedder, starter_passages
):
    train, unseen = starter_passages[::4], [p.text for p in starter_passages[1:200:5]]
    models = [
        dn.CodeSuggester(embedder=embedder, prior_data=None, n_jobs=jobs).fit_coded(train)
        for jobs in (None, 2)
    ]
    np.testing.assert_array_equal(*(model.predict_proba(unseen) for model in models))
    assert models[0].thresholds_ == models[1].thresholds_
    assert "n_jobs" not in models[1].to_state()[1]["parameters"]


def test_to_state_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        dn.CodeSuggester().to_state()


def test_an_unknown_parameter_is_refused():
    with pytest.raises(ValueError, match="no parameter 'folds_'"):
        dn.CodeSuggester().set_params(folds_=3)


def test_loading_a_model_imports_no_scikit_learn():
    code = (
        "import sys; from dtors_nlp.persist import load_model; load_model(); "
        "print('sklearn' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_repr_stays_short_with_a_thousand_prior_passages(starter_passages):
    shown = repr(dn.CodeSuggester(prior_data=list(starter_passages), folds=3))
    assert shown.startswith("CodeSuggester(") and "folds=3" in shown and len(shown) < 1000
