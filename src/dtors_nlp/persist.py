"""The model folder: learned arrays, settings, a model card and checksums; never pickle.

A folder holds ``model.json`` (settings, codebook, thresholds, out-of-fold figures, a SHA-256
checksum of every other file and the folder's fingerprint), ``arrays.npz`` (numbers only, loaded
with pickling off), ``exemplars.json`` (the hand-coded passages shown beside suggestions) and
``README.md`` (the model card for people, which shows the fingerprint too). Loading checks every
checksum, the fingerprint, the codebook and the sentence model. A model whose codebook is another
version than the one in use (the one passed, or the library's DTORS codebook for a DTORS model)
still loads, with one ``CodebookChangedWarning`` saying so.

The fingerprint is one SHA-256 over these four files in a fixed order: for each, its name, its
size and its bytes, with the fingerprint itself (where ``model.json`` and ``README.md`` hold it)
read as 64 zeros, so that it does not depend on itself; the checksums are taken the same way.
The same trained state saved twice gives the same bytes, so the same fingerprint: ``arrays.npz``
is an uncompressed zip with fixed dates. Other files in the folder (``training-data/`` beside
the starter model) are not part of the model. Folders saved by dtors-nlp before fingerprints
record none: they load as before, and their fingerprint is computed from their bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np

from dtors_nlp import accurate_model
from dtors_nlp.codebook import Codebook, codebook_from_dict, load_codebook
from dtors_nlp.embed import DEFAULT_MODEL_NAME, Embedder, as_embedder
from dtors_nlp.errors import DtorsError, ModelError, ParameterError
from dtors_nlp.files import read_json_document, write_atomically
from dtors_nlp.model import CodeSuggester
from dtors_nlp.model_card import model_card

FORMAT = "dtors-nlp-model/1"
UNSET = "0" * 64  # the fingerprint's stand-in while it is computed
MODEL_FILES = ("README.md", "arrays.npz", "exemplars.json", "model.json")
_DATA_FILES = ("arrays.npz", "exemplars.json", "README.md")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class CodebookChangedWarning(UserWarning):
    """A model was trained with another codebook than the one in use (another version, or the
    same codes defined otherwise); the model suggests only the codes it was trained on."""


@dataclass(frozen=True)
class ModelFolder:
    """The folder a model was loaded from or saved to, and its fingerprint.

    ``recorded`` is False for a folder saved before fingerprints (computed on loading instead).
    ``trained_on`` is the training record it belongs to: a model trained again is another model.
    """

    path: Path
    fingerprint: str
    recorded: bool = True
    trained_on: dict = field(default_factory=dict, compare=False, repr=False)


def starter_model_path(name: str = "dtors-starter") -> Path:
    """A model folder shipped with the library (in the package, or in a source checkout).

    ``name``: the starter model by default; ``dtors-starter-fast`` and ``minilm-static`` for the
    fast mode (the starter model trained on static embeddings, and the static embedding model);
    ``dtors-starter-accurate`` for the accurate mode (trained on all-mpnet-base-v2).
    """
    packaged = Path(__file__).parent / "_models" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "models" / name


def starter_mode(mode: str) -> tuple[Path, Path | str]:
    """The starter model folder of ``mode`` ("fast" or "accurate") and the sentence model it
    needs (a folder, or a name ``Embedder`` finds)."""
    if mode == "fast":
        return starter_model_path("dtors-starter-fast"), starter_model_path("minilm-static")
    if mode == "accurate":
        return starter_model_path("dtors-starter-accurate"), accurate_model.NAME
    raise ParameterError(f"mode={mode!r}: must be 'default', 'fast' or 'accurate'")


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
        fingerprint = _write_files(model, staging)
        _move_into_place(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    model.folder_ = ModelFolder(folder, fingerprint, trained_on=model.trained_on_)


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


def _write_files(model: CodeSuggester, folder: Path) -> str:
    """Write the model's files with the fingerprint left unset, then fill it in; return it."""
    arrays, state = model.to_state()
    _write_arrays(arrays, folder / "arrays.npz")
    write_atomically(folder / "exemplars.json", json.dumps(state.pop("exemplar_texts"), indent=0))
    write_atomically(folder / "README.md", model_card(model, UNSET))
    settings = (
        {"format": FORMAT}
        | state
        | {
            "checksums": {name: _sha256(folder / name) for name in _DATA_FILES},
            "fingerprint": UNSET,
        }
    )
    write_atomically(folder / "model.json", json.dumps(settings, indent=2))
    fingerprint = folder_fingerprint(folder)
    for name in ("README.md", "model.json"):
        written = (folder / name).read_bytes()
        write_atomically(folder / name, written.replace(UNSET.encode(), fingerprint.encode()))
    return fingerprint


