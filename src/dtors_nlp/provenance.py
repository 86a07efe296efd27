"""Provenance: which exact model produced a draft, from which inputs, and is it unchanged since.

- ``model_info(folder)``: a model folder's fingerprint (see ``persist``), codebook, sentence model,
  training record and out-of-fold figures, after checking every file against the fingerprint.
- ``manifest.json`` in every draft folder: the model (as ``model_info`` describes it), the
  library and Python versions, the options, the date, the working folder, and every input and
  output file with its size and SHA-256. It is written last, so a run that stops early leaves
  no manifest.
- ``verify_draft(folder)``: re-hashes the inputs still present and the outputs against it.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from dtors_nlp import __version__
from dtors_nlp.errors import DtorsError, ModelError
from dtors_nlp.files import read_json_document, write_atomically

if TYPE_CHECKING:
    from dtors_nlp.model import CodeSuggester
    from dtors_nlp.persist import ModelFolder

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "dtors-nlp-draft/1"
MANIFEST_FIELDS = ("created", "software", "model", "options", "working_directory", "counts")
SHORT = 12  # hex digits of a fingerprint's short form
UNCHANGED, CHANGED, MISSING = "unchanged", "changed", "missing"


def short(fingerprint: str | None) -> str:
    """The short form of a fingerprint (12 hex digits), or ``unsaved`` for a model without one."""
    return fingerprint[:SHORT] if fingerprint else "unsaved"


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def file_record(path: Path, name: str) -> dict:
    """A manifest row: the file's ``name`` as recorded, its size and SHA-256."""
    return {"path": name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def codebook_hash(codebook: Mapping) -> str:
    """SHA-256 of a codebook (``Codebook.to_dict()``) as canonical JSON: sorted keys, no spaces."""
    canonical = json.dumps(codebook, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- models -----------------------------------------------------------------------------------


def model_info(folder: str | PathLike[str] | None = None) -> dict:
    """What a model folder is (default: the starter model), after checking its fingerprint.

    ModelError, naming the folder, if a file is missing or changed. The sentence model is not
    loaded: only its name and hash are read.
    """
    from dtors_nlp.persist import ModelFolder, checked_settings, starter_model_path

    folder = Path(folder) if folder is not None else starter_model_path()
    settings, fingerprint = checked_settings(folder)
    return model_summary(settings, ModelFolder(folder, fingerprint, "fingerprint" in settings))


def model_summary(settings: dict, folder: ModelFolder | None) -> dict:
    """The model part of ``model_info`` and of a draft manifest, from ``model.json`` settings
    and the folder they were read from (None for a model never saved)."""
    parameters, codebook = settings["parameters"], settings["codebook"]
    embedder_name, _, embedder_hash = settings["embedder"]["identity"].partition("@")
    return {
        "name": parameters["name"],
        "folder": None if folder is None else str(folder.path),
        "fingerprint": None if folder is None else folder.fingerprint,
        "fingerprint_recorded": folder is not None and folder.recorded,
        "codebook": {
            "name": codebook["name"],
            "version": codebook.get("version", ""),
            "sha256": codebook_hash(codebook),
        },
        "embedder": {"name": embedder_name, "hash": embedder_hash},
        "trained_on": settings["trained_on"],
        "bands": {
            "likely_precision": parameters["likely_precision"],
            "review_recall": parameters["review_recall"],
        },
        "uses_context": settings["uses_context"],
        "min_examples": parameters["min_examples"],
        "untrained_codes": settings["untrained_codes"],
        "out_of_fold": out_of_fold_by_dimension(settings["metrics"], settings["untrained_codes"]),
    }


def out_of_fold_by_dimension(metrics: Mapping[str, dict], untrained: Container[str]) -> dict:
    """Per dimension: codes suggested, how often coders gave them (codings) and the mean over
    them of each out-of-fold figure."""
    grouped: dict[str, list[dict]] = {}
    for code, figures in metrics.items():
        if code not in untrained:
            grouped.setdefault(code.split("/", 1)[0], []).append(figures)
    return {
        dimension: {
            "codes": len(rows),
            "codings": sum(row["support"] for row in rows),
            **{
                band: {
                    name: round(sum(row[band][name] for row in rows) / len(rows), 4)
                    for name in ("precision", "recall", "f1")
                }
                for band in ("suggested", "likely")
            },
        }
        for dimension, rows in grouped.items()
    }


def model_folder(model: CodeSuggester) -> ModelFolder | None:
    """The folder ``model`` was loaded from or saved to, unless it was trained again since."""
    folder = getattr(model, "folder_", None)
    if folder is None or folder.trained_on is not getattr(model, "trained_on_", None):
        return None
    return folder


def check_expected_model(model: CodeSuggester, expected: str) -> None:
    """ModelError unless the model's fingerprint is ``expected`` (in full or its short form)."""
    folder = model_folder(model)
    wanted = expected.strip().lower()
    if len(wanted) < SHORT:
        raise DtorsError(f"--expect-model needs at least {SHORT} hex digits of a fingerprint")
    if folder is None:
        raise ModelError(f"the model has no fingerprint (not saved), not the expected {wanted}")
    if not folder.fingerprint.startswith(wanted):
        raise ModelError(
            f"fingerprint {short(folder.fingerprint)} is not the expected {wanted}", folder.path
        )


def draft_model_summary(model: CodeSuggester) -> dict:
    """``model_summary`` of an in-memory model: fingerprint and folder if it has them."""
    from dtors_nlp.persist import model_settings

    return model_summary(model_settings(model), model_folder(model))


# --- drafts -----------------------------------------------------------------------------------


def write_manifest(
    out: Path,
    model: dict,
    options: dict,
    inputs: Iterable[dict],
    outputs: Iterable[Path],
    counts: dict,
) -> Path:
    """Write ``out/manifest.json``: ``model`` from ``model_summary``, ``inputs`` file records."""
    manifest = {
        "format": MANIFEST_FORMAT,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "software": {"dtors-nlp": __version__, "python": platform.python_version()},
        "model": model,
        "options": options,
        "working_directory": str(Path.cwd()),
        "counts": counts,
        "inputs": list(inputs),
        "outputs": [file_record(path, path.relative_to(out).as_posix()) for path in outputs],
    }
    path = out / MANIFEST
    write_atomically(path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return path


def read_manifest(draft: str | PathLike[str]) -> dict:
    """A draft folder's manifest; DtorsError, naming the folder, if it has none or a damaged one."""
    path = Path(draft) / MANIFEST
    if not Path(draft).is_dir():
        raise DtorsError("no such draft folder", draft)
    if not path.is_file():
        raise DtorsError(
            f"no {MANIFEST}: drafts made before dtors-nlp recorded provenance have none "
            "(run annotate again to make one)",
            draft,
        )
    manifest = read_json_document(path, MANIFEST_FORMAT, "manifest")
    missing = [key for key in (*MANIFEST_FIELDS, "inputs", "outputs") if key not in manifest]
    if missing:
        raise DtorsError(f"damaged (no {missing[0]!r})", path)
    return manifest


@dataclass(frozen=True)
class FileCheck:
    """One input or output of a draft: ``unchanged``, ``changed`` or ``missing``."""

    role: str  # "input" or "output"
    path: str  # as the manifest records it
    status: str


@dataclass(frozen=True)
class DraftCheck:
    """What ``verify_draft`` found: every file of the manifest, and the manifest's own SHA-256."""

    draft: Path
    manifest: dict
    manifest_sha256: str
    files: list[FileCheck]

    @property
    def ok(self) -> bool:
        """True when every input and output is unchanged."""
        return all(check.status == UNCHANGED for check in self.files)


def verify_draft(
    draft: str | PathLike[str], inputs_root: str | PathLike[str] | None = None
) -> DraftCheck:
    """Re-hash a draft's inputs and outputs against its manifest.

    Relative input paths are looked up under ``inputs_root``, by default the folder annotate ran
    in (as recorded). DtorsError if the draft has no manifest (drafts made by older versions).
    """
    draft = Path(draft)
    manifest = read_manifest(draft)
    root = Path(inputs_root if inputs_root is not None else manifest["working_directory"])
    try:
        files = [_check("input", root / row["path"], row) for row in manifest["inputs"]]
        files += [_check("output", draft / row["path"], row) for row in manifest["outputs"]]
    except (KeyError, TypeError):
        raise DtorsError(
            "damaged (a file without path, bytes or sha256)", draft / MANIFEST
        ) from None
    return DraftCheck(draft, manifest, sha256_file(draft / MANIFEST), files)


def _check(role: str, path: Path, row: dict) -> FileCheck:
    if not path.is_file():
        return FileCheck(role, row["path"], MISSING)
    same = path.stat().st_size == row["bytes"] and sha256_file(path) == row["sha256"]
    return FileCheck(role, row["path"], UNCHANGED if same else CHANGED)
