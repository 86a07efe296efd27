"""Sentence models named as on the Hugging Face hub: found in the user's own cache, never
downloaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dtors_nlp.embed import default_model_path
from dtors_nlp.errors import ModelError

LOOKUP = """
import sys
import dtors_nlp as dn
embedder = dn.Embedder(sys.argv[1], cache=False)
print(embedder.name, embedder.model_path, embedder.encode(["I was rattling."]).shape)
"""


def _hub_cache(root: Path, repo_id: str) -> Path:
    """A Hugging Face cache holding the bundled MiniLM under ``repo_id``, as the hub lays it."""
    repo = root / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.parent.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    snapshot.symlink_to(default_model_path(), target_is_directory=True)
    return snapshot


def _lookup(name: str, cache: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-c", LOOKUP, name], env=env, capture_output=True, text=True
    )


def test_a_hub_name_in_the_local_cache_is_used(tmp_path):
    snapshot = _hub_cache(tmp_path, "sentence-transformers/paraphrase-MiniLM-L3-v2")
    done = _lookup("sentence-transformers/paraphrase-MiniLM-L3-v2", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["paraphrase-MiniLM-L3-v2", str(snapshot), "(1,", "384)"]
    short = _lookup("paraphrase-MiniLM-L3-v2", tmp_path)  # sentence-transformers/ is implied
    assert short.returncode == 0 and str(snapshot) in short.stdout


def test_a_name_missing_from_the_cache_is_a_one_line_error_and_nothing_is_fetched(tmp_path):
    done = _lookup("sentence-transformers/paraphrase-MiniLM-L3-v2", tmp_path)
    assert done.returncode != 0
    assert "never downloads" in done.stderr
    assert not any(tmp_path.iterdir())


def test_a_folder_that_is_not_a_model_is_refused(tmp_path):
    from dtors_nlp.embed import Embedder

    with pytest.raises(ModelError, match="not a sentence-transformers model folder"):
        Embedder(tmp_path)
