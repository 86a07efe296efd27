"""annotate on a dask.distributed cluster: a real LocalCluster of two worker processes.

The runs use the fast starter model (static embeddings), so that a run takes a second and the
tests check the distribution, not the encoder: the same outputs as a local run, a
worker killed mid-run, a scheduler that is not there, dask not installed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import dtors_nlp.annotate
import dtors_nlp.distributed
from dtors_nlp.cli import main
from dtors_nlp.embed import Embedder, default_cache_dir
from dtors_nlp.errors import DtorsError
from dtors_nlp.persist import load_model, starter_model_path

distributed = pytest.importorskip("distributed")

TRANSCRIPTS = 12
OUTPUTS = (
    "suggestions.jsonl",
    "suggestions.csv",
    "summary.csv",
    "skipped.csv",
    "draft.qdpx",
    "draft.html",
)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with cluster, distributed.Client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, starter_passages) -> Path:
    """A dozen interviews of eight answers each from the starter set, and one unreadable file."""
    folder = tmp_path_factory.mktemp("corpus")
    answers = iter(starter_passages[1::3])
    for number in range(TRANSCRIPTS):
        turns = [
            f"Interviewer: And then what happened?\nParticipant: {next(answers).text}\n"
            for _ in range(8)
        ]
        (folder / f"int{number:02}.txt").write_text("\n".join(turns), "utf-8")
    (folder / "broken.txt").write_bytes(b"\x00\x01binary\x00")
    return folder


@pytest.fixture(autouse=True)
def one_file_per_batch(monkeypatch):
    """Many small batches, so that both workers get some."""
    monkeypatch.setattr(dtors_nlp.annotate, "BYTES_PER_BATCH", 1)
    monkeypatch.setattr(dtors_nlp.annotate, "BYTES_PER_TASK", 1)


def fast_model():
    static = Embedder(starter_model_path("minilm-static"), cache=False)
    return load_model(starter_model_path("dtors-starter-fast"), embedder=static)


def annotate(corpus: Path, out: Path, *more: str):
    args = ["--quiet", "annotate", str(corpus), "--out", str(out), "--fast", "--no-cache"]
    args += ["--format", "jsonl,csv,qdpx,html", *more]
    return CliRunner().invoke(main, args)


def outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def test_a_cluster_run_writes_the_same_bytes_as_a_local_run(client, corpus, tmp_path):
    local = annotate(corpus, tmp_path / "local")
    assert local.exit_code == 0, local.output
    cluster = annotate(corpus, tmp_path / "cluster", "--scheduler", client.scheduler.address)
    assert cluster.exit_code == 0, cluster.output
    assert outputs(tmp_path / "cluster") == outputs(tmp_path / "local")
    assert b"broken.txt" in (tmp_path / "cluster" / "skipped.csv").read_bytes()
    loaded = client.run(lambda: len(dtors_nlp.distributed._models))
    assert set(loaded.values()) <= {0, 1} and 1 in loaded.values()  # once a worker, not a task


def test_a_run_interrupted_on_the_cluster_resumes_locally(client, corpus, tmp_path):
    out = tmp_path / "draft"
    report = dtors_nlp.annotate.annotate([corpus], out, fast_model(), client=client)
    for part in sorted((out / ".parts").iterdir())[::2]:
        part.unlink()  # as if the run had stopped half-way
    resumed = dtors_nlp.annotate.annotate([corpus], out, fast_model())
    assert len(resumed.coded) == TRANSCRIPTS // 2 and len(resumed.reused) == TRANSCRIPTS // 2
    again = dtors_nlp.annotate.annotate([corpus], tmp_path / "whole", fast_model())
    assert report.coded == again.coded
    for name in ("suggestions.jsonl", "summary.csv"):
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


def slow_batches() -> None:
    """On a worker: each batch takes half a second longer (a worker started later does not)."""
    original = dtors_nlp.distributed.code_files

    def slowly(*args, **kwargs):
        time.sleep(0.5)
        return original(*args, **kwargs)

    dtors_nlp.distributed.code_files = slowly


def test_a_worker_killed_mid_run_loses_nothing_and_duplicates_nothing(client, corpus, tmp_path):
    client.run(slow_batches)
    victim = next(iter(client.run(os.getpid).values()))
    out = tmp_path / "draft"
    first_part = threading.Event()

    def kill_after_the_first_part() -> None:
        deadline = time.monotonic() + 60
        while not any((out / ".parts").glob("*.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(victim, signal.SIGKILL)
        first_part.set()

    killer = threading.Thread(target=kill_after_the_first_part)
    killer.start()
    report = dtors_nlp.annotate.annotate([corpus], out, fast_model(), client=client)
    killer.join()
    assert first_part.is_set()
    assert sorted(report.coded) == sorted(set(report.coded)) and len(report.coded) == TRANSCRIPTS
    dtors_nlp.annotate.annotate([corpus], tmp_path / "local", fast_model())
    jsonl = (out / "suggestions.jsonl").read_bytes()
    assert jsonl == (tmp_path / "local" / "suggestions.jsonl").read_bytes()


def test_a_scheduler_that_is_not_there_is_one_line_within_seconds(tmp_path, corpus, monkeypatch):
    monkeypatch.setattr(dtors_nlp.distributed, "CONNECT_TIMEOUT", 2)
    began = time.monotonic()
    result = annotate(corpus, tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9")
    assert time.monotonic() - began < 15
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "no dask scheduler answers at tcp://127.0.0.1:9" in result.output
    assert not (tmp_path / "out").exists()


def test_without_dask_the_error_names_the_extra(tmp_path, corpus, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = annotate(corpus, tmp_path / "out", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2
    assert result.output.strip() == (
        'dtors-nlp: error: --scheduler needs dask: pip install "dtors-nlp[dask]"'
    )


def test_workers_cache_only_where_the_user_points(tmp_path, monkeypatch):
    monkeypatch.delenv("DTORS_NLP_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    cluster_cache = dtors_nlp.distributed.cluster_cache
    model = starter_model_path("minilm-static")
    assert cluster_cache(Embedder(model)) is None  # the per-user default stays on the client
    assert cluster_cache(Embedder(model, cache=False)) is None
    chosen = tmp_path / "shared" / "cache"
    assert cluster_cache(Embedder(model, cache=chosen)) == str(chosen)
    monkeypatch.setenv("DTORS_NLP_CACHE", str(chosen))
    assert default_cache_dir() == chosen
    assert cluster_cache(Embedder(model)) == str(chosen)


def test_a_cluster_run_needs_a_saved_model(client, corpus, tmp_path):
    model = fast_model()
    del model.folder_
    with pytest.raises(DtorsError, match="needs a saved model"):
        dtors_nlp.annotate.annotate([corpus], tmp_path / "out", model, client=client)


def test_cluster_batches_shrink_towards_the_end_and_keep_every_file_in_order(tmp_path):
    inputs = []
    for number in range(40):
        path = tmp_path / f"int{number:02}.txt"
        path.write_text("x" * 1000, "utf-8")
        inputs.append(dtors_nlp.annotate.Input(number, path.name, path))
    local = dtors_nlp.annotate.batches(inputs, 5000)
    tapered = dtors_nlp.annotate.batches(inputs, 5000, workers=2)
    assert [len(batch) for batch in local] == [5] * 8
    sizes = [len(batch) for batch in tapered]
    assert max(sizes) == 5 and sizes == sorted(sizes, reverse=True) and sizes[-4:] == [1] * 4
    assert [item for batch in tapered for item in batch] == inputs
