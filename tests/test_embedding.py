"""A text's sentence vector depends on the text alone: not on the texts encoded beside it, how a
run is cut into batches, or torch's number of threads (a local run against a cluster's
single-threaded workers). Before, the padding and size of a batch moved vectors by about 1e-7
and a few confidences in their fourth decimal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dtors_nlp as dn
from dtors_nlp.embed import BATCH_SIZE, MAX_BATCH_TOKENS, Embedder, length_batches

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "transcripts"


@pytest.fixture(scope="module")
def uncached():
    return Embedder(cache=False)


@pytest.fixture(scope="module")
def texts(starter_passages):
    """Passages of many lengths, one much longer than the model reads (truncated)."""
    chosen = [p.text for p in starter_passages[::9]]
    return chosen + [" ".join(chosen[:40])]


def test_a_vector_is_the_same_whatever_its_batch(uncached, texts):
    together = uncached.encode(texts)
    split = np.vstack([uncached.encode(texts[:37]), uncached.encode(texts[37:])])
    reversed_order = uncached.encode(texts[::-1])[::-1]
    one_at_a_time = np.vstack([uncached.encode([text]) for text in texts[:12]])
    assert np.array_equal(together, split)
    assert np.array_equal(together, reversed_order)
    assert np.array_equal(together[:12], one_at_a_time)


def test_a_vector_is_the_same_with_one_thread_as_with_several(uncached, texts):
    import torch

    several = uncached.encode(texts)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        one = uncached.encode(texts[::-1])[::-1]
    finally:
        torch.set_num_threads(threads)
    assert np.array_equal(several, one)


def test_padding_to_rounded_lengths_gives_the_sentence_models_own_vectors(uncached, texts):
    model = uncached._sentence_model()
    own = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    np.testing.assert_allclose(uncached.encode(texts), own, atol=1e-5)
    batches = length_batches(model, texts, BATCH_SIZE)
    assert sorted(i for batch, _ in batches for i in batch) == list(range(len(texts)))
    assert all(len(batch) <= BATCH_SIZE and length % 8 == 0 for batch, length in batches)
    assert all(len(batch) * length <= MAX_BATCH_TOKENS for batch, length in batches)
    assert max(length for _, length in batches) == model.max_seq_length  # the long text


def test_a_transcript_gets_the_same_confidences_alone_as_beside_others(small_model, uncached):
    arrays, settings = small_model.to_state()
    model = dn.CodeSuggester.from_state(arrays, settings, uncached)
    first, second = list(dn.load_transcripts(sorted(EXAMPLES.glob("*.txt"))[:2]))
    alone = model.suggest(first)
    beside = model.suggest_many([second, first])[first.id]
    assert alone and alone == beside


ENCODE_IN_A_FRESH_PROCESS = """
import json, os, sys
import numpy as np
from dtors_nlp.embed import Embedder
texts = json.load(open(sys.argv[1], encoding="utf-8"))
np.save(sys.argv[2], Embedder(cache=False).encode(texts))
print(os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"])
"""


def _encode_in_a_fresh_process(texts, folder: Path, capacity: str | None):
    """The vectors of ``texts`` from a new Python process, and the oneDNN primitive cache
    capacity it ran with (``capacity``: the user's own setting, None for none)."""
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_PRIMITIVE_CACHE_CAPACITY"}
    if capacity is not None:
        env["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] = capacity
    (folder / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    vectors = folder / f"vectors-{capacity}.npy"
    ran = subprocess.run(
        [sys.executable, "-c", ENCODE_IN_A_FRESH_PROCESS, folder / "texts.json", vectors],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return np.load(vectors), ran.stdout.split()[-1]


def test_torch_keeps_no_compiled_kernels_per_batch_shape_unless_the_user_says(texts, tmp_path):
    """Memory stays flat on a long run (docs/performance.md): oneDNN keeps none of its
    per-shape primitives, a setting of the user's own wins, and the vectors are the same."""
    ours, capacity = _encode_in_a_fresh_process(texts, tmp_path, None)
    theirs, their_capacity = _encode_in_a_fresh_process(texts, tmp_path, "1024")
    assert (capacity, their_capacity) == ("0", "1024")
    assert np.array_equal(ours, theirs)
