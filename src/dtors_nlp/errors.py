"""Every exception the library raises on purpose.

Each error names the file (when there is one) and the problem in one line, so that the command
line can print ``str(error)`` as it is and exit with code 2.
"""

from __future__ import annotations

from os import PathLike


class DtorsError(Exception):
    """Base class: a problem with the user's input, data or model, not a bug."""

    def __init__(self, problem: str, path: str | PathLike[str] | None = None) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class TranscriptError(DtorsError):
    """A transcript cannot be read: empty, binary, undecodable, unknown format, no speakers."""


class CodebookError(DtorsError):
    """A codebook is invalid: duplicate or unknown codes, unknown fields, an empty dimension."""


class TrainingDataError(DtorsError):
    """Hand-coded training data is unusable: missing columns, unknown codes, empty texts."""


class RefiError(DtorsError):
    """A REFI-QDA file (.qdpx, .qdc, .qde) is malformed or does not follow the standard."""


class UnsafeFileError(RefiError):
    """A file tries something dangerous: zip slip, zip bomb, XML entity expansion."""


class ParameterError(DtorsError, ValueError):
    """A model parameter is out of range, e.g. ``likely_precision=1.5`` or ``folds=1``."""


class ModelError(DtorsError):
    """A model folder is missing, tampered with, or does not fit the codebook or embedder."""


class OutputError(DtorsError):
    """An output cannot be written, or would overwrite something without ``--force``."""
