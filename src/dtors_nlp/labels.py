"""Which codes each training passage has, lacks, or was never judged on.

Hand-coded passages are complete: every code not applied is absent. A coder's review of a
suggestion is partial: it says only that one code is right (accepted) or wrong (rejected), and
nothing about the others, which stay unknown and are left out of those codes' training.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from typing import TYPE_CHECKING

import numpy as np

from dtors_nlp.codebook import Codebook
from dtors_nlp.errors import TrainingDataError

if TYPE_CHECKING:
    from dtors_nlp.coded import CodedPassage

UNKNOWN, ABSENT, PRESENT = -1, 0, 1


class LabelMatrix:
    """A (passages x codes) matrix of UNKNOWN, ABSENT or PRESENT, columns in codebook order."""

    def __init__(self, values: np.ndarray, codebook: Codebook) -> None:
        self.values = np.asarray(values, dtype=np.int8)
        self.codebook = codebook
        self.codes = codebook.codes
        self._column = {code: i for i, code in enumerate(self.codes)}

    @classmethod
    def from_sets(cls, label_sets: Sequence[Iterable[str]], codebook: Codebook) -> LabelMatrix:
        """Complete codings: each passage's set of codes, all others absent."""
        return cls.from_partial([(set(codes), set(), True) for codes in label_sets], codebook)

    @classmethod
    def from_coded(cls, passages: Sequence[CodedPassage], codebook: Codebook) -> LabelMatrix:
        """The labels of ``load_coded`` passages, complete or partial (from reviews)."""
        return cls.from_partial(
            [(set(p.codes), set(p.rejected), p.complete) for p in passages], codebook
        )

    @classmethod
    def from_partial(
        cls, rows: Sequence[tuple[set[str], set[str], bool]], codebook: Codebook
    ) -> LabelMatrix:
        """Rows of (present codes, rejected codes, complete?)."""
        first_used: dict[str, str] = {}
        for i, (present, rejected, _) in enumerate(rows):
            for code in sorted(present | rejected):
                first_used.setdefault(code, f"passage {i + 1}")
        check_codes(first_used, codebook)
        codes = codebook.codes
        values = np.full((len(rows), len(codes)), UNKNOWN, dtype=np.int8)
        for i, (present, rejected, complete) in enumerate(rows):
            if complete:
                values[i] = ABSENT
            for code in rejected:
                values[i, codes.index(code)] = ABSENT
            for code in present:
                values[i, codes.index(code)] = PRESENT
        matrix = cls(values, codebook)
        matrix.check_single_label()
        return matrix

    def __len__(self) -> int:
        return len(self.values)

    def column(self, code: str) -> np.ndarray:
        return self.values[:, self._column[code]]

    def positive_counts(self) -> dict[str, int]:
        """Coded passages per code."""
        return {code: int((self.column(code) == PRESENT).sum()) for code in self.codes}

    def classes_for(self, codes: list[str], single_label: bool) -> np.ndarray:
        """Class indices for one head: 0 absent/none, 1..k the codes, UNKNOWN if not judged."""
        if not single_label:
            return self.column(codes[0]).astype(np.int64)
        block = np.column_stack([self.column(code) for code in codes])
        y = np.full(len(self), UNKNOWN, dtype=np.int64)
        y[(block == ABSENT).all(axis=1)] = 0
        has = (block == PRESENT).any(axis=1)
        y[has] = block[has].argmax(axis=1) + 1
        return y

    def check_single_label(self) -> None:
        """Refuse passages with two codes of a single-label dimension."""
        for dimension in self.codebook.dimensions:
            if dimension.multi_label:
                continue
            columns = [self._column[code] for code in dimension.qualified_codes]
            doubled = np.flatnonzero((self.values[:, columns] == PRESENT).sum(axis=1) > 1)
            if len(doubled):
                raise TrainingDataError(
                    f"passage {doubled[0] + 1} has two codes of the single-label dimension "
                    f"{dimension.name!r}; keep one"
                )


def check_codes(
    first_used: Mapping[str, str], codebook: Codebook, path: str | PathLike[str] | None = None
) -> None:
    """Refuse codes outside ``codebook``, each with where it is first used (``first_used`` maps
    code to place, e.g. "row 7") and the code it was probably meant to be; most of them unknown
    suggests another codebook."""
    unknown = sorted(first_used.keys() - set(codebook.codes))
    if not unknown:
        return
    if 2 * len(unknown) > len(first_used):
        raise TrainingDataError(
            f"{len(unknown)} of its {len(first_used)} codes are not in codebook "
            f"{codebook.name!r} ({_listed(unknown)}): was it coded with another codebook? Give "
            "that codebook with --codebook FILE (codebook= in Python)",
            path,
        )
    described = [_unknown_code(code, first_used[code], codebook) for code in unknown]
    raise TrainingDataError(
        f"codes not in codebook {codebook.name!r}: {_listed(described)}; correct them, give the "
        "right codebook with --codebook, or drop them with --ignore-unknown-codes",
        path,
    )


def _unknown_code(code: str, where: str, codebook: Codebook) -> str:
    """``code`` and where it is used, with the known code it was probably meant to be."""
    closest = codebook.closest(code)
    return f"{code} in {where}" + (f" (did you mean {closest}?)" if closest else "")


def _listed(items: list[str], most: int = 5) -> str:
    """The first ``most`` items, comma-separated, and how many more there are."""
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more