def model_settings(model: CodeSuggester) -> dict:
    """What ``model.json`` says about a trained model (all but the checksums and fingerprint)."""
    _, state = model.to_state()
    del state["exemplar_texts"]
    return {"format": FORMAT} | state


def _write_arrays(arrays: dict[str, np.ndarray], path: Path) -> None:
    """``arrays.npz`` as numpy writes it, but uncompressed and dated 1980: the same bytes for the
    same arrays on every machine (compressors differ between builds of zlib)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
            entry.create_system = 3  # else 0 on Windows
            entry.external_attr = 0o600 << 16  # as zipfile sets it, whatever the version
            little_endian = np.asarray(array).astype(np.dtype(array.dtype).newbyteorder("<"))
            with archive.open(entry, "w") as stream:
                np.lib.format.write_array(stream, little_endian, allow_pickle=False)
    write_atomically(path, buffer.getvalue())


def folder_fingerprint(folder: Path, recorded: str | None = None) -> str:
    """SHA-256 over the model files in a fixed order: name, size and bytes of each, with the
    ``recorded`` fingerprint read as unset (see the module docstring)."""
    digest = hashlib.sha256()
    for name in MODEL_FILES:
        content = _blanked(folder / name, recorded)
        digest.update(f"{name}\0{len(content)}\0".encode() + content)
    return digest.hexdigest()


def _blanked(path: Path, recorded: str | None) -> bytes:
    content = path.read_bytes()
    return content.replace(recorded.encode(), UNSET.encode()) if recorded else content


def _sha256(path: Path, recorded: str | None = None) -> str:
    return hashlib.sha256(_blanked(path, recorded)).hexdigest()


def load_model(
    folder: str | PathLike[str] | None = None,
    codebook: Codebook | None = None,
    embedder: Embedder | str | PathLike[str] | None = None,
    mode: str = "default",
) -> CodeSuggester:
    """Load a model folder; default the starter model shipped with the library.

    ``codebook``: refuse the model unless it was trained on these codes. ``embedder``: the
    sentence model to use (default: the one the model names, if it is the bundled MiniLM or the
    accurate mode's all-mpnet-base-v2). ``mode``: which starter model, when no ``folder`` is
    given: "default", "fast" (static embeddings, many times faster) or "accurate"
    (all-mpnet-base-v2, installed as ``accurate_model.py`` says; about five times slower).
    """
    if mode != "default":
        if folder is not None:
            raise ParameterError(f"mode={mode!r} picks a starter model: leave out the folder")
        folder, mode_embedder = starter_mode(mode)
        embedder = embedder if embedder is not None else mode_embedder
    folder = Path(folder) if folder is not None else starter_model_path()
    settings, fingerprint = checked_settings(folder)
    trained = codebook_from_dict(settings["codebook"], str(folder / "model.json"))
    if codebook is not None and codebook.codes != trained.codes:
        raise ModelError(_codebook_difference(codebook, trained), folder)
    embedder = _matching_embedder(embedder, settings["embedder"], folder)
    exemplar_texts = json.loads((folder / "exemplars.json").read_text("utf-8"))
    state = settings | {"exemplar_texts": exemplar_texts}
    model = CodeSuggester.from_state(_read_arrays(folder), state, embedder)
    model.folder_ = ModelFolder(folder, fingerprint, "fingerprint" in settings, model.trained_on_)
    note = codebook_in_use_note(model, codebook)
    if note:
        warnings.warn(note, CodebookChangedWarning, stacklevel=2)
    return model


def codebook_in_use_note(model: CodeSuggester, codebook: Codebook | None = None) -> str | None:
    """One line if the model's codebook is not ``codebook``, or, when none is given, not the
    library's codebook of the same name (a DTORS model older or newer than the library's);
    None if it is the same, or the model's codebook is a team's own."""
    folder = getattr(model, "folder_", None)
    name = model.name or (folder.path.name if folder else "in use")
    if codebook is not None:
        return codebook_note(name, model.codebook_, codebook)
    library = load_codebook()
    if model.codebook_.name != library.name:
        return None  # a team's own codebook: the library's says nothing about it
    return codebook_note(name, model.codebook_, library, library=True)


def codebook_note(
    model_name: str, trained: Codebook, in_use: Codebook, library: bool = False
) -> str | None:
    """One line saying that model ``model_name`` was trained with codebook ``trained``, not
    ``in_use`` (``library``: the library's codebook), and what follows; None if they are equal."""
    if trained == in_use:
        return None
    unknown = [code for code in in_use.codes if code not in set(trained.codes)]
    if unknown:
        more = f" and {len(unknown) - 4} more" if len(unknown) > 4 else ""
        after = f"codes the model does not know are not suggested ({', '.join(unknown[:4])}{more})"
    elif set(trained.codes) == set(in_use.codes):
        after = "same codes, defined otherwise"
    else:
        after = "the model also suggests codes that codebook does not have"
    where = "the library's codebook is" if library else "the codebook in use is"
    return (
        f"model {model_name} was trained with codebook {_book_label(trained)}; {where} "
        f"{_book_label(in_use)}: {after}"
    )


def _book_label(codebook: Codebook) -> str:
    return f"{codebook.name} {codebook.version}".strip()


def checked_settings(folder: Path) -> tuple[dict, str]:
    """``model.json`` of a folder whose files all match it, and the folder's fingerprint.

    ModelError, naming the folder, for a missing, damaged or changed file.
    """
    settings = _read_settings(folder)
    recorded = settings.get("fingerprint")
    recorded = None if recorded is None else str(recorded)
    checksums = settings.get("checksums")
    _verify_checksums(folder, checksums if isinstance(checksums, dict) else {}, recorded)
    fingerprint = folder_fingerprint(folder, recorded)
    if recorded is not None and fingerprint != recorded:
        raise ModelError("model.json was changed after saving (fingerprint mismatch)", folder)
    return settings, fingerprint


def _read_settings(folder: Path) -> dict:
    path = folder / "model.json"
    if not path.is_file():
        raise ModelError("not a model folder (no model.json)", folder)
    return read_json_document(path, FORMAT, "model", ModelError, folder, "model.json is ")


def _verify_checksums(folder: Path, checksums: dict[str, str], recorded: str | None) -> None:
    for name in _DATA_FILES:
        path = folder / name
        if not path.is_file():
            raise ModelError(f"{name} is missing", folder)
        if _sha256(path, recorded) != checksums.get(name):
            raise ModelError(f"{name} was changed or truncated (checksum mismatch)", folder)


def _read_arrays(folder: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(folder / "arrays.npz", allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (ValueError, OSError) as error:
        raise ModelError(f"arrays.npz cannot be read: {error}", folder) from None


def _matching_embedder(
    embedder: Embedder | str | PathLike[str] | None, expected: dict, folder: Path
) -> Embedder:
    if embedder is None and expected["name"] == accurate_model.NAME:
        embedder = accurate_model.NAME  # found where the accurate mode finds it
    elif embedder is None and expected["name"] != DEFAULT_MODEL_NAME:
        raise ModelError(
            f"the model needs the sentence model {expected['name']!r}: pass its folder "
            "(--embedder / embedder=)",
            folder,
        )
    embedder = as_embedder(embedder)
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
    detail = detail or "codes in another order"
    return f"trained on codebook {_book_label(trained)!r}, not yours ({detail})"
