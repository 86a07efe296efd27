"""Shared test helpers."""

from __future__ import annotations

import pytest


@pytest.fixture
def assert_offsets():
    """A check that every turn, sentence and passage of a transcript sits at its offsets."""

    def check(transcript) -> None:
        for span in [*transcript.turns, *transcript.sentences, *transcript.passages]:
            assert 0 <= span.start < span.end <= len(transcript.text)
            assert transcript.text[span.start : span.end] == span.text

    return check


REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
STARTER_DATA = REPO / "models" / "dtors-starter" / "training-data" / "vignettes"


@pytest.fixture(scope="session")
def load_script():
    """Import one of the repository's scripts (a benchmark, an example) by its path from the
    repository's root."""
    import importlib.util
    import sys

    def load(relative: str):
        path = REPO / relative
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="session")
def embedder(tmp_path_factory):
    """The bundled MiniLM with a cache of its own, shared by the whole test run."""
    from dtors_nlp.embed import Embedder

    return Embedder(cache=tmp_path_factory.mktemp("embedding-cache"))


@pytest.fixture(scope="session")
def starter_passages():
    """The starter training set's 1,199 short vignettes written by the team (the whole
    interviews beside them are tested in test_starter_corpus.py)."""
    from dtors_nlp.coded import load_coded

    return load_coded(STARTER_DATA)


@pytest.fixture(scope="session")
def small_model(embedder, starter_passages):
    """A model trained on every third starter passage (fast, and leaves data for testing).

    No prior passages: the default prior is the starter set itself, whose other passages the
    tests use as unseen data.
    """
    from dtors_nlp.model import CodeSuggester

    model = CodeSuggester(embedder=embedder, name="test model", prior_data=None)
    return model.fit_coded(starter_passages[::3])


@pytest.fixture(autouse=True, scope="session")
def private_embedding_cache(tmp_path_factory):
    """Keep the tests' embeddings out of the user's own cache folder."""
    import os

    folder = tmp_path_factory.mktemp("default-cache")
    previous = os.environ.get("DTORS_NLP_CACHE")
    os.environ["DTORS_NLP_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("DTORS_NLP_CACHE", None)
    else:
        os.environ["DTORS_NLP_CACHE"] = previous
