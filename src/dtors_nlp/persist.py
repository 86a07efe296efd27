"""The model folder: learned arrays, settings, a model card and checksums; never pickle.

A folder holds ``model.json`` (settings, codebook, thresholds, out-of-fold figures and a SHA-256
checksum of every other file), ``arrays.npz`` (numbers only, loaded with pickling off),
``exemplars.json`` (the hand-coded passages shown beside suggestions) and ``README.md`` (the
model card for people). Loading checks every checksum, the codebook and the sentence model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from os import PathLike
from pathlib import Path

import numpy as np

from dtors_nlp.codebook import Codebook, codebook_from_dict
from dtors_nlp.embed import DEFAULT_MODEL_NAME, Embedder
from dtors_nlp.errors import DtorsError, ModelError
from dtors_nlp.files import write_atomically
from dtors_nlp.heads import CalibratedHead
from dtors_nlp.model import CodeSuggester, HeadSpec
from dtors_nlp.model_card import model_card

FORMAT = "dtors-nlp-model/1"
PARAMETERS = (
    "likely_precision",
    "review_recall",
    "min_examples",
    "folds",
    "use_context",
    "c",
    "n_exemplars",
    "name",
)


def starter_model_path(name: str = "dtors-starter") -> Path:
    """A model folder shipped with the library (in the package, or in a source checkout).

    ``name``: the starter model by default; ``dtors-starter-fast`` and ``minilm-static`` for the
    fast mode (the starter model trained on static embeddings, and the static embedding model).
    """
    packaged = Path(__file__).parent / "_models" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "models" / name


def save_model(model: CodeSuggester, folder: str | PathLike[str], force: bool = False) -> None:
    """Write ``model`` to ``folder`` as a whole: it appears complete or not at all.

    The files are written to a hidden staging folder beside ``folder`` and renamed into place;
    a model being replaced (``force``) is moved aside first and deleted only once the new one is
    in place. An error or interrupt (KeyboardInterrupt) leaves no staging folder behind.
    """
    folder = Path(folder)
    if folder.exists() and not force:
        raise DtorsError("already exists (use --force to replace it)", folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        _write_files(model, staging)
        _move_into_place(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_into_place(staging: Path, folder: Path) -> None:
    """Rename ``staging`` to ``folder``; an old ``folder`` is kept until the rename is done."""
    if not folder.exists():
        staging.rename(folder)
        return
    old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old."))
    try:
        folder.replace(old)
        try:
            staging.rename(folder)
        except BaseException:
            old.replace(folder)
            raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _write_files(model: CodeSuggester, folder: Path) -> None:
    arrays = {"exemplar_vectors": model.exemplar_vectors_, "exemplar_codes": model.exemplar_codes_}
    for index, head in enumerate(model.heads_):
        arrays.update({f"head{index}.{key}": value for key, value in head.arrays().items()})
    with (folder / "arrays.npz").open("wb") as stream:
        np.savez_compressed(stream, **arrays)
    write_atomically(folder / "exemplars.json", json.dumps(model.exemplar_texts_, indent=0))
    write_atomically(folder / "README.md", model_card(model))
    settings = {
        "format": FORMAT,
        "parameters": {name: getattr(model, name) for name in PARAMETERS},
        "codebook": model.codebook_.to_dict(),
        "embedder": {"name": model.embedder_.name, "identity": model.embedder_.identity},
        "heads": [vars(spec) for spec in model.specs_],
        "uses_context": model.uses_context_,
        "thresholds": model.thresholds_,
        "metrics": model.metrics_,
        "counts": model.counts_,
        "untrained_codes": model.untrained_codes_,
        "trained_on": model.trained_on_,
        "checksums": {name: _sha256(folder / name) for name in _DATA_FILES},
    }
    write_atomically(folder / "model.json", json.dumps(settings, indent=2))


_DATA_FILES = ("arrays.npz", "exemplars.json", "README.md")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_model(
    folder: str | PathLike[str] | None = None,
    codebook: Codebook | None = None,
    embedder: Embedder | str | PathLike[str] | None = None,
) -> CodeSuggester:
    """Load a model folder; default the starter model shipped with the library.

    ``codebook``: refuse the model unless it was trained on these codes. ``embedder``: the
    sentence model to use (default: the one the model names, if it is the bundled MiniLM).
    """
    folder = Path(folder) if folder is not None else starter_model_path()
    settings = _read_settings(folder)
    _verify_checksums(folder, settings["checksums"])
    model = CodeSuggester(**settings["parameters"])
    model.codebook_ = codebook_from_dict(settings["codebook"], str(folder / "model.json"))
    if codebook is not None and codebook.codes != model.codebook_.codes:
        raise ModelError(_codebook_difference(codebook, model.codebook_), folder)
    model.codebook = model.codebook_
    model.embedder_ = _matching_embedder(embedder, settings["embedder"], folder)
    model.embedder = model.embedder_
    model.specs_ = [HeadSpec(**spec) for spec in settings["heads"]]
    _restore_arrays(model, folder)
    model.exemplar_texts_ = json.loads((folder / "exemplars.json").read_text("utf-8"))
    model.uses_context_ = settings["uses_context"]
    model.thresholds_ = settings["thresholds"]
    model.metrics_ = settings["metrics"]
    model.counts_ = settings["counts"]
    model.untrained_codes_ = settings["untrained_codes"]
    model.trained_on_ = settings["trained_on"]
    return model


def _read_settings(folder: Path) -> dict:
    path = folder / "model.json"
    if not path.is_file():
        raise ModelError("not a model folder (no model.json)", folder)
    try:
        settings = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelError("model.json is damaged (not valid JSON)", folder) from None
    if not isinstance(settings, dict) or settings.get("format") != FORMAT:
        raise ModelError(f"model.json is not a {FORMAT} model", folder)
    return settings


def _verify_checksums(folder: Path, checksums: dict[str, str]) -> None:
    for name in _DATA_FILES:
        path = folder / name
        if not path.is_file():
            raise ModelError(f"{name} is missing", folder)
        if _sha256(path) != checksums.get(name):
            raise ModelError(f"{name} was changed or truncated (checksum mismatch)", folder)


def _restore_arrays(model: CodeSuggester, folder: Path) -> None:
    try:
        with np.load(folder / "arrays.npz", allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (ValueError, OSError) as error:
        raise ModelError(f"arrays.npz cannot be read: {error}", folder) from None
    model.exemplar_vectors_ = arrays["exemplar_vectors"]
    model.exemplar_codes_ = arrays["exemplar_codes"]
    model.heads_ = [
        CalibratedHead.from_arrays(
            spec.n_classes,
            {key.split(".", 1)[1]: v for key, v in arrays.items() if key.startswith(f"head{i}.")},
        )
        for i, spec in enumerate(model.specs_)
    ]


def _matching_embedder(
    embedder: Embedder | str | PathLike[str] | None, expected: dict, folder: Path
) -> Embedder:
    if embedder is None and expected["name"] != DEFAULT_MODEL_NAME:
        raise ModelError(
            f"the model needs the sentence model {expected['name']!r}: pass its folder "
            "(--embedder / embedder=)",
            folder,
        )
    if not isinstance(embedder, Embedder):
        embedder = Embedder(embedder)
    if embedder.identity != expected["identity"]:
        raise ModelError(
            f"trained with sentence model {expected['identity']}, but {embedder.identity} "
            "is in use; retrain or use the same sentence model",
            folder,
        )
    return embedder


def _codebook_difference(wanted: Codebook, trained: Codebook) -> str:
    missing = sorted(set(wanted.codes) - set(trained.codes))
    extra = sorted(set(trained.codes) - set(wanted.codes))
    detail = "; ".join(
        part
        for part in (
            f"codes the model lacks: {', '.join(missing[:5])}" if missing else "",
            f"codes not in your codebook: {', '.join(extra[:5])}" if extra else "",
        )
        if part
    )
    return f"trained on codebook {trained.name!r}, not yours ({detail or 'codes in another order'})"
