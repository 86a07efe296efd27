"""Annotate on a ``dask.distributed`` cluster: batches of files, coded on workers.

The client (where ``annotate`` runs) lists the inputs and groups them into batches, at most a
quarter the size of a local run's and shrinking towards the end of the run so that the workers
finish together; each batch is one task. A worker
reads, segments, embeds and codes its batch with the model it loaded once per process, after
checking every checksum and that the folder's fingerprint is the client's; the client writes
the suggestions into ``OUT/.parts/`` as batches finish. The same code, and sentence vectors that
depend on their text alone, give the same outputs as a local run. A worker that dies loses only
its unfinished batches, which the scheduler gives to another worker.

Workers must see the inputs and the model folder at the client's absolute paths (a shared
filesystem). They cache embeddings only where the client's cache points if the user chose it
(``DTORS_NLP_CACHE``, or ``Embedder(cache=FOLDER)``), never in a per-user default folder of
their own: with the default cache, they use none (see docs/privacy.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import dtors_nlp.annotate
from dtors_nlp.annotate import FileResult, Input, batches, code_files
from dtors_nlp.errors import DtorsError, ModelError

if TYPE_CHECKING:
    from distributed import Client

    from dtors_nlp.embed import Embedder
    from dtors_nlp.model import CodeSuggester

CONNECT_TIMEOUT = 10  # seconds to wait for a scheduler
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
HEAP_BLOCKS_UP_TO = 32 * 1024 * 1024  # the largest mmap threshold glibc sets by itself
EXTRA = 'pip install "dtors-nlp[dask]"'


@dataclass(frozen=True)
class ModelSpec:
    """What a worker needs to load the client's model: its folder, fingerprint and embedder."""

    folder: str
    fingerprint: str
    embedder: str | None  # None: the bundled MiniLM, wherever the worker has it installed
    cache: str | None  # None: no embedding cache
    batch_size: int


def connect(address: str, timeout: float = CONNECT_TIMEOUT) -> Client:
    """A client of the scheduler at ``address`` (``tcp://host:8786``).

    DtorsError, in one line, if dask is not installed or no scheduler answers within ``timeout``.
    """
    try:
        from distributed import Client
    except ImportError:
        raise DtorsError(f"--scheduler needs dask: {EXTRA}") from None
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DtorsError(f"no dask scheduler answers at {address}: {reason}") from None


def model_spec(model: CodeSuggester) -> ModelSpec:
    """The client's model as workers load it; ModelError for a model never saved."""
    folder = getattr(model, "folder_", None)
    if folder is None:
        raise ModelError("a cluster run needs a saved model (model.save(FOLDER)) for workers")
    embedder = model.embedder_
    return ModelSpec(
        folder=str(folder.path.absolute()),
        fingerprint=folder.fingerprint,
        embedder=_where_workers_find(embedder),
        cache=cluster_cache(embedder),
        batch_size=embedder.batch_size,
    )


def _where_workers_find(embedder: Embedder) -> str | None:
    """How a worker finds the client's sentence model: None for the bundled MiniLM and the
    accurate mode's name for all-mpnet-base-v2 (each worker has its own installed copy, which
    ``load_model`` checks against the model's fingerprint); else the folder's path, which must
    be on storage the workers share."""
    from dtors_nlp import accurate_model
    from dtors_nlp.embed import DEFAULT_MODEL_NAME, default_model_path

    if embedder.name == DEFAULT_MODEL_NAME and embedder.model_path == default_model_path():
        return None
    if embedder.name == accurate_model.NAME:
        try:
            if embedder.model_path == accurate_model.accurate_model_path():
                return accurate_model.NAME
        except ModelError:  # a folder of that name, but not the installed model
            pass
    return str(embedder.model_path.absolute())


def cluster_cache(embedder: Embedder) -> str | None:
    """The embedding cache folder for workers: the client's if the user chose it, else none."""
    from dtors_nlp.embed import default_cache_dir

    if embedder.cache_dir is None:
        return None
    if not os.environ.get("DTORS_NLP_CACHE") and embedder.cache_dir == default_cache_dir():
        return None  # the per-user default: never copied onto every worker's home folder
    return str(embedder.cache_dir.absolute())


