"""Which codes each training passage has, lacks, or was never judged on.

Hand-coded passages are complete: every code not applied is absent. A coder's review of a
suggestion is partial: it says only that one code is right (accepted) or wrong (rejected), and
nothing about the others, which stay unknown and are left out of those codes' training.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from dtors_nlp.codebook import Codebook
from dtors_nlp.errors import TrainingDataError

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
    def from_partial(
        cls, rows: Sequence[tuple[set[str], set[str], bool]], codebook: Codebook
    ) -> LabelMatrix:
        """Rows of (present codes, rejected codes, complete?)."""
        check_codes(
            {code for present, rejected, _ in rows for code in present | rejected}, codebook
        )
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


def check_codes(codes: set[str], codebook: Codebook) -> None:
    """Refuse codes that are not in the codebook, naming them."""
    unknown = sorted(codes - set(codebook.codes))
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise TrainingDataError(f"codes not in codebook {codebook.name!r}: {shown}")