def code_on_cluster(
    client: Client,
    inputs: Sequence[Input],
    model: CodeSuggester,
    known: Mapping[str, str],
    keep: bool,
) -> Iterator[FileResult]:
    """``annotate.code_files`` for batches of ``inputs`` on ``client``'s workers, results as
    they finish. Batches shrink towards the end of the run, so that the workers finish together."""
    from distributed import KilledWorker, as_completed

    spec = model_spec(model)
    workers = sum(client.nthreads().values())
    work = batches(inputs, dtors_nlp.annotate.BYTES_PER_TASK, workers)
    [shared] = client.scatter([dict(known)], broadcast=True)
    futures = [
        client.submit(code_on_worker, _absolute(batch), spec, shared, keep, pure=False)
        for batch in work
    ]
    batch_of = {future.key: batch for future, batch in zip(futures, work)}
    try:
        for future in as_completed(futures):
            try:
                yield from future.result()
            except KilledWorker:
                raise DtorsError(_killed(batch_of[future.key])) from None
            future.release()
    finally:
        client.cancel(futures)


def _killed(batch: Sequence[Input]) -> str:
    """The error when a batch's workers kept dying: which files, and the likely cause."""
    return (
        f"workers died each time they coded the batch of {len(batch)} file(s) from "
        f"{batch[0].name}: too large for a worker's memory?"
    )


def _absolute(batch: Sequence[Input]) -> list[Input]:
    return [replace(item, path=item.path.absolute()) for item in batch]


_models: dict[ModelSpec, CodeSuggester] = {}
_loading = threading.Lock()
_coding = threading.Lock()  # the embedding cache's SQLite connection is for one thread


def code_on_worker(
    batch: Sequence[Input], spec: ModelSpec, known: Mapping[str, str], keep: bool
) -> list[FileResult]:
    """One batch on a worker, with the model this process loaded for ``spec``."""
    model = worker_model(spec)
    with _coding:
        return code_files(batch, model, known, keep)


def worker_model(spec: ModelSpec) -> CodeSuggester:
    """The model for ``spec``, loaded and checked once per worker process."""
    with _loading:
        if spec not in _models:
            _models[spec] = _load(spec)
        return _models[spec]


def _load(spec: ModelSpec) -> CodeSuggester:
    from dtors_nlp.embed import Embedder, is_static_model
    from dtors_nlp.persist import CodebookChangedWarning, load_model
    from dtors_nlp.provenance import short

    embedder = Embedder(spec.embedder, cache=spec.cache or False, batch_size=spec.batch_size)
    with warnings.catch_warnings():  # the client has said it, once
        warnings.simplefilter("ignore", CodebookChangedWarning)
        model = load_model(spec.folder, embedder=embedder)  # checks every checksum
    if model.folder_.fingerprint != spec.fingerprint:
        raise ModelError(
            f"has fingerprint {short(model.folder_.fingerprint)} on a worker but "
            f"{short(spec.fingerprint)} where the run started: workers must see the same model",
            spec.folder,
        )
    if not is_static_model(embedder.model_path):
        _load_encoder(embedder)
    return model


def _load_encoder(embedder: Embedder) -> None:
    """Load the sentence model now, with torch on ``OMP_NUM_THREADS`` threads (dask sets 1),
    not on every core of the machine as a local run does: workers share the machine."""
    import torch

    embedder.dimension  # noqa: B018 -- loads the model, which sets torch's threads
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or 1))
    _keep_tensors_on_the_heap()


def _keep_tensors_on_the_heap() -> None:
    """Let glibc reuse freed tensor memory on a dask worker, as it does in a local run.

    Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_`` so that workers give memory back to the system.
    Setting it also fixes glibc's mmap threshold at 128 KiB, so every tensor larger than that is
    mapped and zeroed afresh: a worker encoded 15% slower (80 against 96 passages a second on one
    thread here). A 32 MiB threshold keeps those blocks on the heap; the trim threshold still
    returns the heap's free top. Left alone if the user set the threshold, or off glibc.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, HEAP_BLOCKS_UP_TO)
